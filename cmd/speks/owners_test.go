package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The single-writer rule of docs/ARCHITECTURE.md ("Who writes which table"): every table the
// migrations create has a row naming its owner, and no package but the owner writes it.

// sqlWrite finds the table of an INSERT, UPDATE, DELETE, COPY or TRUNCATE in Go source. SQL
// keywords are upper case in this code base, so prose ("update the …") does not match; a
// schema prefix (public., pg_temp.) is dropped. Names that are no table of the migrations
// ("FOR UPDATE OF r", temporary staging tables) are ignored by the caller.
var sqlWrite = regexp.MustCompile(`\b(?:INSERT INTO|UPDATE|DELETE FROM|COPY|TRUNCATE(?: TABLE)?)\s+(?:ONLY\s+)?(?:[a-z_]+\.)?"?([a-z_]+)"?`)

var createTable = regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?(?:[a-z_]+\.)?([a-z_]+)`)

// ownerRow is one row of the table: | `table` | schema | `owner` |
var ownerRow = regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| [a-z]+ \\| `([a-z/]+)` \\|$")

func TestEveryTableHasOneWriter(t *testing.T) {
	owners := documentedOwners(t)
	tables := migratedTables(t)
	for table := range tables {
		if _, ok := owners[table]; !ok {
			t.Errorf("table %s (migrations/) has no row in docs/ARCHITECTURE.md \"Who writes which table\"", table)
		}
	}
	for table, owner := range owners {
		if !tables[table] {
			t.Errorf("docs/ARCHITECTURE.md names table %s, which no migration creates", table)
		}
		if st, err := os.Stat(filepath.Join("../..", owner)); err != nil || !st.IsDir() {
			t.Errorf("owner %s of %s is no package directory", owner, table)
		}
	}
	writers := writersByTable(t, tables)
	for table, pkgs := range writers {
		for _, pkg := range pkgs {
			if !within(pkg, owners[table]) {
				t.Errorf("%s writes %s, whose one writer is %s: call the owner's function instead", pkg, table, owners[table])
			}
		}
	}
	// The scan must see what it checks: the owners' own writes are found.
	for _, want := range [][2]string{{"users", "modules/account"}, {"payslips", "modules/feed"}, {"casbin_rule", "modules/foundation/authz"}} {
		if !contains(writers[want[0]], want[1]) {
			t.Errorf("the scan did not find %s writing %s: %v", want[1], want[0], writers[want[0]])
		}
	}
}

// The scan tells a write from a read, and sees through schema prefixes.
func TestSQLWriteScan(t *testing.T) {
	src := "SELECT id FROM users FOR UPDATE OF u; INSERT INTO public.casbin_rule (ptype) ...\n" +
		"DELETE FROM sessions WHERE ...; UPDATE users SET ...; ON CONFLICT DO UPDATE SET x = 1; we update the list"
	var got []string
	for _, m := range sqlWrite.FindAllStringSubmatch(src, -1) {
		got = append(got, m[1])
	}
	if strings.Join(got, ",") != "casbin_rule,sessions,users" {
		t.Errorf("writes found: %v", got)
	}
}

func documentedOwners(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "## Who writes which table")
	if !ok {
		t.Fatal(`docs/ARCHITECTURE.md has no "Who writes which table" section`)
	}
	owners := map[string]string{}
	for _, m := range ownerRow.FindAllStringSubmatch(section, -1) {
		if prev, dup := owners[m[1]]; dup {
			t.Errorf("table %s has two rows (%s, %s)", m[1], prev, m[2])
		}
		owners[m[1]] = m[2]
	}
	if len(owners) == 0 {
		t.Fatal("no owner rows found in docs/ARCHITECTURE.md")
	}
	return owners
}

func migratedTables(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../../migrations/*/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	tables := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
			tables[strings.ToLower(m[1])] = true
		}
	}
	return tables
}

// writersByTable maps each migrated table to the packages (directories from the repository
// root) whose non-test Go files write it. Test-support packages (…test) are left out: they
// build fixtures, as tests do.
func writersByTable(t *testing.T, tables map[string]bool) map[string][]string {
	t.Helper()
	writers := map[string][]string{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "../.." || d.Name() == "charts") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(strings.TrimPrefix(path, "../../")))
		if strings.HasSuffix(pkg, "test") || strings.Contains(pkg, "/replicas") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range sqlWrite.FindAllStringSubmatch(string(src), -1) {
			if tables[m[1]] && !contains(writers[m[1]], pkg) {
				writers[m[1]] = append(writers[m[1]], pkg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, pkgs := range writers {
		sort.Strings(pkgs)
	}
	return writers
}

// within: the owner's sub-packages (e.g. modules/feed/ids) count as the owner.
func within(pkg, owner string) bool {
	return owner != "" && (pkg == owner || strings.HasPrefix(pkg, owner+"/"))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// demo is a leaf on top of the features: it imports them and calls their functions; no other
// package under modules/ imports it (only the composition root wires it).
func TestNoModuleImportsDemo(t *testing.T) {
	const demoPkg = `"github.com/speks-portal/speks/modules/demo"`
	files, err := filepath.Glob("../../modules/*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../modules/*/*/*.go")
	checked := 0
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") || strings.Contains(f, "/modules/demo/") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if strings.Contains(string(src), demoPkg) {
			t.Errorf("%s imports modules/demo: move the demo step into modules/demo and call this module from there",
				strings.TrimPrefix(f, "../../"))
		}
	}
	if checked < 50 {
		t.Fatalf("only %d files checked", checked)
	}
}
