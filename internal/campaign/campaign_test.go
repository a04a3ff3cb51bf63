package campaign_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// fixture is a service on a fresh database with one tenant.
type fixture struct {
	svc *campaign.Service
	db  *db.DB
	ctx context.Context
	now time.Time
}

func setup(t testing.TB, d db.Dialect) *fixture {
	t.Helper()
	conn := dbtest.Open(t, d)
	now := time.Date(2027, 5, 1, 3, 0, 0, 0, time.UTC)
	tenantID := id.New(id.Tenant)
	err := conn.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, ?, ?, ?)`, tenantID, "Campus", "basic", now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := campaign.NewService(conn, func() time.Time { return now }, nil, campaign.Config{PublicURL: "https://usher.test"})
	return &fixture{svc: svc, db: conn, ctx: db.WithTenant(context.Background(), tenantID), now: now}
}

func (f *fixture) campaign(t testing.TB, g campaign.Game, approval string) *campaign.Campaign {
	t.Helper()
	c, err := f.svc.CreateCampaign(f.ctx, campaign.CreateCampaignInput{
		Name: "봄 축제 이벤트", StartsAt: f.now.Add(-time.Hour), EndsAt: f.now.Add(24 * time.Hour), Game: g, Approval: approval,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var yes = true

func TestOnePersonUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameNone}, "manual")
		spellings := []string{"010-1234-5678", "01012345678", "+82 10 1234 5678", "+821012345678", "(010) 1234-5678"}
		var wg sync.WaitGroup
		results := make(chan error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Participate(context.Background(), c.ID, campaign.ParticipateInput{
					Name: "김철수", Phone: spellings[i%len(spellings)], Consent: &yes}, campaign.Meta{IP: "10.0.0.1"})
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		ok, dup := 0, 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case fault.Is(err, fault.DuplicateParticipation):
				dup++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || dup != 99 {
			t.Fatalf("accepted %d, duplicates %d; want 1 and 99", ok, dup)
		}
		list, err := f.svc.ListParticipations(f.ctx, c.ID, campaign.ParticipationFilter{}, apiPage(10))
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 1 || list.Body.Data[0].Number != 1 || list.Body.Data[0].Phone != "+821012345678" {
			t.Fatalf("stored %+v", list.Body.Data)
		}
	})
}

func TestGiftStockUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameOX, Gift: "텀블러",
			Questions: []campaign.Question{{Question: "하늘은 파랗다", Answer: "O"}}}, "auto")
		g, err := f.svc.CreateGift(f.ctx, c.ID, campaign.CreateGiftInput{Name: "텀블러", Stock: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range 100 {
			p, err := f.svc.Participate(context.Background(), c.ID, campaign.ParticipateInput{
				Name: "참가자", Phone: fmt.Sprintf("010-5555-%04d", i), Consent: &yes}, campaign.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, success := 0, 0
		for _, pid := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := f.svc.Play(context.Background(), pid, campaign.PlayInput{Answers: []string{"o"}})
				if err != nil {
					t.Errorf("play: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if r.Result == campaign.ResultSuccess {
					success++
				}
				if r.Gift != nil {
					won++
				}
			}()
		}
		wg.Wait()
		gifts, err := f.svc.ListGifts(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if won != 10 || success != 100 || gifts[0].ID != g.ID || gifts[0].Reserved != 10 || gifts[0].Available != 0 {
			t.Fatalf("won %d, successes %d, gift %+v; want 10 won of stock 10", won, success, gifts[0])
		}
		// Playing twice is refused.
		if _, err := f.svc.Play(context.Background(), ids[0], campaign.PlayInput{Answers: []string{"O"}}); !fault.Is(err, fault.AlreadyPlayed) {
			t.Fatalf("second play: %v, want already_played", err)
		}
		// Rejecting a winner returns the gift; the stock is never negative.
		st, err := f.svc.Stats(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Participants != 100 || st.Successes != 100 || st.GiftsSent != 10 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestRouletteSkipsEmptyGifts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameRoulette, Segments: []campaign.Segment{
			{Label: "커피", Weight: 1000, Gift: "커피"}, {Label: "꽝", Weight: 1}}}, "manual")
		if _, err := f.svc.CreateGift(f.ctx, c.ID, campaign.CreateGiftInput{Name: "커피", Stock: 2}); err != nil {
			t.Fatal(err)
		}
		wins := 0
		for i := range 6 {
			p, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "A", Phone: fmt.Sprintf("010-7777-%04d", i), Consent: &yes}, campaign.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := f.svc.Play(f.ctx, p.ID, campaign.PlayInput{})
			if err != nil {
				t.Fatal(err)
			}
			// The blank has a weight too, so an early play may miss: what
			// matters is that no play wins once both gifts are gone.
			if r.Gift != nil && wins >= 2 {
				t.Fatalf("play %d won a gift that is out of stock", i)
			}
			if r.Gift != nil {
				wins++
			}
			if r.Status != campaign.StatusPending {
				t.Fatalf("manual approval: status %s", r.Status)
			}
		}
		if wins > 2 {
			t.Fatalf("wins = %d, stock 2", wins)
		}
	})
}

func TestDrawReRunsFromPublishedSeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameNone}, "auto")
		for i := range 30 {
			if _, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "이영희", Phone: fmt.Sprintf("010-3333-%04d", i), Consent: &yes}, campaign.Meta{}); err != nil {
				t.Fatal(err)
			}
		}
		dr, err := f.svc.CreateDraw(f.ctx, c.ID, campaign.CreateDrawInput{Count: 5, Eligibility: campaign.Eligibility{ApprovedOnly: true}})
		if err != nil {
			t.Fatal(err)
		}
		if dr.Seed != "" || len(dr.Frozen) != 30 || len(dr.Commitment) != 64 {
			t.Fatalf("created draw leaks its seed or froze the wrong list: %+v", dr)
		}
		run, err := f.svc.RunDraw(f.ctx, c.ID, dr.ID)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := f.svc.GetPublicDraw(context.Background(), dr.ID)
		if err != nil {
			t.Fatal(err)
		}
		seed, err := hex.DecodeString(pub.Seed)
		if err != nil || !campaign.CheckCommitment(seed, dr.Commitment) {
			t.Fatalf("the revealed seed does not match the commitment: %v", err)
		}
		again := campaign.Verify(seed, pub.Frozen, pub.Count)
		if len(again) != 5 || len(run.Winners) != 5 {
			t.Fatalf("winners %v / %v", again, run.Winners)
		}
		seen := map[string]bool{}
		for i, w := range pub.Winners {
			if strconv.Itoa(w.Number) != again[i] {
				t.Fatalf("re-run winners %v differ from published %+v", again, pub.Winners)
			}
			if seen[again[i]] {
				t.Fatalf("winner %s drawn twice", again[i])
			}
			seen[again[i]] = true
			if w.Phone[len(w.Phone)-4:] == "" || w.Phone[:3] != "***" {
				t.Fatalf("phone not masked: %q", w.Phone)
			}
		}
		if _, err := f.svc.RunDraw(f.ctx, c.ID, dr.ID); !fault.Is(err, fault.Conflict) {
			t.Fatalf("second run: %v", err)
		}
	})
}

func TestVerifyIsDeterministic(t *testing.T) {
	seed := []byte("0123456789abcdef0123456789abcdef")
	frozen := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}
	a := campaign.Verify(seed, frozen, 3)
	b := campaign.Verify(seed, frozen, 3)
	if fmt.Sprint(a) != fmt.Sprint(b) || len(a) != 3 {
		t.Fatalf("%v vs %v", a, b)
	}
	if got := campaign.Verify(seed, frozen, 50); len(got) != 10 {
		t.Fatalf("count above the list: %v", got)
	}
	if frozen[0] != "1" {
		t.Fatal("Verify changed its input")
	}
}
