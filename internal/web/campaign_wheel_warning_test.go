package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// The campaign's overview warns of roulette segments that name a gift the
// campaign does not have, and of a wheel none of whose segments can come
// up, in Korean and English; once the gift exists, the warnings go.
func TestCampaignOverviewWarnsOfADeadWheel(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Wheel Warnings", "wheel-warnings@example.com")
	id := newCampaign(t, owner, url.Values{"game_type": {"roulette"}, "segments": {"커피 | 1 | 커피\n쿠키 | 1 | 쿠키\n"}})
	page := "/app/campaigns/" + id
	owner.lang = "en"
	body := owner.get(page).body
	if !strings.Contains(body, `id="wheel-missing"`) || !strings.Contains(body, "커피, 쿠키") || !strings.Contains(body, `id="wheel-stuck"`) {
		t.Fatalf("no warning of the missing gifts and the stuck wheel:\n%s", body)
	}
	owner.lang = "ko"
	if text := owner.get(page).text(); !strings.Contains(text, "경품을 가리킵니다: 커피, 쿠키") || !strings.Contains(text, "어떤 칸도 나올 수 없습니다") {
		t.Fatalf("ko warnings:\n%s", text)
	}
	if p := owner.submit(page+"/gifts", page+"/gifts", url.Values{"name": {"커피"}, "stock": {"2"}}); p.status != 303 {
		t.Fatalf("add gift: %d\n%s", p.status, p.body)
	}
	body = owner.get(page).body
	if strings.Contains(body, `id="wheel-stuck"`) || !strings.Contains(body, `id="wheel-missing"`) || strings.Contains(body, "커피, 쿠키") {
		t.Fatalf("with the coffee in stock: only the cookie should be missing:\n%s", body)
	}
	if p := owner.submit(page+"/gifts", page+"/gifts", url.Values{"name": {"쿠키"}, "stock": {"1"}}); p.status != 303 {
		t.Fatalf("add gift: %d\n%s", p.status, p.body)
	}
	if body = owner.get(page).body; strings.Contains(body, `id="wheel-missing"`) || strings.Contains(body, `id="wheel-stuck"`) {
		t.Fatalf("warnings left with every gift there:\n%s", body)
	}
}
