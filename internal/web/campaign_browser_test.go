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
