package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCampaign drives a campaign in Chromium: a participant on a
// phone joins from a channel link, plays the OX quiz and sees the result;
// the organizer's campaign page counts the participation live, and the
// organizer finds the participant and approves.
func TestBrowserCampaign(t *testing.T) {
	t.Parallel()
	srv := server(t)
	tab := headless(t)
	base := srv.URL

	console := watchConsole(tab)

	// The organization and campaign are made over plain HTTP; the browser
	// signs in to watch.
	owner := newBrowser(t, srv)
	owner.signup("브라우저 캠페인", "browser-camp@example.com")
	id := newCampaign(t, owner, oxGame)
	if p := owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {"커피 쿠폰"}, "stock": {"3"}}); p.status != 303 {
		t.Fatalf("add gift: %d", p.status)
	}

	step(t, tab, "sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "browser-camp@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), strongPassword),
		follow(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".tiles")),
		chromedp.Navigate(base+"/app/campaigns/"+id),
		chromedp.WaitVisible(chromedp.ID("count-participants")),
	)
	read(t, tab, "the live stream connects", chromedp.Poll[bool](`document.getElementById("live").classList.contains("connected")`))
	if got := read(t, tab, "count before", chromedp.Text(chromedp.ID("count-participants"))); got != "0" {
		t.Fatalf("participants before = %q", got)
	}

	// A participant in a browser of their own, on a phone.
	phone := headless(t)
	step(t, phone, "open the landing page on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/c/"+id+"?ch=instagram"),
		chromedp.WaitVisible(chromedp.ID("join-form")),
	)
	if !read(t, phone, "fits the phone", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the landing page is wider than the phone")
	}
	if read(t, phone, "honeypot hidden", chromedp.Evaluate[bool](`(r => r.right > 0 && r.left < innerWidth)(document.getElementById("website").getBoundingClientRect())`)) {
		t.Error("the honeypot field is on screen")
	}
	step(t, phone, "fill in the form",
		chromedp.SendKeys(chromedp.ID("name"), "홍길동"),
		chromedp.SendKeys(chromedp.ID("phone"), "010-2345-6789"),
		chromedp.SetValue(chromedp.ID("school"), read(t, phone, "school", chromedp.Evaluate[string](`document.querySelector("#school option:nth-child(2)").value`))),
		chromedp.Click(chromedp.ID("consent")),
	)
	screenshot(t, phone, "campaign-landing-phone")
	step(t, phone, "join",
		follow(chromedp.ID("join")),
		chromedp.WaitVisible(chromedp.ID("participation-number")),
	)
	if n := read(t, phone, "number", chromedp.Text(chromedp.ID("participation-number"))); n != "1" {
		t.Errorf("participation number %q", n)
	}
	screenshot(t, phone, "campaign-game-phone")

	// The organizer's page counts the participation without reloading.
	read(t, tab, "live count", chromedp.Poll[bool](`document.getElementById("count-participants").textContent === "1"`))

	step(t, phone, "play",
		chromedp.Click(chromedp.CSS(`label[for="a0-o"]`)),
		follow(chromedp.ID("submit-answers")),
		chromedp.WaitVisible(chromedp.ID("result")),
	)
	result := read(t, phone, "result", chromedp.Text(chromedp.ID("result")))
	if !strings.Contains(result, "커피 쿠폰") {
		t.Errorf("result shows %q", result)
	}
	screenshot(t, phone, "campaign-result-phone")
	read(t, tab, "live successes", chromedp.Poll[bool](`document.querySelector('[data-count="successes"]').textContent === "1"`))

	step(t, tab, "approve",
		chromedp.Navigate(base+"/app/campaigns/"+id+"/participants?status=pending"),
		chromedp.WaitVisible(chromedp.ID("participants")),
		follow(chromedp.CSS(`button[data-action="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	step(t, tab, "approved list", chromedp.Navigate(base+"/app/campaigns/"+id+"/participants?status=approved"), chromedp.WaitVisible(chromedp.ID("participants")))
	if txt := read(t, tab, "approved", chromedp.Text(chromedp.ID("participants"))); !strings.Contains(txt, "홍길동") {
		t.Errorf("approved list: %q", txt)
	}
	step(t, tab, "report",
		chromedp.Navigate(base+"/app/campaigns/"+id+"/report"),
		chromedp.WaitVisible(chromedp.ID("downloads")),
	)
	read(t, tab, "charts load", chromedp.Poll[bool](`Array.from(document.querySelectorAll(".chart img")).every(i => i.complete && i.naturalWidth > 0)`))
	screenshot(t, tab, "campaign-report-desktop")

	console.check(t)
}

// TestBrowserRoulette plays a roulette on a phone in Chromium. Two slices
// share the label "당첨": the first one's gift is out of stock, so it is
// drawn grey and marked sold out, and only the second can come up. The
// wheel must turn to that second slice, the one the server picked (by its
// place, not by its label), and every label on the wheel reads upright.
func TestBrowserRoulette(t *testing.T) {
	t.Parallel()
	srv := server(t)
	base := srv.URL
	owner := newBrowser(t, srv)
	owner.signup("룰렛 브라우저", "browser-roulette@example.com")
	id := newCampaign(t, owner, url.Values{"game_type": {"roulette"}, "segments": {"당첨 | 1 | 커피\n당첨 | 1 | 쿠키\n꽝 | 1 | 케이크\n"}})
	for name, stock := range map[string]string{"커피": "0", "쿠키": "5", "케이크": "0"} {
		if p := owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {name}, "stock": {stock}}); p.status != 303 {
			t.Fatalf("add gift %s: %d", name, p.status)
		}
	}

	phone := headless(t)
	console := watchConsole(phone)
	step(t, phone, "open the landing page on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/c/"+id),
		chromedp.WaitVisible(chromedp.ID("join-form")),
	)
	step(t, phone, "join",
		chromedp.SendKeys(chromedp.ID("name"), "홍길동"),
		chromedp.SendKeys(chromedp.ID("phone"), "010-2468-1357"),
		chromedp.SetValue(chromedp.ID("school"), read(t, phone, "school", chromedp.Evaluate[string](`document.querySelector("#school option:nth-child(2)").value`))),
		chromedp.Click(chromedp.ID("consent")),
		follow(chromedp.ID("join")),
		chromedp.WaitVisible(chromedp.ID("wheel")),
	)
	soldOut := read(t, phone, "sold-out slices", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#wheel g")).map(g => g.classList.contains("sold-out") + " " + g.querySelector("path").getAttribute("fill") + " " + g.querySelector("text").textContent)`))
	want := []string{"true #b9bcc2 당첨Sold out", "false", "true #b9bcc2 꽝Sold out"} // the browser asks for English
	for i, w := range want {
		if i >= len(soldOut) || !strings.HasPrefix(soldOut[i], w) {
			t.Errorf("slice %d drawn as %q, want %q…", i, soldOut, w)
		}
	}
	// The label's rotation on screen: the x axis of its coordinates never
	// points leftwards (cos θ < 0) for a label that reads upright; the
	// slice at the bottom reads downwards (cos θ = 0).
	if cos := read(t, phone, "label rotations", chromedp.Evaluate[[]float64](`Array.from(document.querySelectorAll("#wheel text")).map(e => e.getCTM().a)`)); len(cos) != 3 {
		t.Errorf("%d labels", len(cos))
	} else {
		for i, c := range cos {
			if c < -1e-6 {
				t.Errorf("label %d is upside down (cos %.2f)", i, c)
			}
		}
	}
	fitsPhone(t, phone, "the wheel page")
	screenshot(t, phone, "campaign-roulette-phone")

	step(t, phone, "spin", chromedp.Click(chromedp.ID("spin")))
	turn := read(t, phone, "the wheel turns", chromedp.Poll[string](`document.getElementById("wheel").style.transform || false`))
	// rotate(5 turns + 360 - (i + 0.5) * 120deg) stops slice i under the pointer.
	if turn != "rotate(1980deg)" {
		t.Errorf("the wheel turned %q, want rotate(1980deg): the second slice, the one with stock", turn)
	}
	step(t, phone, "result", chromedp.WaitVisible(chromedp.ID("result")))
	if txt := read(t, phone, "result text", chromedp.Text(chromedp.ID("result"))); !strings.Contains(txt, "쿠키") {
		t.Errorf("result %q, want the gift 쿠키", txt)
	}
	console.check(t)
}
