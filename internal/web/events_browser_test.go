package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRegisterPayAndSeeTheQR drives a real Chromium through the
// ticket flow: the organizer (set up over plain HTTP to save time) publishes
// the event on its page in the browser; then a buyer on a phone opens the
// public event page, registers, pays with points and sees the ticket's QR.
func TestBrowserRegisterPayAndSeeTheQR(t *testing.T) {
	t.Parallel()
	srv := server(t)
	tab := headless(t)
	base := srv.URL

	console := watchConsole(tab)

	// The organizer's draft event with a ticket type, a customer with
	// points and a wallet code, made through the pages over HTTP.
	org := newBrowser(t, srv)
	org.lang = "en"
	org.signup("Browser Events", "events@example.com")
	p := org.submit("/app/events/new", "/app/events", url.Values{"name": {"서울 개발자 컨퍼런스 2031"}, "starts_at": {"2031-05-01T09:00"},
		"ends_at": {"2031-05-01T18:00"}, "timezone": {"Asia/Seoul"}, "venue": {"코엑스 그랜드볼룸"}, "capacity": {"500"}})
	id := pathID(t, p.location(), "/app/events/")
	if p = org.submit("/app/events/"+id, "/app/events/"+id+"/ticket-types", url.Values{"name": {"일반"}, "price": {"99,000"},
		"currency": {"KRW"}, "quota": {"400"}, "perks": {"점심 포함"}}); p.status != http.StatusSeeOther {
		t.Fatalf("ticket type: %d\n%s", p.status, p.body)
	}
	if p = org.submit("/app/customers", "/app/customers", url.Values{"name": {"구매자"}, "email": {"buyer@example.com"}}); p.status != http.StatusSeeOther {
		t.Fatalf("customer: %d", p.status)
	}
	cus := regexp.MustCompile(`/app/customers/(cus_[A-Za-z0-9]+)/charge`).FindStringSubmatch(org.get("/app/customers").body)[1]
	org.submit("/app/customers", "/app/customers/"+cus+"/charge", url.Values{"amount": {"300000"}})
	code := regexp.MustCompile(`value="(wac_[A-Za-z0-9]+)"`).FindStringSubmatch(
		org.submit("/app/customers", "/app/customers/"+cus+"/access-code", url.Values{}).body)[1]

	// In the browser: sign in and publish the event on its page.
	step(t, tab, "sign in",
		chromedp.Navigate(base+"/login?next="+url.QueryEscape("/app/events/"+id)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "events@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), strongPassword),
		follow(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("move-publish")),
	)
	screenshot(t, tab, "event-desktop")
	step(t, tab, "publish", follow(chromedp.ID("move-publish")), chromedp.WaitVisible(chromedp.ID("public-link")))
	if got := read(t, tab, "status", chromedp.Text(chromedp.CSS("h1 .status"))); !strings.Contains(got, "On sale") {
		t.Fatalf("after publishing the status shows %q", got)
	}
	step(t, tab, "sign out", follow(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("email")))

	// The buyer, on a phone.
	step(t, tab, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	step(t, tab, "open the event page",
		chromedp.Navigate(base+"/e/"+id),
		chromedp.WaitVisible(chromedp.ID("register")),
	)
	if got := read(t, tab, "price", chromedp.Text(chromedp.CSS(".ticket-type .price"))); got != "₩99,000" {
		t.Errorf("price shows %q", got)
	}
	if !read(t, tab, "page fits the phone", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the event page is wider than the phone's screen")
	}
	screenshot(t, tab, "public-event-phone")
	step(t, tab, "register",
		follow(chromedp.ID("register")),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SetValue(chromedp.CSS("select.qty"), "2"),
		chromedp.SendKeys(chromedp.ID("name"), "구매자"),
		chromedp.SendKeys(chromedp.ID("email"), "buyer@example.com"),
	)
	screenshot(t, tab, "register-phone")
	step(t, tab, "hold", follow(chromedp.ID("hold")), chromedp.WaitVisible(chromedp.ID("wallet-code")))
	screenshot(t, tab, "pay-phone")
	step(t, tab, "pay with points",
		chromedp.SendKeys(chromedp.ID("wallet-code"), code),
		follow(chromedp.ID("pay")),
		chromedp.WaitVisible(chromedp.CSS("img.qr")),
	)
	if !read(t, tab, "QR images loaded", chromedp.Poll[bool](`(() => { const q = [...document.querySelectorAll("img.qr")]; return q.length === 2 && q.every(i => i.complete && i.naturalWidth > 0); })()`)) {
		t.Fatal("the QR images did not load")
	}
	if !read(t, tab, "ticket page fits the phone", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the ticket page is wider than the phone's screen")
	}
	screenshot(t, tab, "ticket-phone")
	loc := read(t, tab, "location", chromedp.Location())
	if !regexp.MustCompile(`/o/ord_[A-Za-z0-9]+\?k=oak_`).MatchString(loc) {
		t.Errorf("ticket page at %s", loc)
	}

	// With a waiting room on, the event page leads to the queue, which
	// moves on to registration by itself once admitted (at 6000 a minute,
	// within moments).
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/waiting-room", url.Values{"enabled": {"on"},
		"admit_per_minute": {"6000"}, "max_active": {"50"}, "active_ttl_seconds": {"600"}}); p.status != http.StatusSeeOther {
		t.Fatalf("waiting room: %d\n%s", p.status, p.body)
	}
	step(t, tab, "through the queue",
		chromedp.Navigate(base+"/e/"+id),
		chromedp.WaitVisible(chromedp.ID("register")),
		chromedp.Click(chromedp.ID("register")),
		chromedp.WaitVisible(chromedp.ID("hold")),
	)
	if loc := read(t, tab, "location", chromedp.Location()); !strings.Contains(loc, "/e/"+id+"/register?t=") {
		t.Errorf("after the queue at %s", loc)
	}
	if tok := read(t, tab, "queue token", chromedp.Value(chromedp.CSS(`input[name="queue_token"]`))); tok == "" {
		t.Error("the registration form does not carry the queue token")
	}

	console.check(t)
}
