package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/tenant"
)

// Message is one mail a module wants sent. Data holds the template's values (see the catalogue
// in doc.go); Lang is "ms" or "en", and when empty the tenant's default language (Malay unless
// the tenant chose otherwise). DedupKey is optional: a second
// Enqueue with the same key in the same tenant is a no-op, so a retried caller never queues the
// same mail twice.
type Message struct {
	To       string
	Template string
	Lang     string
	Data     map[string]any
	DedupKey string
}

// ErrInvalidMessage is returned (wrapped, with the reason) for a message that could never be
// sent: a bad address, an unknown template or language, a missing or malformed value. It is a
// programming error of the caller, reported at once rather than after the commit.
var ErrInvalidMessage = errors.New("invalid mail message")

// notifyChannel is the PostgreSQL channel the relay listens on; the payload is the schema of
// the tenant whose outbox has new rows.
const notifyChannel = "speks_outbox"

// Enqueue writes m to the outbox of the tenant whose search_path tx runs with, inside tx: the
// mail exists if and only if the caller's transaction commits. It also signals the relay
// (NOTIFY, which PostgreSQL delivers only on commit) so the mail leaves within a second.
func Enqueue(ctx context.Context, tx *sqlx.Tx, m Message) error {
	fallback := LangMalay
	if scope, ok := tenant.FromContext(ctx); ok && scope.Tenant.DefaultLanguage != "" {
		fallback = scope.Tenant.DefaultLanguage
	}
	if err := m.normalise(fallback); err != nil {
		return err
	}
	data, err := json.Marshal(m.Data)
	if err != nil {
		return fmt.Errorf("%w: data of %s: %v", ErrInvalidMessage, m.Template, err)
	}
	var dedup any
	if m.DedupKey != "" {
		dedup = m.DedupKey
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (recipient, template, lang, data, dedup_key)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedup_key) DO NOTHING`,
		m.To, m.Template, m.Lang, string(data), dedup); err != nil { // jsonb as text: the pool sends []byte in binary
		return fmt.Errorf("enqueue mail %s: %w", m.Template, err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, current_schema())`, notifyChannel); err != nil {
		return fmt.Errorf("enqueue mail %s: notify relay: %w", m.Template, err)
	}
	return nil
}

// normalise checks m against the template catalogue and fills the default language.
func (m *Message) normalise(defaultLang string) error {
	addr, err := mail.ParseAddress(strings.TrimSpace(m.To))
	if err != nil || strings.ContainsAny(addr.Address, "\r\n") {
		return fmt.Errorf("%w: recipient is not an email address", ErrInvalidMessage)
	}
	m.To = addr.Address // the bare address: display names come from our own templates
	m.Lang = strings.ToLower(strings.TrimSpace(m.Lang))
	if m.Lang == "" {
		m.Lang = defaultLang
	}
	if m.Lang != LangMalay && m.Lang != LangEnglish {
		return fmt.Errorf("%w: language %q (want ms or en)", ErrInvalidMessage, m.Lang)
	}
	spec, ok := catalogue[m.Template]
	if !ok {
		return fmt.Errorf("%w: unknown template %q", ErrInvalidMessage, m.Template)
	}
	if len(m.DedupKey) > 200 {
		return fmt.Errorf("%w: dedup key longer than 200 characters", ErrInvalidMessage)
	}
	if err := spec.check(m.Data); err != nil {
		return fmt.Errorf("%w: template %s: %v", ErrInvalidMessage, m.Template, err)
	}
	return nil
}
