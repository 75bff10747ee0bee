package main

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/speks-portal/speks/modules/feed"
)

// docs/API.md is the contract written for people; docs/openapi.yaml the same for machines,
// kept true to the routes by openapi_test.go. These tests keep the two in step, and the
// feed tables and the command line of docs/API.md true to the code, so that a reader can
// trust every route, column and command the document names.

const apiDocPath = "../../docs/API.md"

// apiDocOperation is how docs/API.md names an operation: `GET /api/v1/payslips/{year}`, the
// method and the path in one code span, the path's parameters written as in openapi.yaml.
var apiDocOperation = regexp.MustCompile("`(GET|POST|PUT|PATCH|DELETE) (/[^`\\s?]*)`")

func readAPIDoc(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(apiDocPath)
	if err != nil {
		t.Fatalf("docs/API.md: %v", err)
	}
	return string(raw)
}

// openAPIOperations lists "METHOD /path" of every operation docs/openapi.yaml publishes.
func openAPIOperations(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	ops := map[string]bool{}
	for path, methods := range doc.Paths {
		for method := range methods {
			ops[strings.ToUpper(method)+" "+path] = true
		}
	}
	if len(ops) == 0 {
		t.Fatal("docs/openapi.yaml has no operations")
	}
	return ops
}

func TestAPIDocNamesEveryOpenAPIOperationAndNoOther(t *testing.T) {
	doc := readAPIDoc(t)
	published := openAPIOperations(t)
	named := map[string]bool{}
	for _, m := range apiDocOperation.FindAllStringSubmatch(doc, -1) {
		named[m[1]+" "+m[2]] = true
	}
	for _, op := range sortedKeys(published) {
		if !named[op] {
			t.Errorf("docs/openapi.yaml publishes %s, but docs/API.md never names it (write it as `%s` in its module's table)", op, op)
		}
	}
	for _, op := range sortedKeys(named) {
		if !published[op] {
			t.Errorf("docs/API.md names `%s`, but docs/openapi.yaml has no such operation (add it there, or correct the document)", op)
		}
	}
}

// Every feed has a section headed "#### `kind`" in docs/API.md whose table lists exactly its
// columns, each marked required ("yes") or not ("no"), and says which ones a header may
// leave out.
func TestAPIDocFeedTablesMatchTheFeedFormats(t *testing.T) {
	doc := readAPIDoc(t)
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ([^|]*)\\|")
	for _, kind := range feed.Kinds {
		section, ok := docSection(doc, "#### `"+string(kind)+"`")
		if !ok {
			t.Errorf("docs/API.md has no section \"#### `%s`\" describing the %s feed", kind, kind)
			continue
		}
		documented := map[string]string{}
		for _, m := range row.FindAllStringSubmatch(section, -1) {
			documented[m[1]] = strings.TrimSpace(m[2])
		}
		for _, c := range feed.Columns(kind) {
			cell, ok := documented[c.Name]
			delete(documented, c.Name)
			switch {
			case !ok:
				t.Errorf("docs/API.md, %s feed: column %q is missing from the table", kind, c.Name)
			case c.Required != strings.HasPrefix(cell, "yes"):
				t.Errorf("docs/API.md, %s feed: column %q is marked %q, but the feed has required=%v", kind, c.Name, cell, c.Required)
			case c.Omittable != strings.Contains(cell, "left out"):
				t.Errorf("docs/API.md, %s feed: column %q: the feed says the header may leave it out = %v; the table says %q",
					kind, c.Name, c.Omittable, cell)
			}
		}
		for _, name := range sortedKeys(documented) {
			t.Errorf("docs/API.md, %s feed: the table lists column %q, which the feed does not have", kind, name)
		}
	}
}

// Every status value of the payments feed and every row error code (the Code… constants of
// the feed package) appear in docs/API.md.
func TestAPIDocFeedValuesAndErrorCodes(t *testing.T) {
	doc := readAPIDoc(t)
	for _, s := range feed.PaymentStatuses {
		if !strings.Contains(doc, "`"+s+"`") {
			t.Errorf("docs/API.md does not name the payment status `%s`", s)
		}
	}
	src, err := os.ReadFile("../../modules/feed/errors.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := regexp.MustCompile(`(?m)^\s*Code[A-Za-z0-9]+\s*=\s*"([a-z_0-9]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(codes) == 0 {
		t.Fatal("modules/feed/errors.go: no Code… constants found; has the file moved?")
	}
	for _, m := range codes {
		if code := m[1]; !strings.Contains(doc, "`"+code+"`") {
			t.Errorf("docs/API.md does not name the feed error code `%s`", code)
		}
	}
}

// Every command of speks has a section headed "### `speks …`" (or ####) in docs/API.md that
// names each of its own flags.
func TestAPIDocDescribesEveryCommandAndFlag(t *testing.T) {
	doc := readAPIDoc(t)
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			path := sub.CommandPath()
			section, ok := docSection(doc, "### `"+path+"`")
			if !ok {
				section, ok = docSection(doc, "#### `"+path+"`")
			}
			if !ok {
				t.Errorf("docs/API.md has no section \"### `%s`\" for the command", path)
			} else {
				sub.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
					if !strings.Contains(section, "--"+f.Name) {
						t.Errorf("docs/API.md, `%s`: the flag --%s is not described", path, f.Name)
					}
				})
			}
			walk(sub)
		}
	}
	walk(newRootCommand())
	newRootCommand().PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if !strings.Contains(doc, "--"+f.Name) {
			t.Errorf("docs/API.md does not describe the global flag --%s", f.Name)
		}
	})
}

// docSection returns the text under the heading line that starts with heading, up to the
// next heading of the same or a higher level.
func docSection(doc, heading string) (string, bool) {
	lines := strings.Split(doc, "\n")
	levels := headingLevels(lines)
	level := strings.IndexByte(heading, ' ')
	for i, line := range lines {
		if levels[i] == 0 || (line != heading && !strings.HasPrefix(line, heading+" ")) {
			continue
		}
		end := len(lines)
		for j := i + 1; j < len(lines); j++ {
			if n := levels[j]; n > 0 && n <= level {
				end = j
				break
			}
		}
		return strings.Join(lines[i+1:end], "\n"), true
	}
	return "", false
}

// headingLevels gives the number of # of each Markdown heading line, 0 for other lines and
// for lines inside fenced code blocks (a shell comment is not a heading).
func headingLevels(lines []string) []int {
	levels := make([]int, len(lines))
	fenced := false
	for i, line := range lines {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		n := len(line) - len(strings.TrimLeft(line, "#"))
		if !fenced && n > 0 && n < len(line) && line[n] == ' ' {
			levels[i] = n
		}
	}
	return levels
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
