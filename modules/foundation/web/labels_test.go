package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func shellTranslator(t *testing.T) *Translator {
	t.Helper()
	own, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTranslator(own)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestLabelsNameCodesInBothLanguages(t *testing.T) {
	tr := shellTranslator(t)
	cases := []struct {
		group        LabelGroup
		code, ms, en string
	}{
		{RoleLabels, "treasury", "Perbendaharaan Negeri", "State treasury"},
		{RoleLabels, "head_of_department", "Ketua Jabatan", "Head of department"},
		{AuditActionLabels, "account.login_failed", "Log masuk gagal", "Failed login"},
		{FeedKindLabels, "payslips", "Slip gaji", "Payslips"},
		{ActorLabels, "anonymous", "Tanpa nama (belum log masuk)", "Anonymous (not signed in)"},
		{RoleLabels, "astronaut", "astronaut", "astronaut"}, // unknown: shown as stored
	}
	for _, tc := range cases {
		if got := tr.Label(LangMalay, tc.group, tc.code); got != tc.ms {
			t.Errorf("%s %s in Malay = %q, want %q", tc.group, tc.code, got, tc.ms)
		}
		if got := tr.Label(LangEnglish, tc.group, tc.code); got != tc.en {
			t.Errorf("%s %s in English = %q, want %q", tc.group, tc.code, got, tc.en)
		}
	}
}

func TestActorNames(t *testing.T) {
	p := &Page{Lang: LangMalay, tr: shellTranslator(t)}
	for actor, want := range map[string]string{
		"anonymous":      "Tanpa nama (belum log masuk)",
		"apikey:modulpy": "Kunci API modulpy",
		"Rohani #12":     "Rohani #12", // a person's recorded label stays as it is
	} {
		if got := p.ActorName(actor); got != want {
			t.Errorf("ActorName(%q) = %q, want %q", actor, got, want)
		}
	}
}

func TestLabelledListsAreInOrderOfTheirNames(t *testing.T) {
	tr := shellTranslator(t)
	for _, lang := range []string{LangMalay, LangEnglish} {
		list := tr.Labelled(lang, AuditActionLabels)
		if len(list) < 40 {
			t.Fatalf("%s: only %d audit actions named", lang, len(list))
		}
		for i := 1; i < len(list); i++ {
			if strings.ToLower(list[i-1].Name) > strings.ToLower(list[i].Name) {
				t.Errorf("%s: %q before %q", lang, list[i-1].Name, list[i].Name)
			}
		}
	}
	if roles := tr.Labelled(LangMalay, RoleLabels); len(roles) != 7 {
		t.Errorf("roles named: %v", roles)
	}
}

// Every audit action a module writes to the tenant trail has a name, so the IT officer never
// reads a code. The actions are the "group.verb" literals on the lines that write the trail.
func TestEveryTenantAuditActionHasAName(t *testing.T) {
	tr := shellTranslator(t)
	auditLine := regexp.MustCompile(`(?i)audit|record\(|action`)
	literal := regexp.MustCompile(`"([a-z_]+\.[a-z_]+)"`)
	found := map[string]string{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// The platform writes its own trail (public.platform_audit), not the tenant's.
		if d.IsDir() && d.Name() == "platform" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(buf), "\n") {
			if !auditLine.MatchString(line) {
				continue
			}
			for _, m := range literal.FindAllStringSubmatch(line, -1) {
				found[m[1]] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 40 {
		t.Fatalf("found only %d audit actions in the source: %v", len(found), found)
	}
	for action, path := range found {
		if !tr.Has(string(AuditActionLabels) + "." + action) {
			t.Errorf("audit action %q (%s) has no name in web's message files", action, path)
		}
	}
}

// Malay text spells "e-mel" (Dewan Bahasa), never "emel": every module's Malay messages, mail
// templates and pages.
func TestMalayWritesEMel(t *testing.T) {
	emel := regexp.MustCompile(`(?i)\bemel\b`)
	checked := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		malay := strings.HasSuffix(path, ".ms.yaml") || strings.Contains(path, "/templates/ms/") ||
			(strings.Contains(path, "/templates/") && strings.HasSuffix(path, ".html"))
		if !malay {
			return nil
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(buf), "\n") {
			if emel.MatchString(line) {
				t.Errorf("%s:%d says \"emel\": %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files", checked)
	}
}
