// Package font finds and loads the Korean TrueType font that PDF tickets,
// report PDFs and charts are drawn with: NanumGothic, from Debian's
// fonts-nanum package (no Go module ships a CJK font, and the repository
// commits no font files).
package font

import (
	"errors"
	"os"
	"path/filepath"
	"sync"

	"github.com/usher-events/usher/internal/fault"
)

// SearchPath lists where NanumGothic.ttf is looked for when no path is
// configured: Debian and Ubuntu's fonts-nanum first, then other layouts.
var SearchPath = []string{
	"/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
	"/usr/share/fonts/nanum/NanumGothic.ttf",
	"/usr/share/fonts/TTF/NanumGothic.ttf",
	"/usr/local/share/fonts/NanumGothic.ttf",
	"/Library/Fonts/NanumGothic.ttf",
}

// Faces are the regular and bold faces of the font.
type Faces struct {
	Path    string // where the regular face was found
	Regular []byte
	// Bold is NanumGothicBold.ttf beside the regular face, or the regular
	// face again when there is none.
	Bold []byte
}

// Korean loads the font once it is first needed, so that a server without
// it starts and serves everything else. A failure is not remembered:
// installing fonts-nanum fixes a running server.
type Korean struct {
	path  string
	mu    sync.Mutex
	faces *Faces
}

// NewKorean returns a loader of the font at path, or of the first one found
// on SearchPath when path is empty.
func NewKorean(path string) *Korean { return &Korean{path: path} }

// errNotFound is the cause when no path of the search path has the font.
var errNotFound = errors.New("NanumGothic.ttf not found")

// Load returns the font's faces, or a font_unavailable error that says how
// to install it.
func (k *Korean) Load() (*Faces, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.faces != nil {
		return k.faces, nil
	}
	paths := SearchPath
	if k.path != "" {
		paths = []string{k.path}
	}
	var lastErr error = errNotFound
	for _, p := range paths {
		regular, err := os.ReadFile(p)
		if err != nil {
			lastErr = err
			continue
		}
		bold, err := os.ReadFile(filepath.Join(filepath.Dir(p), "NanumGothicBold.ttf"))
		if err != nil {
			bold = regular
		}
		k.faces = &Faces{Path: p, Regular: regular, Bold: bold}
		return k.faces, nil
	}
	return nil, fault.Wrap(lastErr, fault.FontUnavailable,
		"PDFs need the Korean font NanumGothic.ttf, which is missing on the server: install the Debian package fonts-nanum (apt-get install fonts-nanum) or set --font-path")
}
