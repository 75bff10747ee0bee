package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ledongthuc/pdf"

	"github.com/speks-portal/speks/modules/foundation/web/webtest"
)

// The payslip, the EC statement and the payment advice, printed from Chromium on A4 as a
// person would with Ctrl-P: each fits one page and carries the document alone, without the
// skip link, header, navigation, Log Keluar, footer or buttons.
func TestRecordsPrintOnOneA4Page(t *testing.T) {
	srv, out := demoServer(t)
	staff := webtest.NewBrowser(t).NewTab(t)
	logInAs(t, srv, staff, roleTours[0], out.Tenants[demoState].Staff, func(p string) string { return srv.TenantURL(demoState, p) })
	for _, list := range []string{"/payslips", "/statements"} {
		staff.Open(srv.TenantURL(demoState, list))
		staff.Click(`main a[href^="` + list + `/"]`)
		expectPrintsOnOnePage(t, staff)
	}

	supplier := webtest.NewBrowser(t).NewTab(t) // a browser of its own: another person
	acct := out.Tenants[demoState].Supplier
	logInAs(t, srv, supplier, roleTours[1], acct, func(p string) string { return srv.TenantURL(demoState, p) })
	now := time.Now() // the whole of what the portal keeps (24 months)
	supplier.Open(srv.TenantURL(demoState, "/payments?from="+now.AddDate(0, -23, 0).Format(time.DateOnly)+"&to="+now.Format(time.DateOnly)))
	supplier.Click("#payment-list a[data-ref]")
	supplier.Fill(map[string]string{"#account_no": acct.BankAccount})
	supplier.Click("#check")
	if supplier.Count("#invoices") == 0 {
		t.Fatalf("the payment advice did not open: %q", supplier.Text("main"))
	}
	expectPrintsOnOnePage(t, supplier)
}

// expectPrintsOnOnePage prints the tab's page to an A4 PDF and checks it is one page of the
// document alone.
func expectPrintsOnOnePage(t *testing.T, tab *webtest.Tab) {
	t.Helper()
	path := webtest.Eval[string](tab, "location.pathname")
	ctx, cancel := context.WithTimeout(tab.Context(), webtest.ActionTimeout)
	defer cancel()
	printed, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	if err != nil {
		t.Fatalf("print %s: %v", path, err)
	}
	r, err := pdf.NewReader(bytes.NewReader(printed), int64(len(printed)))
	if err != nil {
		t.Fatalf("the printed %s: %v", path, err)
	}
	if n := r.NumPage(); n != 1 {
		t.Errorf("%s prints on %d A4 pages, want 1", path, n)
	}
	var text strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		rows, err := r.Page(i).GetTextByRow()
		if err != nil {
			t.Fatalf("the printed %s: %v", path, err)
		}
		for _, row := range rows {
			for _, w := range row.Content {
				text.WriteString(w.S)
			}
			text.WriteString("\n")
		}
	}
	printedText := text.String()
	// The heading may wrap onto lines of its own: each of its words must be printed.
	heading := tab.Text("main h1")
	for _, word := range strings.Fields(heading) {
		if !strings.Contains(printedText, word) {
			t.Errorf("the printed %s lacks %q of its heading %q: %s", path, word, heading, printedText)
		}
	}
	for _, shell := range []string{"Langkau", "Log Keluar", "Akaun Saya", "Jabatan Akauntan Negara", "PDF"} {
		if strings.Contains(printedText, shell) {
			t.Errorf("the printed %s carries %q of the page around it", path, shell)
		}
	}
}
