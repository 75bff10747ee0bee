package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Email is one rendered mail on its way to a transport.
type Email struct {
	Tenant  string // tenant code, for the dev sink
	From    string
	To      string
	ReplyTo string
	Lang    string
	Rendered
}

// Transport delivers one email. An error matching ErrPermanent means retrying cannot help.
type Transport interface {
	Send(ctx context.Context, e Email) error
}

// ErrPermanent marks a delivery failure that no retry can fix (an SMTP 5xx answer such as an
// unknown mailbox): the row is marked failed at once instead of retrying for hours.
var ErrPermanent = errors.New("permanent delivery failure")

// NewTransport picks the transport for the configuration: SMTP when smtpURL is set, the dev
// sink when it is empty and sink is given (dev mode), and both when both are: in dev mode a
// developer sees every mail at /dev/mail even when a real relay is configured.
func NewTransport(smtpURL string, sink *DevSink) (Transport, error) {
	switch {
	case smtpURL == "" && sink == nil:
		return nil, errors.New("smtp.url is required outside dev mode (the mail sink is for dev only)")
	case smtpURL == "":
		return sink, nil
	}
	smtp, err := NewSMTP(smtpURL)
	if err != nil {
		return nil, err
	}
	if sink == nil {
		return smtp, nil
	}
	return devCopy{smtp: smtp, sink: sink}, nil
}

// SMTP sends through an SMTP server with go-mail, one connection per mail.
type SMTP struct {
	host     string
	password string // kept only to scrub it from error texts
	options  []mail.Option
}

// smtpTimeout bounds one conversation with the server; the task's own timeout is longer.
const smtpTimeout = 30 * time.Second

// NewSMTP reads smtp://user:pass@host:port (STARTTLS when the server offers it; default port
// 25) or smtps://user:pass@host:port (TLS from the first byte; default port 465). Credentials
// are optional; when given, go-mail picks the strongest mechanism the server offers and never
// sends PLAIN or LOGIN over an unencrypted connection.
func NewSMTP(rawURL string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("smtp.url: must look like smtp://user:pass@host:port")
	}
	s := &SMTP{host: u.Hostname()}
	s.options = append(s.options, mail.WithTimeout(smtpTimeout))
	var port int
	switch u.Scheme {
	case "smtp":
		port = 25
		s.options = append(s.options, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "smtps":
		port = 465
		s.options = append(s.options, mail.WithSSL())
	default:
		return nil, fmt.Errorf("smtp.url: scheme must be smtp or smtps, got %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("smtp.url: bad port %q", p)
		}
	}
	s.options = append(s.options, mail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		s.password, _ = u.User.Password()
		s.options = append(s.options, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(s.password))
	}
	return s, nil
}

// Send writes e as a multipart/alternative message (text first, HTML second) and delivers it.
func (s *SMTP) Send(ctx context.Context, e Email) error {
	msg, err := buildMessage(e)
	if err != nil {
		return fmt.Errorf("build message: %v: %w", err, ErrPermanent)
	}
	client, err := mail.NewClient(s.host, s.options...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return s.classify(err, e.To)
	}
	return nil
}

func buildMessage(e Email) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(e.From); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(e.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	if e.ReplyTo != "" {
		// Replies go to the tenant's helpdesk rather than to an unread no-reply box.
		if err := msg.ReplyTo(e.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to address: %w", err)
		}
	}
	msg.Subject(e.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetGenHeader(mail.HeaderContentLang, e.Lang)
	// RFC 3834: out-of-office robots must not answer machine mail.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(mail.TypeTextPlain, e.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	return msg, nil
}

// classify turns go-mail's error into one safe to store and log: the password and the
// recipient's address (go-mail and many servers repeat it) are scrubbed, and an SMTP 5xx answer
// is marked permanent. Anything else (refused connection, timeout, 4xx) is worth a retry.
func (s *SMTP) classify(err error, recipient string) error {
	text := err.Error()
	if s.password != "" {
		text = strings.ReplaceAll(text, s.password, "***")
	}
	if recipient != "" {
		text = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(recipient)).ReplaceAllString(text, "(recipient)")
	}
	var sendErr *mail.SendError
	if errors.As(err, &sendErr) && sendErr.ErrorCode() >= 500 && sendErr.ErrorCode() < 600 {
		return fmt.Errorf("smtp: %s: %w", text, ErrPermanent)
	}
	return fmt.Errorf("smtp: %s", text)
}

// devCopy sends through SMTP and keeps a copy in the dev sink. A failure to keep the copy is
// not a failed delivery: reporting it would make the worker send the mail again.
type devCopy struct {
	smtp *SMTP
	sink *DevSink
}

func (d devCopy) Send(ctx context.Context, e Email) error {
	if err := d.smtp.Send(ctx, e); err != nil {
		return err
	}
	if err := d.sink.Send(context.WithoutCancel(ctx), e); err != nil {
		slog.WarnContext(ctx, "mail sent but not copied to the dev sink", "tenant", e.Tenant, "err", err)
	}
	return nil
}
