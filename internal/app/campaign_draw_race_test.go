package app_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// Runs of one draw sent at once: one picks the winners, every other gets
// the 409 conflict that a run after it gets, never another answer (on
// PostgreSQL the runs that waited for the first one's lock were a 404),
// and the winners are those of the first.
func TestConcurrentDrawRuns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Race Org", "owner@race.example")
		c := b.do("POST", "/v1/campaigns", o.Access, campaignBody("동시 추첨", map[string]any{"type": "none"}, "auto"))
		b.want(c, 201, "")
		cid := c.str("id")
		for i := range 5 {
			b.want(b.do("POST", "/v1/public/campaigns/"+cid+"/participations", "", map[string]any{
				"name": "참가자", "phone": fmt.Sprintf("010-7300-%04d", i), "consent": true}), 201, "")
		}
		const draws, runs = 4, 8
		for range draws {
			dr := b.do("POST", "/v1/campaigns/"+cid+"/draws", o.Access, map[string]any{"count": 2})
			b.want(dr, 201, "")
			run := "/v1/campaigns/" + cid + "/draws/" + dr.str("id") + "/run"
			answers := make([]*response, runs)
			var start, wg sync.WaitGroup
			start.Add(1)
			for i := range answers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					start.Wait()
					answers[i] = b.do("POST", run, o.Access, nil)
				}()
			}
			start.Done()
			wg.Wait()
			var first *response
			for _, r := range answers {
				switch {
				case r.Status == 200 && first == nil:
					first = r
				case r.Status == 409 && r.str("code") == "conflict":
				default:
					t.Errorf("concurrent run: %d %s", r.Status, r.Raw)
				}
			}
			if first == nil {
				t.Fatal("no run picked the winners")
			}
			// A run after them all gets the same conflict, and the draw
			// keeps the first run's winners.
			b.want(b.do("POST", run, o.Access, nil), 409, "conflict")
			got := b.do("GET", "/v1/campaigns/"+cid+"/draws/"+dr.str("id"), o.Access, nil)
			b.want(got, 200, "")
			if w1, w2 := fmt.Sprint(first.Body["winners"]), fmt.Sprint(got.Body["winners"]); w1 != w2 || got.str("seed") != first.str("seed") {
				t.Fatalf("winners %s after the race, the run answered %s", w2, w1)
			}
		}
	})
}
