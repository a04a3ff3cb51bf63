package gate

import (
	"embed"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// pageFiles maps the names under the page's root to embedded files.
var pageFiles = map[string]struct{ file, ctype string }{
	"":               {"static/scan.html", "text/html; charset=utf-8"},
	"scan.js":        {"static/scan.js", "text/javascript; charset=utf-8"},
	"scan.css":       {"static/scan.css", "text/css; charset=utf-8"},
	"dashboard":      {"static/dashboard.html", "text/html; charset=utf-8"},
	"dashboard.js":   {"static/dashboard.js", "text/javascript; charset=utf-8"},
	"dashboard.html": {"static/dashboard.html", "text/html; charset=utf-8"},
}

// ScannerPage serves the scanner page and the minimal live dashboard under
// prefix. The server mounts it at /scan and a gate node at the root; the
// page calls the API at the same origin, which both processes answer alike.
func ScannerPage(prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if prefix != "" && r.URL.Path == prefix {
			// Relative links in the page resolve against prefix + "/".
			http.Redirect(w, r, prefix+"/", http.StatusFound)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, prefix)), "/")
		f, ok := pageFiles[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := static.ReadFile(f.file)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; media-src 'self' blob:; img-src 'self' data: blob:")
		w.Write(b)
	})
}
