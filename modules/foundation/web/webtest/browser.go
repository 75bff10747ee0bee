package webtest

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// DefaultChromium is Debian's Chromium, which `make test` installs; SPEKS_CHROMIUM overrides.
const DefaultChromium = "/usr/bin/chromium"

// ActionTimeout bounds one browser action (a navigation, a click, a query).
const ActionTimeout = 20 * time.Second

// Browser is one headless Chromium with a fresh profile, closed when the test ends.
type Browser struct {
	ctx context.Context
}

// chromiumPath is the browser to run. A missing browser fails the test: skipping would let
// every page test pass silently on a machine that cannot run them.
func chromiumPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv("SPEKS_CHROMIUM")
	if path == "" {
		path = DefaultChromium
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("webtest: Chromium not found at %s (%v). Run `make test`, which installs Debian's chromium package, or set SPEKS_CHROMIUM.", path, err)
	}
	return path
}

// NewBrowser starts Chromium headless, with no sandbox (tests run as root in containers),
// no GPU, no QUIC, no background traffic, and a profile of its own.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true), // test traffic stays on loopback
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser and binds it to ctx, which has no deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("webtest: start Chromium: %v", err)
	}
	return &Browser{ctx: ctx}
}

// Tab is one browser tab. It records every console message, exception and browser log
// entry (failed requests, CSP violations) from the moment it opens.
type Tab struct {
	t   testing.TB
	ctx context.Context

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
	barriers chan string
	seq      int
}

// barrierPrefix marks the console lines Tab writes itself to know it has read everything.
const barrierPrefix = "webtest-barrier-"

// NewTab opens a tab, closed when the test ends.
func (b *Browser) NewTab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("webtest: open tab: %v", err)
	}
	tab := &Tab{t: t, ctx: ctx, barriers: make(chan string, 16)}
	messages := chromedp.Console(ctx) // subscribed now; read in the background
	go tab.collect(messages)
	return tab
}

func (tab *Tab) collect(messages iter.Seq2[chromedp.ConsoleMessage, error]) {
	for m, err := range messages {
		if err != nil {
			return
		}
		if strings.HasPrefix(m.Text, barrierPrefix) {
			tab.barriers <- m.Text
			continue
		}
		tab.mu.Lock()
		tab.messages = append(tab.messages, m)
		tab.mu.Unlock()
	}
}

// Context is the tab's chromedp context, for actions this helper does not wrap.
func (tab *Tab) Context() context.Context { return tab.ctx }

// run runs one action with ActionTimeout.
func run[T any](tab *Tab, what string, action chromedp.Action[T]) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tab.t.Fatalf("webtest: %s: %v", what, err)
	}
	return v
}

// Open navigates to url, waits for the page to load and returns the HTTP status.
func (tab *Tab) Open(url string) int {
	tab.t.Helper()
	res := run(tab, "open "+url, chromedp.NavigateResponse(url))
	return int(res.Status)
}

// Click clicks the element css selects and waits for the page it leads to; it returns the
// HTTP status of that page.
func (tab *Tab) Click(css string) int {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, ActionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		tab.t.Fatalf("webtest: click %s: %v", css, err)
	}
	return int(res.Status)
}

