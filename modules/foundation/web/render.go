package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// layoutName is the base layout every page is rendered in; its {{.Body}} is the page.
const layoutName = "layouts/base"

// views renders pages: the page template into a pooled buffer, then the layout around it
// with the page's HTML as Page.Body, into a second pooled buffer that becomes the response
// body. The template set is parsed once and only executed afterwards, so renders run in
// parallel with no lock (html/template's execution is safe for concurrent use); both steps
// are escaped by html/template as usual, and the page's output is trusted in the layout
// because html/template produced it. Fiber's own c.Render is not used: its first call
// initialises app state without a lock.
type views struct {
	set *template.Template
}

// newViews parses the shell's templates plus the modules' own into one set.
// A template is named by its path without ".html" ("web/landing"); modules keep theirs
// in a folder named after the module ("account/login") and a name used twice is refused.
// Every template can call {{date .X}} and {{datetime .X}} (Malaysia time, dd/mm/yyyy): the
// functions are registered here once, and the modules' templates join the same set.
func newViews(extra []fs.FS) (*views, error) {
	own, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	set := template.New("").Funcs(myt.Funcs())
	for _, src := range append([]fs.FS{own}, extra...) {
		if err := addTemplates(set, src); err != nil {
			return nil, err
		}
	}
	if set.Lookup(layoutName) == nil {
		return nil, fmt.Errorf("templates: layout %s is missing", layoutName)
	}
	return &views{set: set}, nil
}

// renderBuffers holds the buffers pages and layouts are rendered into.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps an unusually large page's buffer out of the pool.
const maxPooledBuffer = 1 << 20

func getBuffer() *bytes.Buffer {
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	return buf
}

func putBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		renderBuffers.Put(buf)
	}
}

