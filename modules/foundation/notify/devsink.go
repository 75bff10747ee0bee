package notify

import (
	"context"
	_ "embed"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/foundation/web/myt"
	"github.com/speks-portal/speks/tenant"
)

// DevSink is the dev-mode mail transport: instead of leaving the machine, every mail is kept in
// the platform table dev_mail and shown at GET /dev/mail on the platform host. PostgreSQL
// rather than memory, because the worker sends and the web server shows (two processes), and
// rather than Redis, because mail written while Redis was down must still show once relayed,
// and every test already gets a database of its own.
type DevSink struct {
	db *sqlx.DB
	// keep bounds the table: a developer needs the recent mail, not every mail of a month of
	// demo runs.
	keep int
}

// NewDevSink keeps mail in the platform (public schema) database.
func NewDevSink(public *sqlx.DB) *DevSink { return &DevSink{db: public, keep: 500} }

// SinkMail is one kept mail as /dev/mail?format=json shows it.
type SinkMail struct {
	Tenant  string    `db:"tenant_code" json:"tenant"`
	To      string    `db:"recipient" json:"to"`
	Subject string    `db:"subject" json:"subject"`
	Text    string    `db:"body_text" json:"text"`
	HTML    string    `db:"body_html" json:"-"`
	SentAt  time.Time `db:"sent_at" json:"sent_at"`
}

// Send keeps e and trims the table to the newest mails.
func (s *DevSink) Send(ctx context.Context, e Email) error {
	_, err := s.db.ExecContext(ctx, `WITH kept AS (
			INSERT INTO dev_mail (tenant_code, recipient, subject, body_text, body_html)
			VALUES ($1, $2, $3, $4, $5) RETURNING id)
		DELETE FROM dev_mail WHERE id <= (SELECT id FROM kept) - $6`,
		e.Tenant, e.To, e.Subject, e.Text, e.HTML, s.keep)
	if err != nil {
		return fmt.Errorf("dev mail sink: %w", err)
	}
	return nil
}

// List returns the kept mail newest first, only mail to `to` when it is not empty.
func (s *DevSink) List(ctx context.Context, to string) ([]SinkMail, error) {
	mails := []SinkMail{}
	err := s.db.SelectContext(ctx, &mails, `SELECT tenant_code, recipient, subject, body_text, body_html, sent_at
		FROM dev_mail WHERE $1 = '' OR lower(recipient) = lower($1) ORDER BY id DESC`, to)
	if err != nil {
		return nil, fmt.Errorf("list dev mail: %w", err)
	}
	return mails, nil
}

// DevMail is the web module of the sink: GET /dev/mail on the platform host, in dev mode only.
// Everywhere else the route does not exist (404), so a production deployment or a tenant host
// never shows anyone's mail.
type DevMail struct {
	Sink    *DevSink
	Enabled bool
}

// Mount adds GET /dev/mail and its stylesheet.
func (m *DevMail) Mount(app *fiber.App) {
	app.Get("/dev/mail", m.handle)
	app.Get("/dev/mail.css", m.stylesheet)
}

// shown reports whether this request may see the sink.
func (m *DevMail) shown(c *fiber.Ctx) bool {
	return m.Enabled && m.Sink != nil && tenant.IsPlatform(c.UserContext())
}

func (m *DevMail) stylesheet(c *fiber.Ctx) error {
	if !m.shown(c) {
		return c.Next()
	}
	c.Type("css", "utf-8")
	return c.SendString(devMailCSS)
}

func (m *DevMail) handle(c *fiber.Ctx) error {
	if !m.shown(c) {
		return c.Next()
	}
	mails, err := m.Sink.List(c.UserContext(), strings.TrimSpace(c.Query("to")))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Query("format") == "json" {
		return c.JSON(mails)
	}
	c.Type("html", "utf-8")
	return devMailPage.Execute(c.Response().BodyWriter(), mails)
}

//go:embed devmail.html
var devMailHTML string

//go:embed devmail.css
var devMailCSS string

// The sink is not rendered by the web shell, so it adds the shell's date functions itself.
var devMailPage = htmltemplate.Must(htmltemplate.New("devmail").Funcs(myt.Funcs()).Funcs(htmltemplate.FuncMap{
	"linkify": linkify,
}).Parse(devMailHTML))

var linkPattern = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify escapes text and turns http(s) URLs in it into links, so a developer can follow a
// verification link or the login page straight from the sink.
func linkify(text string) htmltemplate.HTML {
	var b strings.Builder
	last := 0
	for _, loc := range linkPattern.FindAllStringIndex(text, -1) {
		b.WriteString(htmltemplate.HTMLEscapeString(text[last:loc[0]]))
		link := htmltemplate.HTMLEscapeString(text[loc[0]:loc[1]])
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, link, link)
		last = loc[1]
	}
	b.WriteString(htmltemplate.HTMLEscapeString(text[last:]))
	return htmltemplate.HTML(b.String()) //nolint:gosec // every piece above is escaped
}