// Toggle clicks the element css selects where the click leads to no other page (a
// disclosure's summary, a checkbox) and returns once the click is done.
func (tab *Tab) Toggle(css string) {
	tab.t.Helper()
	run(tab, "click "+css, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// Text is the visible text of the first element css selects.
func (tab *Tab) Text(css string) string {
	tab.t.Helper()
	return strings.TrimSpace(run(tab, "text of "+css, chromedp.Text(chromedp.CSS(css))))
}

// Attr is the attribute name of the first element css selects ("" when absent).
func (tab *Tab) Attr(css, name string) string {
	tab.t.Helper()
	return run(tab, "attribute "+name+" of "+css, chromedp.AttributeValue(chromedp.CSS(css), name)).Value
}

// Count is how many elements css selects now (no waiting).
func (tab *Tab) Count(css string) int {
	tab.t.Helper()
	return run(tab, "count "+css, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", css)))
}

// PressTab presses the Tab key once, as a keyboard user moving to the next control.
func (tab *Tab) PressTab() {
	tab.t.Helper()
	run(tab, "press Tab", chromedp.KeyEvent(kb.Tab))
}

// PressEnter presses Enter on the focused control, as a keyboard user following a link or
// sending a form, waits for the page it leads to and returns that page's HTTP status.
func (tab *Tab) PressEnter() int {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, ActionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(kb.Enter))
	if err != nil {
		tab.t.Fatalf("webtest: press Enter on %s: %v", Eval[string](tab, "document.activeElement.outerHTML.slice(0, 80)"), err)
	}
	return int(res.Status)
}

// Type types text into the focused control key by key, as a person at a keyboard.
func (tab *Tab) Type(text string) {
	tab.t.Helper()
	run(tab, "type", chromedp.KeyEvent(text))
}

// FocusVisible reports whether the focused element shows a focus indicator (an outline or
// a box shadow), as a keyboard user needs to see where they are.
func (tab *Tab) FocusVisible() bool {
	tab.t.Helper()
	return Eval[bool](tab, `(() => { const s = getComputedStyle(document.activeElement);
		return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none"; })()`)
}

// Fill sets the value of each form field (by CSS selector) as a person typing it would
// leave it, and fails the test when a field is not on the page.
func (tab *Tab) Fill(fields map[string]string) {
	tab.t.Helper()
	for css, value := range fields {
		js := "(() => { const e = document.querySelector(" + strconv.Quote(css) + "); if (!e) return false; e.value = " +
			strconv.Quote(value) + "; return true; })()"
		if !Eval[bool](tab, js) {
			tab.t.Fatalf("webtest: no field %s on %s", css, Eval[string](tab, "location.href"))
		}
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its JSON value into T.
func Eval[T any](tab *Tab, expression string) T {
	tab.t.Helper()
	return run(tab, "evaluate "+expression, chromedp.Evaluate[T](expression))
}

// Phone makes the viewport a 390×844 phone (touch, mobile, 3× scale).
func (tab *Tab) Phone() {
	tab.t.Helper()
	run(tab, "emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile))
}

// ExpectTableInItsBox fails the test when, at the tab's width, the page scrolls sideways,
// the table css has no rows or spills out of the window, or the table is wider than its box
// without scrolling inside it: a wide table must scroll on its own, not drag the page.
func (tab *Tab) ExpectTableInItsBox(css string) {
	tab.t.Helper()
	if tab.Count(css+" tbody tr") == 0 {
		tab.t.Fatalf("webtest: no rows in %s: %s", css, tab.Text("main"))
	}
	q := fmt.Sprintf("document.querySelector(%q)", css)
	// A phone widens its layout viewport to fit content that overflows, so the window is
	// the narrower of the viewport and the screen.
	page := Eval[[]int](tab, "[document.documentElement.scrollWidth, Math.min(window.innerWidth, screen.width)]")
	if page[0] > page[1] {
		tab.t.Errorf("webtest: the page scrolls sideways: %d px wide in a %d px window", page[0], page[1])
	}
	box := Eval[[]float64](tab, "(() => { const r = "+q+".getBoundingClientRect(); return [r.left, r.right, Math.min(window.innerWidth, screen.width)]; })()")
	if box[0] < 0 || box[1] > box[2] {
		tab.t.Errorf("webtest: %s spills out of the window: left %.0f, right %.0f of %.0f", css, box[0], box[1], box[2])
	}
	wide := Eval[bool](tab, q+".scrollWidth > "+q+".clientWidth")
	if overflow := Eval[string](tab, "getComputedStyle("+q+").overflowX"); wide && overflow != "auto" {
		tab.t.Errorf("webtest: %s is wider than its box but does not scroll (overflow-x %s)", css, overflow)
	}
}

// ConsoleErrors returns the errors and exceptions the tab has seen so far, as text. It
// first writes a marker to the console and waits to read it back, so that every message
// the page produced before the call has been collected.
func (tab *Tab) ConsoleErrors() []string {
	tab.t.Helper()
	tab.barrier()
	tab.mu.Lock()
	defer tab.mu.Unlock()
	var errs []string
	for _, m := range tab.messages {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			errs = append(errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
		}
	}
	return errs
}

// ExpectNoConsoleErrors fails the test when the tab saw any console error or exception.
func (tab *Tab) ExpectNoConsoleErrors() {
	tab.t.Helper()
	if errs := tab.ConsoleErrors(); len(errs) > 0 {
		tab.t.Errorf("webtest: console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

func (tab *Tab) barrier() {
	tab.t.Helper()
	tab.mu.Lock()
	tab.seq++
	marker := fmt.Sprintf("%s%d", barrierPrefix, tab.seq)
	tab.mu.Unlock()
	run(tab, "console barrier", chromedp.Evaluate[chromedp.Void](fmt.Sprintf("console.debug(%q)", marker)))
	timeout := time.After(ActionTimeout)
	for {
		select {
		case got := <-tab.barriers:
			if got == marker {
				return
			}
		case <-timeout:
			tab.t.Fatalf("webtest: console barrier %s never came back", marker)
		}
	}
}

// Screenshot writes a PNG of the whole page to path.
func (tab *Tab) Screenshot(path string) {
	tab.t.Helper()
	png := run(tab, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tab.t.Fatalf("webtest: write screenshot %s: %v", path, err)
	}
}

// ScreenshotIfAsked writes <name>.png into $SPEKS_SCREENSHOTS when that is set, so a person
// can look at the pages a test visited; without it, it does nothing.
func (tab *Tab) ScreenshotIfAsked(name string) {
	tab.t.Helper()
	dir := screenshotDir()
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tab.t.Fatalf("webtest: screenshot folder: %v", err)
	}
	tab.Screenshot(filepath.Join(dir, name+".png"))
}
