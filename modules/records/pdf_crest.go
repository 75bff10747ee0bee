package records

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // decodes JPEG crests; PNG is registered by image/png in pdf.go
	"image/png"
	"log/slog"
	"sync"

	"codeberg.org/go-pdf/fpdf"
	"github.com/jmoiron/sqlx"
	xdraw "golang.org/x/image/draw"

	"github.com/speks-portal/speks/tenant"
)

// LogoSource reads the logo a state's IT officer uploaded (the admin module keeps it), so
// this module prints it without knowing where or how it is stored.
type LogoSource interface {
	// Logo is the tenant's PNG or JPEG logo, nil when none was uploaded; db is the
	// tenant's handle from its scope.
	Logo(ctx context.Context, db sqlx.QueryerContext) ([]byte, error)
}

// crestPixels bounds the crest's longer side: 56 pt printed at about 300 dpi. A larger
// upload is scaled down once, so every PDF carries a few kilobytes, not the upload.
const crestPixels = 240

// pdfLogo is a crest ready for the page: an opaque RGB PNG (transparency flattened on white
// paper), whose compressed rows fpdf embeds as they are, without re-encoding them for each
// document (a PNG with transparency would be inflated and split into two images each time).
type pdfLogo struct {
	png  []byte
	w, h int
}

// prepareLogo decodes an uploaded logo, scales it down to crestPixels and flattens it on white.
func prepareLogo(data []byte) (*pdfLogo, error) {
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode logo: %w", err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if longer := max(w, h); longer > crestPixels {
		w, h = max(1, w*crestPixels/longer), max(1, h*crestPixels/longer)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var buf bytes.Buffer
	if err := png.Encode(&buf, dst); err != nil { // opaque RGBA is written as 8-bit RGB
		return nil, fmt.Errorf("encode logo: %w", err)
	}
	return &pdfLogo{png: buf.Bytes(), w: w, h: h}, nil
}

// crestImage is the name the crest is registered under in a document.
const crestImage = "crest"

// register adds the crest to the document as crestImage.
func (l *pdfLogo) register(pdf *fpdf.Fpdf) error {
	pdf.RegisterImageOptionsReader(crestImage, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(l.png))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("crest image: %w", err)
	}
	return nil
}

// fit is the crest's printed size inside a square of side points, keeping its proportions.
func (l *pdfLogo) fit(side float64) (float64, float64) {
	scale := side / float64(max(l.w, l.h))
	return float64(l.w) * scale, float64(l.h) * scale
}

// crests keeps each state's prepared crest. The key is the tenant and its branding logo
// URL, which carries the upload's hash, so a replaced logo is read afresh and an unchanged
// one costs no query; a state without a logo URL is never asked.
var crests = crestCache{m: map[string]*pdfLogo{}}

// crestCacheSize bounds the cache: a few more than there are states, for replaced logos.
const crestCacheSize = 64

type crestCache struct {
	mu sync.Mutex
	m  map[string]*pdfLogo
}

func (c *crestCache) get(key string) (*pdfLogo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[key]
	return l, ok
}

func (c *crestCache) put(key string, l *pdfLogo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= crestCacheSize {
		clear(c.m) // old versions of replaced logos; the current ones are read again
	}
	c.m[key] = l
}

// crest is the state's crest for its PDFs, nil when it uploaded none (a text-only header).
// A stored logo that no longer decodes is logged and left off rather than failing the
// person's download.
func (m *Module) crest(ctx context.Context, sc *tenant.Scope) (*pdfLogo, error) {
	url := sc.Tenant.Branding.LogoURL
	if m.Logos == nil || url == "" {
		return nil, nil
	}
	key := sc.Tenant.Code + "\x00" + url
	if l, ok := crests.get(key); ok {
		return l, nil
	}
	data, err := m.Logos.Logo(ctx, sc.DB)
	if err != nil {
		return nil, fmt.Errorf("crest of %s: %w", sc.Tenant.Code, err)
	}
	var l *pdfLogo
	if data != nil {
		if l, err = prepareLogo(data); err != nil {
			slog.WarnContext(ctx, "state logo left off the PDF", "tenant", sc.Tenant.Code, "err", err)
		}
	}
	crests.put(key, l)
	return l, nil
}

// renderFor renders d as the state's document: with its crest when it uploaded one.
func (m *Module) renderFor(ctx context.Context, sc *tenant.Scope, d *pdfDoc) ([]byte, error) {
	logo, err := m.crest(ctx, sc)
	if err != nil {
		return nil, err
	}
	d.Logo = logo
	return renderPDF(d)
}
