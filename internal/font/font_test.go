package font_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/font"
)

// A missing font is font_unavailable, and is looked for again on the next
// call; once found, the faces are kept, with the bold face from beside the
// regular one or the regular face again.
func TestKoreanLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "NanumGothic.ttf")
	k := font.NewKorean(path)
	if _, err := k.Load(); !fault.Is(err, fault.FontUnavailable) {
		t.Fatalf("missing font: %v", err)
	}
	if err := os.WriteFile(path, []byte("regular"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := k.Load()
	if err != nil || string(f.Regular) != "regular" || string(f.Bold) != "regular" || f.Path != path {
		t.Fatalf("faces = %+v, %v", f, err)
	}
	os.Remove(path)
	if f, err := k.Load(); err != nil || string(f.Regular) != "regular" {
		t.Fatalf("the loaded font was not kept: %+v, %v", f, err)
	}

	other := t.TempDir()
	for name, body := range map[string]string{"NanumGothic.ttf": "regular", "NanumGothicBold.ttf": "bold"} {
		if err := os.WriteFile(filepath.Join(other, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err = font.NewKorean(filepath.Join(other, "NanumGothic.ttf")).Load()
	if err != nil || string(f.Bold) != "bold" {
		t.Fatalf("bold face = %q, %v", f.Bold, err)
	}
}
