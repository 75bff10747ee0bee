package webtest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core 4.14.1 (the npm package `axe-core`, axe/axe.min.js, unmodified; MPL-2.0,
// its licence in axe/LICENSE), vendored so the browser tests need no Node.js or network.
//
//go:embed axe/axe.min.js
var axeSource string

// Violation is one axe-core rule a page breaks, with the elements that break it.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []string `json:"target"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	targets := make([]string, 0, len(v.Nodes))
	for _, n := range v.Nodes {
		targets = append(targets, strings.Join(n.Target, " "))
	}
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(targets, ", "))
}

// axeRun checks the page against WCAG 2.1 A and AA and answers the serious and critical
// violations as JSON. DevTools evaluation is not bound by the page's CSP, so the page needs no
// exception for the test.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
	.then(r => JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical")))`

// Violations runs axe-core on the page as it is now and returns its serious and critical
// violations.
func (tab *Tab) Violations() []Violation {
	tab.t.Helper()
	if !run(tab, "look for axe", chromedp.Evaluate[bool](`typeof axe === "object"`)) {
		run(tab, "inject axe-core", chromedp.Evaluate[any](axeSource+";true"))
	}
	raw := run(tab, "run axe-core", chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	var vs []Violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tab.t.Fatalf("webtest: axe-core's answer: %v", err)
	}
	return vs
}

// ExpectAccessible fails the test for every serious or critical axe-core violation on the page.
func (tab *Tab) ExpectAccessible() {
	tab.t.Helper()
	url := run(tab, "location", chromedp.Evaluate[string]("location.href"))
	for _, v := range tab.Violations() {
		tab.t.Errorf("%s: %s", url, v)
	}
}
