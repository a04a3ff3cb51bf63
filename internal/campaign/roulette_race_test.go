package campaign_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// Spins of a wheel whose every segment wins one gift, while another win
// takes the gift's last unit: on PostgreSQL the spins read the stock before
// that win commits, pick a gift's segment, find it gone when they reserve
// and spin again with nothing left that can come up. Such a loss names no
// segment, as the participant's page shows none, rather than the sold-out
// segment of the spin before.
func TestRouletteLostToAConcurrentWin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameRoulette, Segments: []campaign.Segment{
			{Label: "커피 A", Weight: 1, Gift: "커피"}, {Label: "커피 B", Weight: 1, Gift: "커피"}}}, "auto")
		gift, err := f.svc.CreateGift(f.ctx, c.ID, campaign.CreateGiftInput{Name: "커피", Stock: 1})
		if err != nil {
			t.Fatal(err)
		}
		const n = 4
		ids := make([]string, n)
		for i := range ids {
			p, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "참가자", Phone: fmt.Sprintf("010-8200-%04d", i), Consent: &yes}, campaign.Meta{})
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = p.ID
		}
		// The other win: it takes the last unit and holds the gift's row
		// until the spins wait for it.
		locked, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			held <- f.db.Write(f.ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`UPDATE gifts SET reserved = reserved + 1 WHERE id = ? AND tenant_id = @tenant`, gift.ID)
				close(locked)
				<-release
				return err
			})
		}()
		<-locked
		results := make([]*campaign.PlayResult, n)
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := f.svc.Play(f.ctx, id, campaign.PlayInput{})
				if err != nil {
					t.Error(err)
				}
				results[i] = r
			}()
		}
		if d == db.Postgres {
			waitForLockWaits(t, f.db, n)
		}
		close(release)
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		for i, r := range results {
			if r == nil {
				continue
			}
			if r.Result != campaign.ResultFailure || r.Segment != "" || r.SegmentIndex != nil {
				t.Errorf("play %d: %s at segment %q (%v), which could not come up", i, r.Result, r.Segment, r.SegmentIndex)
			}
			v, err := f.svc.GetParticipantView(f.ctx, ids[i])
			if err != nil {
				t.Fatal(err)
			}
			if v.Segment != r.Segment {
				t.Errorf("play %d: the participant's page shows the segment %q, the play answered %q", i, v.Segment, r.Segment)
			}
		}
	})
}

// waitForLockWaits waits until n statements reserving a gift wait for a
// lock on PostgreSQL.
func waitForLockWaits(t *testing.T, conn *db.DB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		var waiting int
		err := conn.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE gifts SET reserved = reserved + 1%'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d spins wait for the gift's row", waiting, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
