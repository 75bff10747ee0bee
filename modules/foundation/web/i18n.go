package web

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"github.com/speks-portal/speks/modules/foundation/sessions"
	"github.com/speks-portal/speks/tenant"
)

// Languages of the interface. Malay is the default everywhere (docs/API.md "Conventions").
const (
	LangMalay   = "ms"
	LangEnglish = "en"
	DefaultLang = LangMalay
)

// langCookie remembers a choice made with ?lang= (SameSite=Lax, see rememberLanguage);
// "__Host-lang" wherever cookies are Secure (sessions.CookieName).
const langCookie = "lang"

var (
	supportedTags = []language.Tag{language.Malay, language.English}
	langMatcher   = language.NewMatcher(supportedTags)
)

// supportedLang returns lang when the interface offers it, "" otherwise.
func supportedLang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if slices.Contains(tenant.Languages, lang) {
		return lang
	}
	return ""
}

// matchAcceptLanguage picks ms or en from an Accept-Language header, "" when neither fits,
// so that the tenant's default applies to browsers that ask for, say, Chinese only.
func matchAcceptLanguage(header string) string {
	if header == "" {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return ""
	}
	_, index, confidence := langMatcher.Match(tags...)
	if confidence == language.No {
		return ""
	}
	base, _ := supportedTags[index].Base()
	return base.String()
}

// chooseLang applies the order: ?lang, the lang cookie (a choice made with the switch), the
// tenant's default language, Malay. A browser's Accept-Language is not asked on pages: most
// government PCs run an English locale that nobody chose, and the state's default must win
// until the person picks a language. The JSON API still honours Accept-Language, which
// there is a client's deliberate choice (the API contract names it).
func chooseLang(c *fiber.Ctx, t *tenant.Tenant) string {
	if lang := supportedLang(c.Query("lang")); lang != "" {
		return lang
	}
	if lang := supportedLang(c.Cookies(sessions.CookieName(c, langCookie))); lang != "" {
		return lang
	}
	if isAPI(c) {
		if lang := matchAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage)); lang != "" {
			return lang
		}
	}
	if t != nil {
		if lang := supportedLang(t.DefaultLanguage); lang != "" {
			return lang
		}
	}
	return DefaultLang
}

// Translator holds every message of every module in both languages.
type Translator struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	ids        map[string]bool
	// plain holds every message localised without data, by language and ID: most of a
	// page's texts are asked for that way, and go-i18n would look the message up and run its
	// template on every call (about a tenth of a page's CPU) for the same answer each time.
	plain map[string]map[string]string
}

// NewTranslator loads every *.yaml message file of sources. A file's language is the
// part of its name before the extension (web.ms.yaml is Malay). It refuses a message ID
// defined twice, and a message that exists in one language but not the other, so nothing
// a user sees can be left in one language only.
func NewTranslator(sources ...fs.FS) (*Translator, error) {
	bundle := i18n.NewBundle(language.Malay)
	byLang := map[string]map[string]string{} // lang → id → file that defined it
	for _, src := range sources {
		if err := loadMessageFiles(bundle, src, byLang); err != nil {
			return nil, err
		}
	}
	if err := checkBilingual(byLang); err != nil {
		return nil, err
	}
	tr := &Translator{bundle: bundle, localizers: map[string]*i18n.Localizer{}, ids: map[string]bool{}}
	for _, lang := range tenant.Languages {
		tr.localizers[lang] = i18n.NewLocalizer(bundle, lang)
	}
	for id := range byLang[DefaultLang] {
		tr.ids[id] = true
	}
	tr.plain = tr.localiseWithoutData()
	return tr, nil
}

// localiseWithoutData is what T answers for every known ID and no data, computed once; an ID
// go-i18n cannot localise without data (a plural form) is left out and asked each time.
func (tr *Translator) localiseWithoutData() map[string]map[string]string {
	plain := make(map[string]map[string]string, len(tr.localizers))
	for lang, loc := range tr.localizers {
		msgs := make(map[string]string, len(tr.ids))
		for id := range tr.ids {
			if msg, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id}); err == nil {
				msgs[id] = msg
			}
		}
		plain[lang] = msgs
	}
	return plain
}

