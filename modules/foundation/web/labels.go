package web

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// LabelGroup is a family of codes the portal stores and shows to people: roles, audit
// actions, feed kinds. Their names in both languages live in web's message files as
// "<group>.<code>" (label_role.treasury) and are looked up only here, so the IT officer's
// console, the audit trail, the requests pages and the platform console name a code the
// same way.
type LabelGroup string

const (
	RoleLabels        LabelGroup = "label_role"
	AuditActionLabels LabelGroup = "label_audit_action"
	FeedKindLabels    LabelGroup = "label_feed_kind"
	// ActorLabels names the actors that are not people (anonymous, the scheduler, an API key).
	ActorLabels LabelGroup = "label_actor"
)

// Label is the name of code in lang. A code without a name shows as stored, so a new code
// is never hidden; the label tests keep the known codes named.
func (tr *Translator) Label(lang string, g LabelGroup, code string) string {
	id := string(g) + "." + code
	if !tr.Has(id) {
		return code
	}
	return tr.T(lang, id, nil)
}

// LabelledCode is a code with its name, for a choice list.
type LabelledCode struct {
	Code, Name string
}

// Labelled lists every named code of group g with its name in lang, in the alphabetical
// order of the names, so a person finds an entry in a choice list by its name.
func (tr *Translator) Labelled(lang string, g LabelGroup) []LabelledCode {
	prefix := string(g) + "."
	var out []LabelledCode
	for id := range tr.ids {
		if code, ok := strings.CutPrefix(id, prefix); ok {
			out = append(out, LabelledCode{Code: code, Name: tr.T(lang, id, nil)})
		}
	}
	order := collate.New(language.Make(lang), collate.IgnoreCase)
	sort.Slice(out, func(i, j int) bool { return order.CompareString(out[i].Name, out[j].Name) < 0 })
	return out
}

// Label names code in the request's language, for handlers that build text themselves.
func Label(c *fiber.Ctx, g LabelGroup, code string) string {
	return shellOf(c).tr.Label(Lang(c), g, code)
}

// RoleName is the name of a role in the page's language: {{$.RoleName "treasury"}}. The
// code may be any string type (templates pass typed codes as they are).
func (p *Page) RoleName(code any) string { return p.tr.Label(p.Lang, RoleLabels, fmt.Sprint(code)) }

// AuditActionName is the name of an audit action: {{$.AuditActionName .Action}}.
func (p *Page) AuditActionName(code any) string {
	return p.tr.Label(p.Lang, AuditActionLabels, fmt.Sprint(code))
}

// FeedKindName is the name of a feed kind: {{$.FeedKindName .Kind}}.
func (p *Page) FeedKindName(code any) string {
	return p.tr.Label(p.Lang, FeedKindLabels, fmt.Sprint(code))
}

// ActorName is the name of an audit actor: a person's label as recorded ("Rohani #12"),
// or the name of an actor that is not a person; "apikey:<name>" names the key.
func (p *Page) ActorName(actor string) string {
	if name, ok := strings.CutPrefix(actor, "apikey:"); ok {
		return p.T(string(ActorLabels)+".apikey", "Name", name)
	}
	return p.tr.Label(p.Lang, ActorLabels, actor)
}

// AuditActions lists every named audit action for the audit trail's filter.
func (p *Page) AuditActions() []LabelledCode { return p.tr.Labelled(p.Lang, AuditActionLabels) }
