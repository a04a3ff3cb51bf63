package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The public winner page of a draw of one winner among one entry speaks of
// one winner and one entry in English ("1 winners" read wrong), and in
// Korean it explains the algorithm in Korean, not in the API's English.
func TestPublicDrawPageWordsForOne(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Draw Words", "draw-words@example.com")
	id := newCampaign(t, owner, url.Values{"game_type": {"none"}})
	guest := newBrowser(t, srv)
	if p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"Kim"}, "phone": {"010-7100-0001"}, "consent": {"1"}, "school": {"서울대학교"}}); p.status != http.StatusSeeOther {
		t.Fatalf("join: %d\n%s", p.status, p.body)
	}
	p := owner.submit("/app/campaigns/"+id+"/draws", "/app/campaigns/"+id+"/draws", url.Values{"count": {"1"}})
	m := drawRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create draw: %d\n%s", p.status, p.body)
	}
	if p = owner.submit("/app/campaigns/"+id+"/draws/"+m[1], "/app/campaigns/"+id+"/draws/"+m[1], url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("run draw: %d", p.status)
	}

	// The organizer's pages say it the same way: the draw, its list, the
	// campaign list's count of one participant.
	owner.lang = "en"
	for _, page := range []string{"/app/campaigns/" + id + "/draws", "/app/campaigns/" + id + "/draws/" + m[1], "/app/campaigns"} {
		text := owner.get(page).text()
		for _, wrong := range []string{"1 winners", "1 participants"} {
			if strings.Contains(text, wrong) {
				t.Errorf("%s: %q", page, wrong)
			}
		}
	}
	if text := owner.get("/app/campaigns/" + id + "/draws").text(); !strings.Contains(text, "Draw of 1 winner") {
		t.Errorf("draws page: no \"Draw of 1 winner\":\n%s", text)
	}

	pub := newBrowser(t, srv)
	pub.lang = "en"
	text := pub.get("/d/" + m[1]).text()
	for _, want := range []string{"A draw of 1 winner.", "1 winner", "Frozen list (1 entry)", "Fisher-Yates over the frozen list"} {
		if !strings.Contains(text, want) {
			t.Errorf("en: no %q", want)
		}
	}
	for _, wrong := range []string{"1 winners", "1 entries"} {
		if strings.Contains(text, wrong) {
			t.Errorf("en: %q", wrong)
		}
	}
	pub.lang = "ko"
	text = pub.get("/d/" + m[1]).text()
	if !strings.Contains(text, "피셔-예이츠") || strings.Contains(text, "Fisher-Yates over") {
		t.Errorf("ko: the algorithm is not explained in Korean:\n%s", text)
	}
}
