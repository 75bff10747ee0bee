package notify

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	texttemplate "text/template"

	"github.com/speks-portal/speks/tenant"
)

// Languages of the mail templates; Malay is the default.
const (
	LangMalay   = "ms"
	LangEnglish = "en"
)

// Template names: the values of Message.Template. The data keys of each are in doc.go.
const (
	TemplateOneTimeCode      = "one_time_code"
	TemplateVerifyEmail      = "verify_email"
	TemplatePasswordChanged  = "password_changed"
	TemplateEmailChange      = "email_change"
	TemplatePayslipReady     = "payslip_ready"
	TemplateStatementReady   = "statement_ready"
	TemplateRequestPending   = "request_pending"
	TemplateRequestDecided   = "request_decided"
	TemplateAccountCancelled = "account_cancelled"
)

// Values of the user-administration request templates (modules/requests): the kind of
// request, the approval step waiting for the recipient, and what became of a request.
const (
	StepHead     = "head"
	StepTreasury = "treasury"

	OutcomeHeadApproved = "head_approved"
	OutcomeRejected     = "rejected"
	OutcomeCompleted    = "completed"
	OutcomeFailed       = "failed"
)

// Purposes of a one-time code (data key "purpose" of TemplateOneTimeCode).
const (
	PurposeFirstLogin     = "first_login"
	PurposePasswordReset  = "password_reset"
	PurposeAccountCreated = "account_created"
)

// valueKind is what a data value must look like; checked at Enqueue so a caller's mistake
// fails inside its own request instead of as an undeliverable mail later.
type valueKind int

const (
	kindText valueKind = iota
	kindLink
	kindCount
	kindMonth
	kindYear
	kindPurpose
	kindRequestKind
	kindRequestStep
	kindRequestOutcome
)

// enumValues are the values an enumerated kind accepts; templates turn each into words.
var enumValues = map[valueKind][]string{
	kindPurpose:        {PurposeFirstLogin, PurposePasswordReset, PurposeAccountCreated},
	kindRequestKind:    {"new_user", "change_access", "deactivate"},
	kindRequestStep:    {StepHead, StepTreasury},
	kindRequestOutcome: {OutcomeHeadApproved, OutcomeRejected, OutcomeCompleted, OutcomeFailed},
}

type templateSpec struct {
	required map[string]valueKind
	optional map[string]valueKind
}

// catalogue lists every template and its data keys (documented in doc.go).
var catalogue = map[string]templateSpec{
	TemplateOneTimeCode: {
		required: map[string]valueKind{"name": kindText, "code": kindText, "purpose": kindPurpose, "expires_minutes": kindCount},
		optional: map[string]valueKind{"link": kindLink},
	},
	TemplateVerifyEmail: {
		required: map[string]valueKind{"name": kindText, "link": kindLink, "expires_hours": kindCount},
	},
	TemplatePasswordChanged: {
		required: map[string]valueKind{"name": kindText, "changed_at": kindText},
	},
	TemplateEmailChange: {
		required: map[string]valueKind{"name": kindText, "link": kindLink, "expires_hours": kindCount},
	},
	TemplatePayslipReady: {
		required: map[string]valueKind{"name": kindText, "year": kindYear, "month": kindMonth, "link": kindLink},
	},
	TemplateStatementReady: {
		required: map[string]valueKind{"name": kindText, "year": kindYear, "link": kindLink},
	},
	TemplateRequestPending: {
		required: map[string]valueKind{"name": kindText, "kind": kindRequestKind, "person": kindText, "step": kindRequestStep},
		optional: map[string]valueKind{"link": kindLink},
	},
	TemplateRequestDecided: {
		required: map[string]valueKind{"name": kindText, "kind": kindRequestKind, "person": kindText, "outcome": kindRequestOutcome},
		optional: map[string]valueKind{"link": kindLink, "reason": kindText},
	},
	TemplateAccountCancelled: {
		required: map[string]valueKind{"name": kindText},
	},
}

