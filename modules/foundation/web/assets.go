package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
)

//go:embed static
var staticFiles embed.FS

//go:embed templates
var templateFiles embed.FS

//go:embed locales
var localeFiles embed.FS

// assetMaxAge is a year: asset URLs carry a content hash, so a changed file gets a new URL
// and browsers never need to revalidate an old one.
const assetMaxAge = 365 * 24 * 3600

// assets are the embedded static files, served under /static/<version>/ where version is a
// hash of their content.
type assets struct {
	files   fs.FS
	version string
}

func newAssets() (*assets, error) {
	files, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	version, err := contentHash(files)
	if err != nil {
		return nil, err
	}
	return &assets{files: files, version: version}, nil
}

// contentHash hashes every file's name and content, in WalkDir's lexical order.
func contentHash(files fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		buf, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(buf))
		h.Write(buf)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash static files: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// prefix is the URL path the assets are mounted on.
func (a *assets) prefix() string { return "/static/" + a.version }

// URL is the cache-busting URL of a static file, e.g. /static/3f2a…/app.css.
func (a *assets) URL(name string) string { return a.prefix() + "/" + name }

func (a *assets) handler() fiber.Handler {
	return filesystem.New(filesystem.Config{
		Root:   http.FS(a.files),
		MaxAge: assetMaxAge,
	})
}
