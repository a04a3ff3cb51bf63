package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
)

// campaignKeyRE finds a campaign message key shown as itself: a key missing from
// a catalog, or one built at run time that no catalog holds.
var campaignKeyRE = regexp.MustCompile(`\b(?:camp|land|draw|cnotice|report)\.[a-z_]+(?:\.[a-z_]+)*\b`)

// TestCampaignPagesOnPhone opens every organizer and public page of a
// campaign with a quiz, a gift, a participant and a run draw on a phone, in
// Korean and in English: each fits the screen and shows no message key in
// place of its text.
func TestCampaignPagesOnPhone(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("휴대폰 캠페인", "phone-camp@example.com")
	id := newCampaign(t, owner, url.Values{"game_type": {"quiz"}, "questions": {"한국의 수도는? | 서울 | 서울; 부산; 대구\n"}, "game_gift": {"커피 쿠폰"}})
	if p := owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {"커피 쿠폰"}, "stock": {"3"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add gift: %d", p.status)
	}
	guest := newBrowser(t, srv)
	p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"홍길동"}, "phone": {"010-2345-6789"}, "consent": {"1"}, "school": {"서울대학교"}})
	m := partRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("participate: %d to %q\n%s", p.status, p.location(), p.body)
	}
	mine := "/c/" + id + "/p/" + m[2]
	if p := guest.submit(mine, mine, url.Values{"answer_0": {"서울"}}); p.status != http.StatusSeeOther {
		t.Fatalf("play: %d\n%s", p.status, p.body)
	}
	p = owner.submit("/app/campaigns/"+id+"/draws", "/app/campaigns/"+id+"/draws", url.Values{"count": {"1"}})
	dm := drawRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || dm == nil {
		t.Fatalf("create draw: %d to %q", p.status, p.location())
	}
	drawPage := "/app/campaigns/" + id + "/draws/" + dm[1]
	if p := owner.submit(drawPage, drawPage, url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("run draw: %d", p.status)
	}

	pages := []string{"/app/campaigns", "/app/campaigns/new", "/app/schools", "/app/campaigns/" + id}
	for _, tab := range []string{"/edit", "/gifts", "/participants", "/channels", "/draws", "/draws/" + dm[1], "/report"} {
		pages = append(pages, "/app/campaigns/"+id+tab)
	}
	pages = append(pages, "/c/"+id+"?ch=instagram", mine, "/d/"+dm[1])

	tab := headless(t)
	signInOnPhone(t, tab, srv.URL, "phone-camp@example.com")
	for _, lang := range []string{"ko", "en"} {
		shot := 0
		step(t, tab, "switch to "+lang,
			chromedp.Navigate(srv.URL+"/c/"+id),
			chromedp.WaitVisible(chromedp.CSS(`.lang button[value="`+lang+`"]`)),
			follow(chromedp.CSS(`.lang button[value="`+lang+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"]`)),
		)
		for _, path := range pages {
			step(t, tab, lang+" "+path, chromedp.Navigate(srv.URL+path), chromedp.WaitReady(chromedp.CSS("main")))
			fitsPhone(t, tab, lang+" page "+path)
			shot++
			screenshot(t, tab, fmt.Sprintf("campaign-walk-%s-%02d", lang, shot))
			text := read(t, tab, lang+" text of "+path, chromedp.Text(chromedp.CSS("body")))
			if k := campaignKeyRE.FindString(text); k != "" {
				t.Errorf("%s %s shows the message key %q", lang, path, k)
			}
		}
	}
}