// send renders template name inside the layout as c's HTML body; on an error nothing of
// the page is sent.
func (v *views) send(c *fiber.Ctx, name string, p *Page) error {
	tmpl := v.set.Lookup(name)
	if tmpl == nil {
		return fmt.Errorf("render: template %s does not exist", name)
	}
	page, out := getBuffer(), getBuffer()
	defer putBuffer(page)
	defer putBuffer(out)
	if err := tmpl.Execute(page, p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	p.body = template.HTML(page.String()) //nolint:gosec // html/template's own output
	if err := v.set.Lookup(layoutName).Execute(out, p); err != nil {
		return fmt.Errorf("render %s in its layout: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Response().SetBody(out.Bytes()) // a copy: the buffer goes back to the pool
	return nil
}

// addTemplates parses a file system's *.html files into the set.
func addTemplates(set *template.Template, src fs.FS) error {
	return fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".html" {
			return err
		}
		id := strings.TrimSuffix(name, ".html")
		if set.Lookup(id) != nil {
			return fmt.Errorf("template %q is defined twice", id)
		}
		buf, err := fs.ReadFile(src, name)
		if err != nil {
			return fmt.Errorf("read template %s: %w", name, err)
		}
		if _, err := set.New(id).Parse(string(buf)); err != nil {
			return fmt.Errorf("parse template %s: %w", name, err)
		}
		return nil
	})
}

// CSRFTokenLocal is the c.Locals key under which the session middleware leaves the
// request's CSRF token; Render puts it in the page so forms can send it back.
const CSRFTokenLocal = "csrf_token"

// Page is what every template sees: the layout's data plus the page's own in Data.
// Templates translate with {{.T "message_id"}} or {{.T "id" "Name" .Tenant.Name}}.
type Page struct {
	Lang      string
	Title     string
	SiteName  string
	Tagline   string
	Footer    string
	HomeURL   string // "" when the host has no home page (unknown host)
	LoginURL  string
	LogoURL   string
	ThemeURL  string
	Languages []LangLink
	Viewer    *Viewer        // the signed-in person; nil for a visitor
	Nav       []NavLink      // the main navigation Viewer's roles open
	Tenant    *tenant.Tenant // nil on the platform host and on unknown hosts
	Platform  bool
	RequestID string
	CSRFToken string
	Data      any

	tr     *Translator
	assets *assets
	body   template.HTML // the rendered page, for the layout
}

// Body is the page's own HTML, rendered before the layout that shows it.
func (p *Page) Body() template.HTML { return p.body }

// LangLink is one entry of the language switch.
type LangLink struct {
	Code    string
	Name    string
	URL     string
	Current bool
}

// T translates id into the page's language; kv are placeholder name/value pairs.
func (p *Page) T(id string, kv ...any) string {
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return p.tr.T(p.Lang, id, data)
}

// Asset is the versioned URL of a static file.
func (p *Page) Asset(name string) string { return p.assets.URL(name) }

// CSRFField is the hidden form field carrying the CSRF token, empty without a session.
func (p *Page) CSRFField() template.HTML {
	if p.CSRFToken == "" {
		return ""
	}
	return template.HTML(`<input type="hidden" name="csrf_token" value="` + template.HTMLEscapeString(p.CSRFToken) + `">`)
}

// Render renders template name (e.g. "account/login") inside the base layout with data
// as the page's Data. The page title is the message "<name with / as _>_title" when a
// module defines one (account_login_title); the status is whatever the handler set.
func Render(c *fiber.Ctx, name string, data any) error {
	s := shellOf(c)
	t := currentTenant(c)
	p := s.newPage(c, t, Lang(c), data)
	if id := strings.ReplaceAll(name, "/", "_") + "_title"; s.tr.Has(id) {
		p.Title = p.T(id)
	}
	if t != nil {
		p.ThemeURL = s.themeURL(t)
	}
	return s.views.send(c, name, p)
}

// newPage fills the layout data for tenant t (nil on the platform or an unknown host).
func (s *shell) newPage(c *fiber.Ctx, t *tenant.Tenant, lang string, data any) *Page {
	p := &Page{
		Lang:      lang,
		Tenant:    t,
		Platform:  tenant.IsPlatform(c.UserContext()),
		RequestID: requestIDOf(c),
		Data:      data,
		tr:        s.tr,
		assets:    s.assets,
	}
	p.CSRFToken, _ = c.Locals(CSRFTokenLocal).(string)
	p.Languages = langLinks(c, s.tr, lang)
	p.Viewer = viewerOf(c)
	p.Nav = p.navFor(s.nav, p.Viewer, c.Path())
	year := myt.In(time.Now()).Year()
	switch {
	case t != nil:
		p.SiteName = p.T("site_name_tenant", "Name", t.Name)
		p.Tagline = p.T("site_tagline_tenant")
		p.Footer = p.T("footer_tenant", "Year", year, "Name", t.Name)
		p.HomeURL, p.LoginURL = "/", "/login"
		p.LogoURL = sameOriginPath(t.Branding.LogoURL)
	case p.Platform:
		p.SiteName = p.T("site_name_platform")
		p.Tagline = p.T("site_tagline_platform")
		p.Footer = p.T("footer_platform", "Year", year)
		p.HomeURL, p.LoginURL = "/", "/platform/login"
	default: // unknown host: nothing that names a tenant
		p.SiteName = p.T("site_name_generic")
		p.Tagline = p.T("site_tagline_platform")
		p.Footer = p.T("footer_platform", "Year", year)
	}
	return p
}

// langLinks builds the language switch: the current path and query with lang replaced.
func langLinks(c *fiber.Ctx, tr *Translator, current string) []LangLink {
	query := url.Values{}
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		query.Add(string(k), string(v))
	})
	base := utils.CopyString(c.Path())
	links := make([]LangLink, 0, len(tenant.Languages))
	for _, lang := range tenant.Languages {
		query.Set("lang", lang)
		links = append(links, LangLink{
			Code:    lang,
			Name:    tr.T(lang, "lang_name_"+lang, nil),
			URL:     base + "?" + query.Encode(),
			Current: lang == current,
		})
	}
	return links
}

// sameOriginPath lets a logo through only when it is a path on this host: the CSP allows
// images from 'self' alone, and an absolute URL would be a request to a third party.
func sameOriginPath(u string) string {
	if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !strings.ContainsAny(u, "\\\"'<> ") {
		return u
	}
	return ""
}
