package rank_test

import (
	"context"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
	"github.com/usher-events/usher/internal/rank"
)

// An event renamed while it sells is ranked under its new name (the one its
// latest paid order carried), not whichever name sorts last.
func TestRankedUnderTheLatestName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		t0 := time.Date(2027, 3, 1, 12, 0, 30, 0, time.UTC)
		now := func() time.Time { return t0 }
		ten := id.New(id.Tenant)
		if err := conn.Write(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'T', 'basic', ?)`, ten, t0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		disp := outbox.NewDispatcher(conn, job.NewRunner(conn, job.Config{Now: now}), outbox.DispatcherConfig{Now: now})
		svc := rank.NewService(conn, now)
		disp.Register(svc.Consumer())
		for i, name := range []string{"Zebra Night", "Zebra Night", "Apple Night"} {
			err := conn.Write(db.WithTenant(context.Background(), ten), func(tx *db.Tx) error {
				o := "ord_" + string(rune('a'+i))
				_, err := outbox.Emit(tx, "order.paid", o, map[string]any{"order_id": o, "event": map[string]any{"id": "evt_z", "name": name}},
					t0.Add(time.Duration(i-2)*time.Minute))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := disp.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		top, err := svc.Top(context.Background(), ten)
		if err != nil {
			t.Fatal(err)
		}
		if len(top) != 1 || top[0].Name != "Apple Night" || top[0].PaidOrders != 3 {
			t.Fatalf("ranking = %+v, want Apple Night with 3", top)
		}
	})
}
