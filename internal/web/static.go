package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one static file with its content hash.
type asset struct {
	data []byte
	hash string
}

// assets are the embedded static files, read once at start.
type assets struct {
	files map[string]asset
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]asset{}}
	err := fs.WalkDir(staticSub(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(staticSub(), path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		a.files[path] = asset{data: data, hash: hex.EncodeToString(sum[:6])}
		return nil
	})
	return a, err
}

// url returns the path of a static file with its hash, so that a new build
// is fetched at once while an unchanged file is cached for a year.
func (a *assets) url(name string) string {
	f, ok := a.files[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.hash
}

// Static serves the embedded stylesheet, script and icons under /static/.
// A URL with the file's current hash may be cached for good; others are
// revalidated with the ETag after five minutes.
func (p *Pages) Static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	f, ok := p.assets.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("ETag", `"`+f.hash+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}

// staticSub is the embedded static folder.
func staticSub() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}
