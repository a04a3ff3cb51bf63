package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A roulette played and then changed (its first segment relabelled as a
// loss, the winning one moved): the participant's result, the staff's
// participation and list, and the personal-data export still name the
// segment and gift that came up when the wheel stopped, not the segment
// that has that place in the wheel now.
func TestRouletteResultOutlivesItsWheel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Wheel Org", "owner@wheel.example")
		// Only the first segment can come up: the second names a gift
		// that does not exist.
		wheel := map[string]any{"type": "roulette", "segments": []any{
			map[string]any{"label": "커피 당첨", "weight": 1, "gift": "커피"},
			map[string]any{"label": "없는 경품", "weight": 1, "gift": "없음"}}}
		body := campaignBody("룰렛", wheel, "auto")
		c := b.do("POST", "/v1/campaigns", o.Access, body)
		b.want(c, 201, "")
		cid := c.str("id")
		b.want(b.do("POST", "/v1/campaigns/"+cid+"/gifts", o.Access, map[string]any{"name": "커피", "stock": 5}), 201, "")
		p := b.do("POST", "/v1/public/campaigns/"+cid+"/participations", "", map[string]any{"name": "김민지", "phone": "010-4100-0001", "consent": true})
		b.want(p, 201, "")
		pid := p.str("id")
		r := b.do("POST", "/v1/public/participations/"+pid+"/play", "", map[string]any{})
		b.want(r, 200, "")
		if r.str("segment") != "커피 당첨" || r.obj("gift")["name"] != "커피" {
			t.Fatalf("play: %s", r.Raw)
		}

		body["game"] = map[string]any{"type": "roulette", "segments": []any{
			map[string]any{"label": "꽝", "weight": 5},
			map[string]any{"label": "커피", "weight": 1, "gift": "커피"}}}
		b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 200, "")

		got := b.do("GET", "/v1/participations/"+pid, o.Access, nil)
		b.want(got, 200, "")
		if got.str("segment") != "커피 당첨" || got.str("gift_name") != "커피" || got.str("result") != "success" {
			t.Errorf("staff participation after the wheel changed: %s", got.Raw)
		}
		list := b.do("GET", "/v1/campaigns/"+cid+"/participations", o.Access, nil)
		b.want(list, 200, "")
		rows, _ := list.Body["data"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["segment"] != "커피 당첨" || rows[0].(map[string]any)["gift_name"] != "커피" {
			t.Errorf("staff list after the wheel changed: %s", list.Raw)
		}
		exp := b.do("POST", "/v1/personal-data/export", o.Access, map[string]any{"phone": "01041000001"})
		b.want(exp, 200, "")
		if !strings.Contains(string(exp.Raw), `"segment":"커피 당첨"`) || !strings.Contains(string(exp.Raw), `"gift_name":"커피"`) {
			t.Errorf("export after the wheel changed: %s", exp.Raw)
		}
		// The participant's own page.
		page := b.do("GET", "/c/"+cid+"/p/"+pid, "", nil)
		if page.Status != 200 || !strings.Contains(string(page.Raw), "나온 칸: 커피 당첨") || strings.Contains(string(page.Raw), "나온 칸: 꽝") {
			t.Errorf("result page after the wheel changed: %d\n%s", page.Status, page.Raw)
		}
	})
}

// The game's type is fixed once anyone has played (and, to or from no
// game, once anyone has taken part): such a change is a 409 game_locked
// that changes nothing. Questions and segments still change.
func TestGameTypeLockedOncePlayed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Lock Org", "owner@lock.example")
		roulette := map[string]any{"type": "roulette", "segments": []any{
			map[string]any{"label": "꽝", "weight": 1}, map[string]any{"label": "또 꽝", "weight": 1}}}
		body := campaignBody("잠금", roulette, "auto")
		c := b.do("POST", "/v1/campaigns", o.Access, body)
		b.want(c, 201, "")
		cid := c.str("id")
		join := func(i int) string {
			p := b.do("POST", "/v1/public/campaigns/"+cid+"/participations", "", map[string]any{
				"name": "참가자", "phone": fmt.Sprintf("010-4200-%04d", i), "consent": true})
			b.want(p, 201, "")
			return p.str("id")
		}

		// Entered, not played: a game may become another game, but not
		// no game.
		first := join(1)
		body["game"] = map[string]any{"type": "none"}
		b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 409, "game_locked")
		body["game"] = quizGame
		b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 200, "")
		body["game"] = roulette
		b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 200, "")

		// Played: the type is fixed; the segments are not.
		b.want(b.do("POST", "/v1/public/participations/"+first+"/play", "", map[string]any{}), 200, "")
		for _, g := range []map[string]any{quizGame, {"type": "none"}, {"type": "ox", "questions": []any{map[string]any{"question": "O?", "answer": "O"}}}} {
			body["game"] = g
			b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 409, "game_locked")
		}
		got := b.do("GET", "/v1/campaigns/"+cid, o.Access, nil)
		if g, _ := json.Marshal(got.Body["game"]); got.obj("game")["type"] != "roulette" || !strings.Contains(string(g), "또 꽝") {
			t.Fatalf("the refused changes changed the game: %s", got.Raw)
		}
		body["game"] = map[string]any{"type": "roulette", "segments": []any{
			map[string]any{"label": "꽝", "weight": 1}, map[string]any{"label": "다음 기회에", "weight": 3}}}
		b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 200, "")

		// No game with people in it: it may not gain one.
		body = campaignBody("게임 없음", map[string]any{"type": "none"}, "auto")
		c = b.do("POST", "/v1/campaigns", o.Access, body)
		b.want(c, 201, "")
		cid = c.str("id")
		body["game"] = quizGame
		b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 200, "") // nobody yet
		body["game"] = map[string]any{"type": "none"}
		b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 200, "")
		join(2)
		body["game"] = quizGame
		b.want(b.do("PUT", "/v1/campaigns/"+cid, o.Access, body), 409, "game_locked")
		if got := b.do("GET", "/v1/campaigns/"+cid, o.Access, nil); got.obj("game")["type"] != "none" {
			t.Fatalf("the refused change changed the game: %s", got.Raw)
		}
	})
}
