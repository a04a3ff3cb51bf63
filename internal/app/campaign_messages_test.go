package app_test

import (
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestCampaignResultAndWinnerMessages plays a quiz campaign twice (a win
// with its gift, a loss) and runs a draw, then reads the text messages the
// development outbox got: each participant has their result, and the
// draw's winner a winner notice, besides the confirmation.
func TestCampaignResultAndWinnerMessages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		b.app.StartBackground()
		own := b.signup("Notice Org", "owner@notice.example")
		c := b.do("POST", "/v1/campaigns", own.Access, campaignBody("가을 이벤트", quizGame, "auto"))
		b.want(c, 201, "")
		cid := c.str("id")
		b.want(b.do("POST", "/v1/campaigns/"+cid+"/gifts", own.Access, map[string]any{"name": "Coffee", "stock": 5}), 201, "")
		play := func(name, phone, answer string) string {
			p := b.do("POST", "/v1/public/campaigns/"+cid+"/participations", "", map[string]any{"name": name, "phone": phone, "consent": true})
			b.want(p, 201, "")
			b.want(b.do("POST", "/v1/public/participations/"+p.str("id")+"/play", "", map[string]any{"answers": []string{answer}}), 200, "")
			return p.str("id")
		}
		winner := play("김하늘", "010-3333-1111", "4")
		loser := play("이바다", "010-3333-2222", "3")
		dr := b.do("POST", "/v1/campaigns/"+cid+"/draws", own.Access, map[string]any{"count": 1, "eligibility": map[string]any{"success_only": true}})
		b.want(dr, 201, "")
		b.want(b.do("POST", "/v1/campaigns/"+cid+"/draws/"+dr.str("id")+"/run", own.Access, nil), 200, "")

		byKind := map[string]map[string]string{} // kind → participation → body
		waitFor(t, func() bool {
			clear(byKind)
			for _, m := range b.messages(own.Access) {
				kind, _ := m["kind"].(string)
				if byKind[kind] == nil {
					byKind[kind] = map[string]string{}
				}
				body, _ := m["body"].(string)
				byKind[kind][m["subject_id"].(string)] = body
			}
			return len(byKind["participation_result"]) == 2 && len(byKind["draw_winner"]) == 1 && len(byKind["participation_confirmation"]) == 2
		})
		if got := byKind["participation_result"][winner]; !strings.Contains(got, "축하합니다") || !strings.Contains(got, "Coffee") || !strings.Contains(got, "김하늘") {
			t.Errorf("the winner's result: %q", got)
		}
		if got := byKind["participation_result"][loser]; !strings.Contains(got, "당첨되지 않았습니다") || strings.Contains(got, "Coffee") {
			t.Errorf("the loser's result: %q", got)
		}
		if got := byKind["draw_winner"][winner]; !strings.Contains(got, "추첨에 당첨") || !strings.Contains(got, "가을 이벤트") {
			t.Errorf("the draw's winner notice: %q", got)
		}
	})
}