func loadMessageFiles(bundle *i18n.Bundle, src fs.FS, byLang map[string]map[string]string) error {
	return fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".yaml" {
			return err
		}
		buf, err := fs.ReadFile(src, name)
		if err != nil {
			return fmt.Errorf("read message file %s: %w", name, err)
		}
		file, err := i18n.ParseMessageFileBytes(buf, name, map[string]i18n.UnmarshalFunc{"yaml": yaml.Unmarshal})
		if err != nil {
			return fmt.Errorf("parse message file %s: %w", name, err)
		}
		lang := supportedLang(file.Tag.String())
		if lang == "" {
			return fmt.Errorf("message file %s: language %q is not one of %v", name, file.Tag, tenant.Languages)
		}
		if byLang[lang] == nil {
			byLang[lang] = map[string]string{}
		}
		for _, m := range file.Messages {
			if prev, dup := byLang[lang][m.ID]; dup {
				return fmt.Errorf("message %q is defined in both %s and %s", m.ID, prev, name)
			}
			byLang[lang][m.ID] = name
		}
		if err := bundle.AddMessages(file.Tag, file.Messages...); err != nil {
			return fmt.Errorf("add messages of %s: %w", name, err)
		}
		return nil
	})
}

func checkBilingual(byLang map[string]map[string]string) error {
	var problems []string
	for _, lang := range tenant.Languages {
		for _, other := range tenant.Languages {
			for id, file := range byLang[lang] {
				if _, ok := byLang[other][id]; !ok {
					problems = append(problems, fmt.Sprintf("message %q of %s has no %s translation", id, file, other))
				}
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New(strings.Join(problems, "\n"))
}

// Has reports whether a message ID exists.
func (tr *Translator) Has(id string) bool { return tr.ids[id] }

// T returns message id in lang filled with data. A missing message shows its ID (and is
// logged) rather than failing the page: NewTranslator already proved every ID it loaded
// exists in both languages, so this only happens for an ID no file defines.
func (tr *Translator) T(lang, id string, data map[string]any) string {
	if data == nil {
		if msg, ok := tr.plain[lang][id]; ok {
			return msg
		}
	}
	loc := tr.localizers[lang]
	if loc == nil {
		loc = tr.localizers[DefaultLang]
	}
	msg, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		slog.Warn("translation missing", "id", id, "lang", lang, "err", err)
		return id
	}
	return msg
}

type langKey struct{}

// Lang is the language of the request: the one the language middleware chose, or (before
// it ran, e.g. on an error page of an unknown host) the same choice made on the spot.
func Lang(c *fiber.Ctx) string {
	if lang, ok := c.Locals(langKey{}).(string); ok {
		return lang
	}
	return chooseLang(c, currentTenant(c))
}

// T translates message id into the request's language. data fills the message's
// {{.Placeholders}}; it may be nil.
func T(c *fiber.Ctx, id string, data map[string]any) string {
	return shellOf(c).tr.T(Lang(c), id, data)
}

// rememberLanguage fixes the request's language and, when the user chose one with ?lang=,
// remembers it in a cookie so the next pages stay in that language.
func rememberLanguage(c *fiber.Ctx) error {
	lang := chooseLang(c, currentTenant(c))
	c.Locals(langKey{}, lang)
	c.Set(fiber.HeaderContentLanguage, lang)
	if supportedLang(c.Query("lang")) != "" {
		c.Cookie(&fiber.Cookie{
			Name:     sessions.CookieName(c, langCookie),
			Value:    lang,
			Path:     "/",
			MaxAge:   365 * 24 * 3600,
			HTTPOnly: true,
			Secure:   sessions.Secure(c),
			SameSite: fiber.CookieSameSiteLaxMode,
		})
	}
	return c.Next()
}

// currentTenant is the request's tenant once the tenant scope is open, nil otherwise.
func currentTenant(c *fiber.Ctx) *tenant.Tenant {
	if scope, ok := tenant.FromContext(c.UserContext()); ok {
		return scope.Tenant
	}
	return nil
}
