package campaign_test

import (
	"fmt"
	"testing"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A win that staff rejected counts as a failure, not a success, in the
// report's totals and in every breakdown, and in the live counts of the
// campaign page; the participants and the games played stay the same, and
// a rejected participation that never played is neither.
func TestRejectedWinsCountAsFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.manualOXWithGift(t, 10)
		sch, err := f.svc.CreateSchool(f.ctx, "서울대학교")
		if err != nil {
			t.Fatal(err)
		}
		// won, won and rejected, won and rejected, lost, lost and rejected, rejected before playing
		plays := []struct {
			answer string
			reject bool
		}{{"O", false}, {"O", true}, {"O", true}, {"X", false}, {"X", true}, {"", true}}
		for i, pl := range plays {
			in := campaign.ParticipateInput{Name: "참가자", Phone: fmt.Sprintf("010-5555-%04d", i), Consent: &yes}
			if i%2 == 0 {
				in.School = sch.ID
			}
			p, err := f.svc.Participate(f.ctx, c.ID, in, campaign.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			if pl.answer != "" {
				if _, err := f.svc.Play(f.ctx, p.ID, campaign.PlayInput{Answers: []string{pl.answer}}); err != nil {
					t.Fatal(err)
				}
			}
			if pl.reject {
				if _, err := f.svc.Reject(f.ctx, p.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		st, err := f.svc.Stats(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Participants != 6 || st.Successes != 1 || st.Failures != 4 || st.GiftsSent != 0 {
			t.Errorf("totals: %d participants, %d successes, %d failures, %d gifts sent; want 6, 1, 4, 0",
				st.Participants, st.Successes, st.Failures, st.GiftsSent)
		}
		// Participations 0, 2 and 4 are of the school: won, won and
		// rejected, lost and rejected.
		want := map[string][2]int{sch.ID: {1, 2}, "": {0, 2}}
		for _, g := range st.BySchool {
			if w := want[g.Key]; g.Successes != w[0] || g.Failures != w[1] {
				t.Errorf("school %q: %d successes, %d failures; want %d, %d", g.Key, g.Successes, g.Failures, w[0], w[1])
			}
		}
		for name, groups := range map[string][]campaign.Group{"channel": st.ByChannel, "department": st.ByDepartment, "hour": st.ByHour} {
			s, fl := 0, 0
			for _, g := range groups {
				s, fl = s+g.Successes, fl+g.Failures
			}
			if s != 1 || fl != 4 {
				t.Errorf("by %s: %d successes, %d failures; want 1, 4", name, s, fl)
			}
		}
		live, err := f.svc.LiveCounts(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *live != (campaign.LiveCounts{Participants: 6, Played: 5, Successes: 1, Failures: 4}) {
			t.Errorf("live counts %+v, want 6 participants, 5 played, 1 success, 4 failures", *live)
		}
	})
}
