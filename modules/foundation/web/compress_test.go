package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/speks-portal/speks/tenant"
)

// Pages are compressed at the fastest level (server.go) in whichever encoding the browser
// asks for, and decode to the very page sent uncompressed.
func TestPagesAreCompressedInTheEncodingAsked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.tenant(t, "selangor", tenant.PayrollMatch, nil)
	plain := h.get(t, "selangor.example.test", "/")
	for _, enc := range []struct {
		name   string
		decode func(io.Reader) (io.Reader, error)
	}{
		{"gzip", func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
		{"br", func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
	} {
		r := h.get(t, "selangor.example.test", "/", "Accept-Encoding", enc.name)
		if got := r.Header.Get("Content-Encoding"); got != enc.name {
			t.Errorf("Content-Encoding = %q, want %s", got, enc.name)
			continue
		}
		if len(r.Raw) >= len(plain.Raw) {
			t.Errorf("%s: %d bytes, not smaller than the page's %d", enc.name, len(r.Raw), len(plain.Raw))
		}
		dec, err := enc.decode(bytes.NewReader([]byte(r.Raw)))
		if err != nil {
			t.Fatalf("%s: %v", enc.name, err)
		}
		body, err := io.ReadAll(dec)
		if err != nil {
			t.Fatalf("%s: %v", enc.name, err)
		}
		if r.Status != http.StatusOK || string(body) != plain.Raw {
			t.Errorf("%s decodes to another page (%d vs %d)", enc.name, r.Status, plain.Status)
		}
	}
}
