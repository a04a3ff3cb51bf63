package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// What a winner's result page says beyond "you won": a win after the last
// gift went says so, and does not promise a gift after the organizer's
// check; a win that staff rejected no longer congratulates.
func TestCampaignResultPageGiftGoneAndRejected(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Result Org", "result@example.com")
	id := newCampaign(t, owner, oxGame) // manual approval, the gift 커피 쿠폰
	if p := owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {"커피 쿠폰"}, "stock": {"1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add gift: %d", p.status)
	}
	win := func(phone string) (*browser, string, string) {
		guest := newBrowser(t, srv)
		p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"Kim"}, "phone": {phone}, "consent": {"1"}, "school": {"서울대학교"}})
		m := partRE.FindStringSubmatch(p.location())
		if p.status != http.StatusSeeOther || m == nil {
			t.Fatalf("join: %d\n%s", p.status, p.body)
		}
		mine := strings.Split(p.location(), "?")[0]
		if p = guest.submit(mine, mine, url.Values{"answer_0": {"O"}}); p.status != http.StatusSeeOther {
			t.Fatalf("answer: %d\n%s", p.status, p.body)
		}
		return guest, mine, m[2]
	}
	first, firstPage, firstID := win("010-7200-0001")
	second, secondPage, _ := win("010-7200-0002")

	for lang, want := range map[string][3]string{
		"ko": {"경품이 모두 소진되어", "주최 측 확인 후 참여가 확정됩니다.", "주최 측 확인 후 경품이 확정됩니다."},
		"en": {"the gifts have all been given out", "Your entry is confirmed once the organizer has checked.", "The gift is confirmed once the organizer has checked."},
	} {
		second.lang = lang
		text := second.get(secondPage).text()
		if !strings.Contains(text, want[0]) || !strings.Contains(text, want[1]) || strings.Contains(text, want[2]) {
			t.Errorf("%s: the win without a gift:\n%s", lang, text)
		}
		first.lang = lang
		if text = first.get(firstPage).text(); !strings.Contains(text, want[2]) {
			t.Errorf("%s: the win with the gift:\n%s", lang, text)
		}
	}

	list := "/app/campaigns/" + id + "/participants"
	if p := owner.submit(list, "/app/participations/"+firstID+"/reject", url.Values{"return": {list}}); p.status != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", p.status, p.body)
	}
	for lang, want := range map[string][2]string{"ko": {"이번 참여는 인정되지 않았습니다.", "축하합니다"}, "en": {"This entry was not accepted.", "Congratulations"}} {
		first.lang = lang
		if text := first.get(firstPage).text(); !strings.Contains(text, want[0]) || strings.Contains(text, want[1]) || strings.Contains(text, "커피 쿠폰") {
			t.Errorf("%s: the rejected win:\n%s", lang, text)
		}
	}
}
