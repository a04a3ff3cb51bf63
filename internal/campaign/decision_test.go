package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
)

// An organizer of a manual campaign may approve a participation before its
// game is played; the gift it then wins is confirmed at once, so that it
// can be handed out and counts as sent.
func TestApprovedBeforePlayConfirmsGift(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.manualOXWithGift(t, 2)
		p, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "김철수", Phone: "010-1111-2222", Consent: &yes}, campaign.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(f.ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		r, err := f.svc.Play(f.ctx, p.ID, campaign.PlayInput{Answers: []string{"O"}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Gift == nil || r.Status != campaign.StatusApproved {
			t.Fatalf("play: %+v", r)
		}
		got, err := f.svc.GetParticipation(f.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.GiftStatus != campaign.GiftConfirmed {
			t.Fatalf("gift status %q after approval then a win, want %q", got.GiftStatus, campaign.GiftConfirmed)
		}
		if _, err := f.svc.HandOut(f.ctx, p.ID); err != nil {
			t.Fatalf("hand out: %v", err)
		}
		gifts, err := f.svc.ListGifts(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gifts[0].HandedOut != 1 || gifts[0].Reserved != 0 || gifts[0].Available != 1 {
			t.Fatalf("gift after hand-out: %+v", gifts[0])
		}
		st, err := f.svc.Stats(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.GiftsSent != 1 {
			t.Fatalf("gifts sent %d, want 1", st.GiftsSent)
		}
	})
}

// A rejected participation is never in a draw's frozen list, whatever the
// eligibility asks for.
func TestDrawLeavesOutRejected(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameNone}, "manual")
		var ids []string
		for i := range 4 {
			p, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "이영희", Phone: fmt.Sprintf("010-4444-%04d", i), Consent: &yes}, campaign.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		rejected, err := f.svc.Reject(f.ctx, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Approve(f.ctx, ids[2]); err != nil {
			t.Fatal(err)
		}
		dr, err := f.svc.CreateDraw(f.ctx, c.ID, campaign.CreateDrawInput{Count: 4})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(dr.Frozen, strconv.Itoa(rejected.Number)) || len(dr.Frozen) != 3 {
			t.Fatalf("frozen list %v holds the rejected participation #%d", dr.Frozen, rejected.Number)
		}
		run, err := f.svc.RunDraw(f.ctx, c.ID, dr.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range run.Winners {
			if w.Number == rejected.Number {
				t.Fatalf("the rejected participation #%d won", w.Number)
			}
		}
		if len(run.Winners) != 3 {
			t.Fatalf("winners %+v, want the 3 not rejected", run.Winners)
		}
	})
}

// An outside system's record that took place after it arrived (beyond a
// little clock skew) is refused on its time and archived as rejected.
func TestExternalRecordFromTheFuture(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameNone}, "auto")
		cred, err := f.svc.CreateExternalCredential(f.ctx, "partner")
		if err != nil {
			t.Fatal(err)
		}
		body := func(phone string, at time.Time) []byte {
			return fmt.Appendf(nil, `{"name":"박민수","phone":%q,"time":%q,"event_id":%q}`, phone, at.Format(time.RFC3339), c.ID)
		}
		_, err = f.svc.RecordExternal(f.ctx, cred.Username, cred.Password, body("010-5555-0001", f.now.Add(time.Hour)))
		var fe *fault.Error
		if !fault.Is(err, fault.Validation) || !errors.As(err, &fe) || len(fe.Fields) != 1 || fe.Fields[0].Field != "time" {
			t.Fatalf("a record an hour ahead: %v, want a validation error on time", err)
		}
		if _, err := f.svc.RecordExternal(f.ctx, cred.Username, cred.Password, body("010-5555-0002", f.now.Add(time.Minute))); err != nil {
			t.Fatalf("a record a minute ahead (clock skew): %v", err)
		}
		if _, err := f.svc.RecordExternal(f.ctx, cred.Username, cred.Password, body("010-5555-0003", f.now.Add(-time.Minute))); err != nil {
			t.Fatalf("a record of a minute ago: %v", err)
		}
		recs, err := f.svc.ListExternalRecords(f.ctx, apiPage(10))
		if err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, r := range recs.Body.Data {
			statuses = append(statuses, r.Status)
		}
		if !slices.Equal(statuses, []string{"accepted", "accepted", "rejected"}) {
			t.Fatalf("archived %v, want newest first accepted, accepted, rejected", statuses)
		}
	})
}

// A play and a decision on the same participation at once never lose
// either: a rejected participation holds no gift, an approved one is not
// set back to pending, and the gift's reserved count matches the
// participations that hold one.
func TestPlayRacesDecision(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.manualOXWithGift(t, 1000)
		const n = 60
		var ids []string
		for i := range n {
			p, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "참가자", Phone: fmt.Sprintf("010-6666-%04d", i), Consent: &yes}, campaign.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		decided := map[string]string{} // the status a decision that succeeded set
		for i, pid := range ids {
			decide, to := f.svc.Reject, campaign.StatusRejected
			if i%2 == 0 {
				decide, to = f.svc.Approve, campaign.StatusApproved
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				if _, err := f.svc.Play(context.Background(), pid, campaign.PlayInput{Answers: []string{"O"}}); err != nil && !fault.Is(err, fault.Conflict) {
					t.Errorf("play: %v", err)
				}
			}()
			go func() {
				defer wg.Done()
				_, err := decide(f.ctx, pid)
				if err != nil && !fault.Is(err, fault.Conflict) {
					t.Errorf("decide: %v", err)
				}
				if err == nil {
					mu.Lock()
					decided[pid] = to
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		holding := 0
		for _, pid := range ids {
			p, err := f.svc.GetParticipation(f.ctx, pid)
			if err != nil {
				t.Fatal(err)
			}
			held := p.GiftStatus == campaign.GiftReserved || p.GiftStatus == campaign.GiftConfirmed
			if held {
				holding++
			}
			switch {
			case p.Status == campaign.StatusRejected && held:
				t.Errorf("#%d is rejected but holds its gift (%s)", p.Number, p.GiftStatus)
			case decided[pid] != "" && p.Status != decided[pid]:
				t.Errorf("#%d was %s, and is %s again", p.Number, decided[pid], p.Status)
			case p.Status == campaign.StatusApproved && p.GiftStatus == campaign.GiftReserved:
				t.Errorf("#%d is approved with its gift only reserved", p.Number)
			}
		}
		gifts, err := f.svc.ListGifts(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gifts[0].Reserved != holding {
			t.Fatalf("the gift has %d reserved, %d participations hold one", gifts[0].Reserved, holding)
		}
	})
}

// manualOXWithGift makes a manual-approval OX campaign of one question
// ("O" is right) whose success wins a 텀블러, with stock of them.
func (f *fixture) manualOXWithGift(t *testing.T, stock int) *campaign.Campaign {
	t.Helper()
	c := f.campaign(t, campaign.Game{Type: campaign.GameOX, Gift: "텀블러",
		Questions: []campaign.Question{{Question: "하늘은 파랗다", Answer: "O"}}}, "manual")
	if _, err := f.svc.CreateGift(f.ctx, c.ID, campaign.CreateGiftInput{Name: "텀블러", Stock: stock}); err != nil {
		t.Fatal(err)
	}
	return c
}
