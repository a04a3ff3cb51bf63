package web_test

import (
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserProofShrinksLargePhotos sends a photo far over the server's
// limit from a phone: the page's script shrinks it to a JPEG that fits, the
// upload succeeds, and the organizer sees a JPEG proof.
func TestBrowserProofShrinksLargePhotos(t *testing.T) {
	t.Parallel()
	srv := server(t)
	tab := headless(t)
	console := watchConsole(tab)

	org, _, link := studentOrder(t, srv)
	oid := orderLinkRE.FindStringSubmatch(link)[1]

	// A 3000×2000 photo-like picture (a gradient with grain): several
	// megabytes as a PNG, far over the server's 1 MB.
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 3000, 2000))
	for y := range 2000 {
		for x := range 3000 {
			g := uint8((x*200)/3000 + rng.IntN(24))
			img.Set(x, y, color.RGBA{g, uint8(y * 200 / 2000), 120, 255})
		}
	}
	file := filepath.Join(t.TempDir(), "student-id.png")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st, _ := os.Stat(file); st.Size() < 2_000_000 {
		t.Fatalf("the test photo is only %d bytes", st.Size())
	}

	step(t, tab, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	step(t, tab, "open my order",
		chromedp.Navigate(srv.URL+link),
		chromedp.WaitVisible(chromedp.ID("proof-file")),
		chromedp.SetUploadFiles(chromedp.ID("proof-file"), []string{file}),
		follow(chromedp.ID("proof-submit")),
		chromedp.WaitVisible(chromedp.ID("proof-received")),
	)
	if !read(t, tab, "page fits the phone", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the order page is wider than the phone's screen")
	}
	screenshot(t, tab, "proof-received-phone")
	console.check(t)

	staff := org.get("/app/orders/" + oid)
	if !strings.Contains(staff.text(), "image/jpeg") {
		t.Fatalf("the organizer's page does not show a JPEG proof:\n%s", staff.body)
	}
	got := org.get("/app/orders/" + oid + "/proof")
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "image/jpeg" || len(got.body) > 1_000_000 || len(got.body) < 10_000 {
		t.Fatalf("proof: %d %s, %d bytes", got.status, got.header.Get("Content-Type"), len(got.body))
	}
	if !strings.HasPrefix(got.body, "\xff\xd8\xff") {
		t.Fatal("the proof is not a JPEG file")
	}
}
