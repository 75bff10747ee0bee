package records

import (
	"archive/zip"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
)

func TestExport(t *testing.T) {
	f := newFixture(t)
	r := f.do(t, http.MethodGet, "kelantan", "aminah", "/api/v1/account/export", "")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/zip" || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v", r.Status, r.Header)
	}
	zr, err := zip.NewReader(strings.NewReader(r.Raw), int64(len(r.Raw)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	files := map[string][]byte{}
	var names []string
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[zf.Name], _ = io.ReadAll(rc)
		rc.Close()
		names = append(names, zf.Name)
	}
	sort.Strings(names)
	want := []string{"payments.json", "payslips/2026-09.json", "payslips/2026-09.pdf", "payslips/2026-10.json", "payslips/2026-10.pdf",
		"statements/ec-2025.json", "statements/ec-2025.pdf"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("files %v, want %v", names, want)
	}
	var ps struct{ Net string }
	if err := json.Unmarshal(files["payslips/2026-10.json"], &ps); err != nil || ps.Net != "3263.46" {
		t.Errorf("payslip json: %s", files["payslips/2026-10.json"])
	}
	if text := pdfText(t, files["statements/ec-2025.pdf"]); !strings.Contains(text, "57,855.60") {
		t.Errorf("EC pdf in the export: %s", text)
	}
	var payments []map[string]string
	if err := json.Unmarshal(files["payments.json"], &payments); err != nil || len(payments) != 1 || payments[0]["ref"] != "PV-0004" {
		t.Errorf("payments: %s", files["payments.json"])
	}
	if f.auditCount(t, "kelantan", 1, ActionExport) != 1 {
		t.Errorf("export not audited")
	}
	// A supplier's export has its payments only; another person's records never appear.
	r = f.do(t, http.MethodGet, "kelantan", "contoh", "/api/v1/account/export", "")
	zr, err = zip.NewReader(strings.NewReader(r.Raw), int64(len(r.Raw)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "payments.json" {
		t.Fatalf("supplier export: %v", err)
	}
}
