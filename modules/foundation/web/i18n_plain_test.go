package web

import (
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/speks-portal/speks/tenant"
)

// The messages kept localised without data answer exactly what go-i18n answers for every
// ID in both languages; data still fills placeholders, and an unknown ID shows itself.
func TestMessagesWithoutDataAnswerAsGoI18nDoes(t *testing.T) {
	tr, err := NewTranslator(localeFiles)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.ids) == 0 {
		t.Fatal("no messages loaded")
	}
	for _, lang := range tenant.Languages {
		if len(tr.plain[lang]) != len(tr.ids) {
			t.Errorf("%s: %d of %d messages kept", lang, len(tr.plain[lang]), len(tr.ids))
		}
		for id := range tr.ids {
			want, err := tr.localizers[lang].Localize(&i18n.LocalizeConfig{MessageID: id})
			if err != nil {
				continue
			}
			if got := tr.T(lang, id, nil); got != want {
				t.Errorf("%s %s = %q, go-i18n says %q", lang, id, got, want)
			}
		}
	}
	if got := tr.T("ms", "site_name_tenant", map[string]any{"Name": "Pahang"}); got != "Portal SPEKS Pahang" {
		t.Errorf("with data: %q", got)
	}
	if got := tr.T("en", "no_such_message", nil); got != "no_such_message" {
		t.Errorf("unknown ID: %q", got)
	}
}
