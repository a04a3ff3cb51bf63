package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// labelsOutsideJS lists the wheel's labels whose drawn text leaves their
// slice: a corner of the text's box, turned as the label is, beyond the
// rim, inside the hub or past one of the slice's edges.
const labelsOutsideJS = `(() => {
  const texts = Array.from(document.querySelectorAll("#wheel .slice text"));
  const n = texts.length, out = [];
  texts.forEach((t, i) => {
    const b = t.getBBox(), m = t.transform.baseVal.consolidate().matrix;
    const a0 = i * 360 / n, a1 = (i + 1) * 360 / n;
    for (const [x, y] of [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]]) {
      const px = m.a * x + m.c * y + m.e - 110, py = m.b * x + m.d * y + m.f - 110;
      const r = Math.hypot(px, py);
      let deg = Math.atan2(px, -py) * 180 / Math.PI;
      if (deg < 0) deg += 360;
      if (r > 100.5 || r < 14 || (n > 1 && (deg < a0 - 0.5 || deg > a1 + 0.5))) {
        out.push(t.textContent + " (" + r.toFixed(1) + " from the centre at " + deg.toFixed(1) + "°, slice " + a0.toFixed(1) + "–" + a1.toFixed(1) + "°)");
        break;
      }
    }
  });
  return out;
})()`

// Labels of every length, on wheels of 2 to 12 slices, some sold out with
// the mark under the label, in both languages: each is drawn inside its
// own slice, between the hub and the rim, in Chromium at a phone's width.
// Labels too long for their slice are set smaller, then cut with "…".
func TestBrowserWheelLabelsFitTheirSlices(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("라벨 기관", "labels@example.com")
	wheels := []string{
		"아메리카노 당첨 | 1 | 커피\n꽝 | 1\n쿠키 | 1 | 쿠키\n다음 기회에 | 1\n",
		"스타벅스 아메리카노 기프티콘 | 1 | 쿠키\n아쉽지만 다음 기회에 다시 도전하세요 | 1\n",
		"Free coffee voucher | 1 | 커피\nTry again | 1\n",
		strings.Repeat("아메리카노 | 1 | 커피\n꽝 | 1\n영화 예매권 | 1 | 쿠키\n", 4),
	}
	var pages []string
	for i, segments := range wheels {
		game := url.Values{"game_type": {"roulette"}, "segments": {segments}}
		var id string
		if i == 0 {
			id = newCampaign(t, owner, game)
		} else {
			id = anotherCampaign(t, owner, game)
		}
		// 커피 is out of stock (drawn sold out), 쿠키 is not.
		for name, stock := range map[string]string{"커피": "0", "쿠키": "5"} {
			if p := owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {name}, "stock": {stock}}); p.status != http.StatusSeeOther {
				t.Fatalf("add gift %s: %d", name, p.status)
			}
		}
		guest := newBrowser(t, srv)
		p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"Kim"}, "phone": {fmt.Sprintf("010-6100-%04d", i)}, "consent": {"1"}, "school": {"서울대학교"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("join: %d\n%s", p.status, p.body)
		}
		pages = append(pages, strings.Split(p.location(), "?")[0])
	}

	phone := headless(t)
	step(t, phone, "a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, lang := range []string{"ko", "en"} {
		for i, page := range pages {
			step(t, phone, "open the wheel",
				chromedp.Navigate(srv.URL+page),
				chromedp.WaitVisible(chromedp.ID("wheel")),
			)
			if i == 0 {
				step(t, phone, "switch the language",
					follow(chromedp.CSS(`form.lang button[value="`+lang+`"]`)),
					chromedp.WaitVisible(chromedp.ID("wheel")),
				)
			}
			screenshot(t, phone, fmt.Sprintf("campaign-wheel-labels-%s-%d", lang, i))
			if out := read(t, phone, "labels", chromedp.Evaluate[[]string](labelsOutsideJS)); len(out) > 0 {
				t.Errorf("%s, wheel %d: labels outside their slices: %s", lang, i, strings.Join(out, "; "))
			}
		}
	}
}

// anotherCampaign creates a campaign for the school newCampaign made.
func anotherCampaign(t *testing.T, owner *browser, game url.Values) string {
	t.Helper()
	m := schoolOptRE.FindStringSubmatch(owner.get("/app/campaigns/new").body)
	if m == nil {
		t.Fatal("no school on the campaign form")
	}
	now := time.Now().In(time.FixedZone("KST", 9*3600))
	form := url.Values{"name": {"룰렛 이벤트"}, "starts_at": {now.Add(-time.Hour).Format("2006-01-02T15:04")},
		"ends_at": {now.Add(48 * time.Hour).Format("2006-01-02T15:04")}, "approval": {"auto"}, "school_ids": {m[1]}}
	for k, v := range game {
		form[k] = v
	}
	p := owner.submit("/app/campaigns/new", "/app/campaigns/new", form)
	id := campaignIDRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || id == nil {
		t.Fatalf("create campaign: %d\n%s", p.status, p.body)
	}
	return id[1]
}
