package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder for image.DecodeConfig / image.Decode
	_ "image/png"  // registers the PNG decoder
	"io"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/foundation/fault"
	"github.com/speks-portal/speks/modules/foundation/guard"
	"github.com/speks-portal/speks/tenant"
)

// Logo limits: small enough for every page's header, large enough for a crisp crest.
const (
	logoMaxBytes     = 256 << 10
	logoMaxDimension = 1024
	logoPath         = "/branding/logo"
	// logoFormField is the multipart field of the upload.
	logoFormField = "logo"
)

// Refusal codes of an upload (422), each with error_<code> messages in both languages.
const (
	logoMissing     = "logo_missing"
	logoUnsupported = "logo_unsupported_type"
	logoTooLarge    = "logo_too_large"
	logoDimensions  = "logo_dimensions"
	logoCorrupt     = "logo_invalid"
)

// logoImage is a checked upload.
type logoImage struct {
	Content     []byte
	ContentType string
	SHA256      string
	Width       int
	Height      int
}

// checkLogo accepts PNG and JPEG only, judged by content never by file name or the browser's
// declared type: SVG (script) and anything else is refused, and the image must decode whole
// within the size and dimension limits.
func checkLogo(data []byte) (*logoImage, string) {
	if len(data) == 0 {
		return nil, logoMissing
	}
	if len(data) > logoMaxBytes {
		return nil, logoTooLarge
	}
	contentType := http.DetectContentType(data)
	want := map[string]string{"image/png": "png", "image/jpeg": "jpeg"}[contentType]
	if want == "" {
		return nil, logoUnsupported
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != want {
		return nil, logoCorrupt
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > logoMaxDimension || cfg.Height > logoMaxDimension {
		return nil, logoDimensions
	}
	// The header alone can be followed by garbage; decoding the whole (bounded) image proves it.
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return nil, logoCorrupt
	}
	sum := sha256.Sum256(data)
	return &logoImage{Content: data, ContentType: contentType, SHA256: hex.EncodeToString(sum[:]),
		Width: cfg.Width, Height: cfg.Height}, ""
}

// readLogoUpload reads the multipart file, at most one byte past the limit so an oversized
// file is recognised without reading it all.
func readLogoUpload(c *fiber.Ctx) ([]byte, error) {
	fh, err := c.FormFile(logoFormField)
	if err != nil {
		return nil, nil // no file: checkLogo reports logo_missing
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open uploaded logo: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, logoMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read uploaded logo: %w", err)
	}
	return data, nil
}

// logoURL is the branding path with a short version, so a replaced logo is fetched afresh
// while an unchanged one stays cached.
func logoURL(img *logoImage) string { return logoPath + "?v=" + img.SHA256[:12] }

// storeLogo replaces the tenant's logo (audited in the tenant's trail) and then points the
// tenant's branding at it; a failure of the second step leaves the old URL, and uploading
// again repairs it.
func (m *Module) storeLogo(c *fiber.Ctx, p *account.Principal, sc *tenant.Scope, img *logoImage) error {
	ctx := c.UserContext()
	tx, err := sc.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store logo: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `INSERT INTO branding_logo (id, content, content_type, sha256, updated_at)
		VALUES (true, $1, $2, $3, now())
		ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, content_type = EXCLUDED.content_type,
			sha256 = EXCLUDED.sha256, updated_at = now()`, img.Content, img.ContentType, img.SHA256); err != nil {
		return fmt.Errorf("store logo: %w", err)
	}
	if err := Record(ctx, tx, p, "settings.logo", "tenant:"+sc.Tenant.Code, 0, map[string]any{
		"content_type": img.ContentType, "bytes": len(img.Content), "width": img.Width, "height": img.Height,
		"sha256": img.SHA256}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store logo: %w", err)
	}
	return m.Registry.SetLogoURL(ctx, sc.Tenant.Code, logoURL(img), actorLabel(p))
}

// upload checks and stores the request's logo; a refusal is the code of checkLogo.
func (m *Module) upload(c *fiber.Ctx) (*logoImage, string, error) {
	p, sc, err := guard.Require(c)
	if err != nil {
		return nil, "", err
	}
	data, err := readLogoUpload(c)
	if err != nil {
		return nil, "", err
	}
	img, refusal := checkLogo(data)
	if refusal != "" {
		return nil, refusal, nil
	}
	return img, "", m.storeLogo(c, p, sc, img)
}

// apiUploadLogo is POST /api/v1/admin/settings/logo (multipart, field "logo").
func (m *Module) apiUploadLogo(c *fiber.Ctx) error {
	img, refusal, err := m.upload(c)
	if err != nil {
		return err
	}
	if refusal != "" {
		return fault.New(fault.Invalid, refusal, nil)
	}
	return c.JSON(fiber.Map{"logo_url": logoURL(img), "content_type": img.ContentType, "bytes": len(img.Content),
		"width": img.Width, "height": img.Height})
}

// submitLogo is the settings page's upload form (multipart, CSRF token in the form): it
// returns to the settings page with a confirmation, or with the refusal's message.
func (m *Module) submitLogo(c *fiber.Ctx) error {
	_, refusal, err := m.upload(c)
	if err != nil {
		return err
	}
	if refusal != "" {
		return c.Redirect("/admin/settings?logo_error="+refusal, fiber.StatusSeeOther)
	}
	return c.Redirect("/admin/settings?logo=saved", fiber.StatusSeeOther)
}

// logoRefusal keeps only the refusal codes the page has messages for, so the query string
// cannot put arbitrary message IDs on the page.
func logoRefusal(s string) string {
	switch s {
	case logoMissing, logoUnsupported, logoTooLarge, logoDimensions, logoCorrupt:
		return s
	}
	return ""
}

// serveLogo is GET /branding/logo, public: the tenant's logo with an ETag of its hash.
// nosniff keeps browsers to the stored (checked) type.
func (m *Module) serveLogo(c *fiber.Ctx) error {
	sc, ok := tenant.FromContext(c.UserContext())
	if !ok {
		return fault.New(fault.NotFound, "not_found", nil)
	}
	logo, err := readLogo(c.UserContext(), sc.DB)
	if err != nil {
		return err
	}
	if logo == nil {
		return fault.New(fault.NotFound, "not_found", nil)
	}
	etag := `"` + logo.SHA256 + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, logo.ContentType)
	return c.Send(logo.Content)
}

// storedLogo is the tenant's logo as stored.
type storedLogo struct {
	Content     []byte `db:"content"`
	ContentType string `db:"content_type"`
	SHA256      string `db:"sha256"`
}

// readLogo reads the tenant's logo from its schema; nil when none was uploaded.
func readLogo(ctx context.Context, db sqlx.QueryerContext) (*storedLogo, error) {
	var logo storedLogo
	err := sqlx.GetContext(ctx, db, &logo, `SELECT content, content_type, sha256 FROM branding_logo`)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read logo: %w", err)
	}
	return &logo, nil
}

// Logos lets other modules read a tenant's uploaded logo without knowing where it is kept:
// the records module prints it as the crest on every PDF.
type Logos struct{}

// Logo is the tenant's uploaded logo (PNG or JPEG, checked on upload), nil when there is none.
// db is the tenant's handle from its scope.
func (Logos) Logo(ctx context.Context, db sqlx.QueryerContext) ([]byte, error) {
	logo, err := readLogo(ctx, db)
	if err != nil || logo == nil {
		return nil, err
	}
	return logo.Content, nil
}
