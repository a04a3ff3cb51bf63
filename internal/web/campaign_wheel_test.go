package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	wheelRE    = regexp.MustCompile(`(?s)<svg class="wheel".*?</svg>`)
	sliceRE    = regexp.MustCompile(`(?s)<g class="slice( sold-out)?">(.*?)</g>`)
	rotateRE   = regexp.MustCompile(`<text [^>]*transform="rotate\((-?[0-9.]+) `)
	wheelTagRE = regexp.MustCompile(`<[^>]+>`)
)

// drawnSlice is a slice of the wheel as the page drew it.
type drawnSlice struct {
	soldOut bool
	text    string
}

// drawnWheel reads the wheel's slices and the rotations of its labels.
func drawnWheel(t *testing.T, body string) ([]drawnSlice, []float64) {
	t.Helper()
	svg := wheelRE.FindString(body)
	if svg == "" {
		t.Fatalf("no wheel on the page:\n%s", body)
	}
	var slices []drawnSlice
	for _, m := range sliceRE.FindAllStringSubmatch(svg, -1) {
		slices = append(slices, drawnSlice{soldOut: m[1] != "", text: wheelTagRE.ReplaceAllString(m[2], " ")})
	}
	var angles []float64
	for _, m := range rotateRE.FindAllStringSubmatch(svg, -1) {
		a, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		angles = append(angles, a)
	}
	return slices, angles
}

// upright fails the test for a label turned more than 90° from level.
func upright(t *testing.T, angles []float64, n int) {
	t.Helper()
	if len(angles) != n {
		t.Fatalf("%d labels drawn, want %d", len(angles), n)
	}
	for i, a := range angles {
		if a < -90 || a > 90 {
			t.Errorf("slice %d's label is turned %.2f°: upside down", i, a)
		}
	}
}

// The roulette's wheel draws a segment whose gift is out of stock (or was
// never created) grey and marked sold out, in the page's language, as the
// server will never let it come up; a segment with stock, or one without a
// gift, is drawn as usual. Every label reads upright: its rotation is
// within ±90°, on the left half of the wheel too.
func TestRouletteWheelSoldOutAndUpright(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Wheel Org", "wheel@example.com")
	// Four slices: two on the right half, two on the left.
	id := newCampaign(t, owner, url.Values{"game_type": {"roulette"}, "segments": {"꽝 | 1\n커피 | 1 | 커피\n쿠키 | 1 | 쿠키\n케이크 | 1 | 케이크\n"}})
	for name, stock := range map[string]string{"커피": "0", "쿠키": "5"} { // no 케이크 at all
		if p := owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {name}, "stock": {stock}}); p.status != http.StatusSeeOther {
			t.Fatalf("add gift %s: %d\n%s", name, p.status, p.body)
		}
	}
	guest := newBrowser(t, srv)
	p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"Kim"}, "phone": {"010-3131-4141"}, "consent": {"1"}, "school": {"서울대학교"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("join: %d\n%s", p.status, p.body)
	}
	mine := strings.Split(p.location(), "?")[0]

	for lang, mark := range map[string]string{"ko": "품절", "en": "Sold out"} {
		guest.lang = lang
		p = guest.get(mine)
		slices, angles := drawnWheel(t, p.body)
		upright(t, angles, 4)
		if len(slices) != 4 {
			t.Fatalf("%s: %d slices drawn, want 4:\n%s", lang, len(slices), p.body)
		}
		for i, want := range []bool{false, true, false, true} {
			s := slices[i]
			if s.soldOut != want || strings.Contains(s.text, mark) != want {
				t.Errorf("%s: slice %d (%s) sold out %v, want %v", lang, i, strings.TrimSpace(s.text), s.soldOut, want)
			}
		}
		if !strings.Contains(p.body, `id="sold-out-note"`) {
			t.Errorf("%s: no note that grey slices cannot come up", lang)
		}
	}

	// The API tells the same to other clients.
	p = guest.get("/v1/public/campaigns/" + id)
	if !strings.Contains(p.body, `"segments_available":[true,false,true,false]`) {
		t.Errorf("public campaign: %s", p.body)
	}

	// The server agrees: played without a script, the wheel stops on a
	// slice that could come up.
	if p = guest.submit(mine, mine, url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("spin: %d\n%s", p.status, p.body)
	}
	guest.lang = "en"
	p = guest.get(mine)
	if txt := p.text(); !strings.Contains(txt, "It stopped at: 꽝") && !strings.Contains(txt, "It stopped at: 쿠키") {
		t.Fatalf("result:\n%s", p.body)
	}
}

// With every gift in stock nothing is marked sold out.
func TestRouletteWheelInStock(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Stocked Org", "stocked@example.com")
	id := newCampaign(t, owner, url.Values{"game_type": {"roulette"}, "segments": {"꽝 | 1\n커피 | 1 | 커피\n꽝 | 1\n"}})
	if p := owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {"커피"}, "stock": {"3"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add gift: %d\n%s", p.status, p.body)
	}
	guest := newBrowser(t, srv)
	p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"Lee"}, "phone": {"010-5151-6161"}, "consent": {"1"}, "school": {"서울대학교"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("join: %d\n%s", p.status, p.body)
	}
	p = guest.get(strings.Split(p.location(), "?")[0])
	slices, angles := drawnWheel(t, p.body)
	upright(t, angles, 3)
	if len(slices) != 3 {
		t.Fatalf("%d slices drawn, want 3", len(slices))
	}
	for i, s := range slices {
		if s.soldOut || strings.Contains(s.text, "품절") {
			t.Errorf("slice %d marked sold out", i)
		}
	}
	if strings.Contains(p.body, `id="sold-out-note"`) {
		t.Error("a sold-out note with nothing sold out")
	}
}
