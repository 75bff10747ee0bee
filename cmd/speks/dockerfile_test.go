package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/config"
)

// The image cannot be built on the development machines, and the Helm chart is checked in its
// own module (charts/chartest) without this package's cobra tree. These tests tie the three
// together: the Dockerfile builds with the Go version of go.mod, and everything the image and
// the chart run is a real `speks` subcommand, flag and configuration key.

const (
	repoRoot       = "../.."
	dockerfilePath = "Dockerfile"
	chartTemplates = "../../charts/speks/templates"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(data)
}

func goModVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\S+)\s*$`).FindStringSubmatch(readFile(t, filepath.Join(repoRoot, "go.mod")))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return m[1]
}

// dockerInstruction returns the arguments of every instruction named name (FROM, COPY, ...),
// with line continuations joined.
func dockerInstruction(dockerfile, name string) []string {
	joined := strings.ReplaceAll(dockerfile, "\\\n", " ")
	var out []string
	for _, line := range strings.Split(joined, "\n") {
		fields := strings.Fields(line)
		if len(fields) > 1 && strings.EqualFold(fields[0], name) {
			out = append(out, strings.Join(fields[1:], " "))
		}
	}
	return out
}

// execForm decodes a JSON-array instruction (ENTRYPOINT ["/speks"]); shell form is refused,
// the final image has no shell.
func execForm(t *testing.T, dockerfile, name string) []string {
	t.Helper()
	all := dockerInstruction(dockerfile, name)
	if len(all) != 1 {
		t.Fatalf("want exactly one %s, found %d", name, len(all))
	}
	var args []string
	if err := json.Unmarshal([]byte(all[0]), &args); err != nil {
		t.Fatalf("%s %s is not in exec form (a JSON array): %v", name, all[0], err)
	}
	return args
}

func TestDockerfileBuildsWithTheGoVersionOfGoMod(t *testing.T) {
	df := readFile(t, dockerfilePath)
	froms := dockerInstruction(df, "FROM")
	if len(froms) != 2 {
		t.Fatalf("want a two-stage build (builder, runtime), found FROM %q", froms)
	}
	builder := regexp.MustCompile(`\bgolang:(\S+?)-bookworm\b`).FindStringSubmatch(froms[0])
	if builder == nil {
		t.Fatalf("the builder stage %q is not golang:<version>-bookworm", froms[0])
	}
	if want := goModVersion(t); builder[1] != want {
		t.Errorf("Dockerfile builds with Go %s, go.mod says %s", builder[1], want)
	}
	if !strings.HasPrefix(froms[1], "gcr.io/distroless/static-debian12:nonroot") {
		t.Errorf("runtime stage is %q, want gcr.io/distroless/static-debian12:nonroot", froms[1])
	}

	var build string
	for _, run := range dockerInstruction(df, "RUN") {
		if strings.Contains(run, "go build") {
			build = run
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w"`, "./cmd/speks"} {
		if !strings.Contains(build, want) {
			t.Errorf("the go build step %q lacks %s", build, want)
		}
	}

	users := dockerInstruction(df, "USER")
	if len(users) == 0 || slices.ContainsFunc(users, func(u string) bool { return u == "0" || strings.HasPrefix(u, "root") || strings.HasPrefix(u, "0:") }) {
		t.Errorf("the image must switch to a non-root USER, found %q", users)
	}
}

