package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A quiz played and then edited: the participant's result is scored out
// of the questions they answered, and the settings page refuses a change
// of the game's type with its reason in the page's language, keeping what
// was typed.
func TestCampaignGameChangedAfterPlay(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Edit Org", "edit@example.com")
	quiz := url.Values{"game_type": {"quiz"}, "questions": {"한국의 수도는? | 서울 | 서울; 부산\n"}}
	id := newCampaign(t, owner, quiz)

	guest := newBrowser(t, srv)
	p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"Kim"}, "phone": {"010-5100-0001"}, "consent": {"1"}, "school": {"서울대학교"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("join: %d\n%s", p.status, p.body)
	}
	mine := strings.Split(p.location(), "?")[0]
	if p = guest.submit(mine, mine, url.Values{"answer_0": {"서울"}}); p.status != http.StatusSeeOther {
		t.Fatalf("answer: %d\n%s", p.status, p.body)
	}

	now := time.Now().In(time.FixedZone("KST", 9*3600))
	form := url.Values{"name": {"바뀐 퀴즈"}, "starts_at": {now.Add(-time.Hour).Format("2006-01-02T15:04")},
		"ends_at": {now.Add(48 * time.Hour).Format("2006-01-02T15:04")}, "approval": {"manual"}, "game_type": {"quiz"},
		"questions": {"한국의 수도는? | 서울 | 서울; 부산\n부산의 바다는? | 해운대 | 해운대; 경포대\n"}}
	edit := "/app/campaigns/" + id + "/edit"
	if p = owner.submit(edit, edit, form); p.status != http.StatusSeeOther {
		t.Fatalf("add a question: %d\n%s", p.status, p.body)
	}
	if p = guest.get(mine); !strings.Contains(p.text(), "1 / 1 문제를 맞혔습니다.") {
		t.Errorf("the result after a question was added:\n%s", p.text())
	}

	form.Set("game_type", "ox")
	form.Set("questions", "서울은 한국의 수도이다 | O\n")
	for lang, want := range map[string]string{"ko": "게임 종류를 바꿀 수 없습니다", "en": "the type of game cannot change"} {
		owner.lang = lang
		p = owner.submit(edit, edit, form)
		if p.status != http.StatusConflict || !strings.Contains(p.text(), want) || !strings.Contains(p.body, "서울은 한국의 수도이다 | O") {
			t.Errorf("change of type (%s): %d\n%s", lang, p.status, p.text())
		}
	}
}
