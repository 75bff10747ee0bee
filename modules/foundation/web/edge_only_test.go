package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestErrorsAnsweredOnlyAtTheEdge keeps the error vocabulary single: outside this package no
// Go file writes an error body itself or maps errors to statuses. Modules return faults
// (modules/foundation/fault); edge.go answers them.
func TestErrorsAnsweredOnlyAtTheEdge(t *testing.T) {
	forbidden := map[string]*regexp.Regexp{
		"error JSON written by hand": regexp.MustCompile(`(fiber\.Map|map\[string\]any)\{\s*"error"\s*:`),
		"an error mapper":            regexp.MustCompile(`func (mapError|apiError|invalidOr)\(`),
		"a status in a coded error":  regexp.MustCompile(`fault\.New\(fiber\.Status|fault\.New\(http\.Status`),
	}
	here, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(here, "..", "..", "..")
	for _, dir := range []string{"modules", "cmd", "tenant"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
				strings.HasPrefix(path, here+string(filepath.Separator)) {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for what, re := range forbidden {
				if loc := re.FindIndex(src); loc != nil {
					line := 1 + strings.Count(string(src[:loc[0]]), "\n")
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s:%d: %s; return a fault and let the web edge answer", rel, line, what)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