// Templates returns the template names, sorted.
func Templates() []string {
	names := make([]string, 0, len(catalogue))
	for name := range catalogue {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (s templateSpec) check(data map[string]any) error {
	var problems []string
	for key, kind := range s.required {
		v, ok := data[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("missing %q", key))
			continue
		}
		if err := kind.check(v); err != nil {
			problems = append(problems, fmt.Sprintf("%q %v", key, err))
		}
	}
	for key, v := range data {
		if _, ok := s.required[key]; ok {
			continue
		}
		kind, ok := s.optional[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown key %q", key))
			continue
		}
		if err := kind.check(v); err != nil {
			problems = append(problems, fmt.Sprintf("%q %v", key, err))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// numberRanges bounds the numeric kinds.
var numberRanges = map[valueKind][2]int{kindCount: {1, 10000}, kindMonth: {1, 12}, kindYear: {2000, 2100}}

// check reports what is wrong with v, never v itself: values may be one-time codes.
func (k valueKind) check(v any) error {
	switch k {
	case kindText:
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" || len(s) > 500 {
			return errors.New("must be a non-empty string of at most 500 bytes")
		}
	case kindLink:
		s, _ := v.(string)
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > 2000 {
			return errors.New("must be an absolute http(s) URL")
		}
	case kindPurpose, kindRequestKind, kindRequestStep, kindRequestOutcome:
		s, _ := v.(string)
		if !slices.Contains(enumValues[k], s) {
			return fmt.Errorf("must be one of %s", strings.Join(enumValues[k], ", "))
		}
	default:
		n, err := asInt(v)
		if err != nil {
			return err
		}
		r := numberRanges[k]
		if n < r[0] || n > r[1] {
			return fmt.Errorf("must be between %d and %d", r[0], r[1])
		}
	}
	return nil
}

// asInt accepts the integer shapes a value takes before and after its JSON round trip.
func asInt(v any) (int, error) {
	switch n := v.(type) {
	case int:
		return n, nil
	case int32:
		return int(n), nil
	case int64:
		return int(n), nil
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1e9 {
			return int(n), nil
		}
	case json.Number:
		i, err := n.Int64()
		if err == nil {
			return int(i), nil
		}
	}
	return 0, errors.New("must be a whole number")
}

//go:embed templates
var templateFS embed.FS

// Rendered is a mail ready for a transport.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// brand is what the footer and header show of the tenant.
type brand struct {
	Name          string
	HelpdeskEmail string
	HelpdeskPhone string
	Colour        string
}

// view is the value every template executes on.
type view struct {
	Lang    string
	Subject string
	Tenant  brand
	Data    map[string]any
}

type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// sets holds one parsed pair per language and template; the files are embedded, so a parse
// error is a build defect and the tests catch it.
var sets = mustParseTemplates()

var colourPattern = regexp.MustCompile(`^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$`)

const defaultColour = "#1f4e79"

// Render produces the subject, text and HTML of a template in lang for tenant t. Missing data
// keys are errors (missingkey=error), never blanks in a mail.
func Render(name, lang string, t *tenant.Tenant, data map[string]any) (Rendered, error) {
	set, ok := sets[lang+"/"+name]
	if !ok {
		return Rendered{}, fmt.Errorf("render mail: no template %s in language %q", name, lang)
	}
	v := view{Lang: lang, Data: data, Tenant: brand{
		Name: t.Name, HelpdeskEmail: t.HelpdeskEmail, HelpdeskPhone: t.HelpdeskPhone, Colour: defaultColour,
	}}
	if colourPattern.MatchString(t.Branding.PrimaryColour) {
		v.Tenant.Colour = t.Branding.PrimaryColour
	}
	var subject, text, html bytes.Buffer
	if err := set.text.ExecuteTemplate(&subject, "subject", v); err != nil {
		return Rendered{}, fmt.Errorf("render mail %s/%s subject: %w", lang, name, err)
	}
	// Header injection is impossible through go-mail, but a subject on one line reads better.
	v.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := set.text.ExecuteTemplate(&text, "text", v); err != nil {
		return Rendered{}, fmt.Errorf("render mail %s/%s text: %w", lang, name, err)
	}
	if err := set.html.ExecuteTemplate(&html, "html", v); err != nil {
		return Rendered{}, fmt.Errorf("render mail %s/%s html: %w", lang, name, err)
	}
	return Rendered{Subject: v.Subject, Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}

var monthNames = map[string][12]string{
	LangMalay:   {"Januari", "Februari", "Mac", "April", "Mei", "Jun", "Julai", "Ogos", "September", "Oktober", "November", "Disember"},
	LangEnglish: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

func funcs(lang string) map[string]any {
	return map[string]any{
		"month": func(v any) (string, error) {
			n, err := asInt(v)
			if err != nil || n < 1 || n > 12 {
				return "", errors.New("month out of range")
			}
			return monthNames[lang][n-1], nil
		},
		"int": asInt,
		// button hands a link and its label to the shared "html_button" block.
		"button": func(link any, label string) map[string]any {
			return map[string]any{"Link": link, "Label": label}
		},
	}
}

func mustParseTemplates() map[string]templateSet {
	out := map[string]templateSet{}
	for _, lang := range []string{LangMalay, LangEnglish} {
		layout := "templates/" + lang + "/layout.tmpl"
		for name := range catalogue {
			file := "templates/" + lang + "/" + name + ".tmpl"
			text := texttemplate.Must(texttemplate.New(name).Funcs(funcs(lang)).Option("missingkey=error").
				ParseFS(templateFS, layout, file))
			html := htmltemplate.Must(htmltemplate.New(name).Funcs(funcs(lang)).Option("missingkey=error").
				ParseFS(templateFS, layout, file))
			out[lang+"/"+name] = templateSet{text: text, html: html}
		}
	}
	return out
}