// Without a .dockerignore the Dockerfile COPYs directories one by one; a new top-level Go
// directory that is not copied would break the image build only at release time.
func TestDockerfileCopiesEveryGoDirectory(t *testing.T) {
	copied := map[string]bool{}
	for _, c := range dockerInstruction(readFile(t, dockerfilePath), "COPY") {
		fields := strings.Fields(c)
		if len(fields) < 2 || strings.HasPrefix(fields[0], "--from") {
			continue
		}
		for _, src := range fields[:len(fields)-1] {
			copied[strings.TrimSuffix(filepath.Clean(src), "/")] = true
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if !copied[f] {
			t.Errorf("Dockerfile does not COPY %s", f)
		}
	}
	for _, dir := range topLevelGoDirs(t) {
		if !copied[dir] {
			t.Errorf("Dockerfile does not COPY %s/, which holds Go code of the module", dir)
		}
	}
}

// topLevelGoDirs lists the top-level directories holding .go files of the main module
// (directories with their own go.mod, such as charts/chartest, are other modules).
func topLevelGoDirs(t *testing.T) []string {
	t.Helper()
	found := map[string]bool{}
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && strings.Contains(rel, string(filepath.Separator)) {
			found[strings.Split(rel, string(filepath.Separator))[0]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", repoRoot, err)
	}
	dirs := make([]string, 0, len(found))
	for d := range found {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	return dirs
}

func TestDockerfileEntrypointRunsASubcommand(t *testing.T) {
	df := readFile(t, dockerfilePath)
	if got := execForm(t, df, "ENTRYPOINT"); !slices.Equal(got, []string{"/speks"}) {
		t.Errorf("ENTRYPOINT %q, want [\"/speks\"] (the chart passes subcommands as args)", got)
	}
	cmd := execForm(t, df, "CMD")
	if !slices.Equal(cmd, []string{"serve"}) {
		t.Errorf("CMD %q, want [\"serve\"]", cmd)
	}
	checkInvocation(t, newRootCommand(), "Dockerfile CMD", cmd)
}

// chartArgs reads the `args: [...]` of every container in the chart's templates. The chart
// writes them in flow style on one line so that they can be read without rendering.
func chartArgs(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartTemplates, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no chart templates in %s (%v)", chartTemplates, err)
	}
	flow := regexp.MustCompile(`^\s*args:\s*\[(.*)\]\s*$`)
	item := regexp.MustCompile(`"([^"]*)"`)
	found := map[string][]string{}
	for _, f := range files {
		for i, line := range strings.Split(readFile(t, f), "\n") {
			if !strings.Contains(line, "args:") || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			m := flow.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: write container args in flow style, args: [\"subcommand\", \"--flag=...\"]", f, i+1)
				continue
			}
			var args []string
			for _, a := range item.FindAllStringSubmatch(m[1], -1) {
				args = append(args, a[1])
			}
			found[filepath.Base(f)+":"+line] = args
		}
	}
	return found
}

// checkInvocation fails unless args are a subcommand of root followed by --flags it accepts.
func checkInvocation(t *testing.T, root *cobra.Command, where string, args []string) *cobra.Command {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no arguments", where)
		return nil
	}
	var sub *cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == args[0] || slices.Contains(c.Aliases, args[0]) {
			sub = c
		}
	}
	if sub == nil || !sub.Runnable() {
		t.Errorf("%s: %q is not a runnable speks subcommand", where, args[0])
		return nil
	}
	for _, a := range args[1:] {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") || (sub.Flags().Lookup(name) == nil && root.PersistentFlags().Lookup(name) == nil) {
			t.Errorf("%s: %q is not a flag of speks %s", where, a, sub.Name())
		}
	}
	return sub
}

func TestChartRunsRealSubcommands(t *testing.T) {
	root := newRootCommand()
	ran := map[string]bool{}
	for where, args := range chartArgs(t) {
		if sub := checkInvocation(t, root, where, args); sub != nil {
			ran[sub.Name()] = true
		}
	}
	for _, want := range []string{"serve", "worker", "scheduler", "migrate"} {
		if !ran[want] {
			t.Errorf("the chart does not run `speks %s` (found %v)", want, ran)
		}
	}
}

// Every SPEKS_* variable the chart sets must be a configuration key, or the setting is
// silently ignored.
func TestChartSetsOnlyKnownConfigurationKeys(t *testing.T) {
	known := map[string]bool{}
	for _, key := range config.Keys() {
		known["SPEKS_"+strings.ToUpper(strings.ReplaceAll(key, ".", "_"))] = true
	}
	helpers := readFile(t, filepath.Join(chartTemplates, "_helpers.tpl"))
	set := regexp.MustCompile(`(?m)^\s*(?:- name: )?(SPEKS_[A-Z0-9_]+)\s*(?::|$)`).FindAllStringSubmatch(helpers, -1)
	if len(set) < 10 {
		t.Fatalf("found only %d SPEKS_* variables in _helpers.tpl; the pattern no longer matches the chart", len(set))
	}
	for _, m := range set {
		if !known[m[1]] {
			t.Errorf("the chart sets %s, which is not a configuration key (config.Keys)", m[1])
		}
	}
}
