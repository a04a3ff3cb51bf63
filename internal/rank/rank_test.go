package rank_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
	"github.com/usher-events/usher/internal/rank"
)

// The ranking is fed from order.paid events through the outbox: it counts
// each paid order once however often it is delivered, only inside the
// 30-minute window, per tenant, at most Size events.
func TestRankingFromTheOutbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		var clock atomic.Int64
		clock.Store(time.Date(2027, 3, 1, 12, 0, 30, 0, time.UTC).UnixNano())
		now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
		tenants := []string{id.New(id.Tenant), id.New(id.Tenant)}
		for _, ten := range tenants {
			if err := conn.Write(context.Background(), func(tx *db.Tx) error {
				_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'T', 'basic', ?)`, ten, now())
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		runner := job.NewRunner(conn, job.Config{Now: now})
		disp := outbox.NewDispatcher(conn, runner, outbox.DispatcherConfig{Now: now})
		svc := rank.NewService(conn, now)
		disp.Register(svc.Consumer())

		n := 0
		pay := func(tenant, event string, at time.Time) string {
			t.Helper()
			n++
			order := fmt.Sprintf("ord_%d", n)
			emit(t, conn, tenant, order, event, at)
			return order
		}
		t0 := now()
		// Tenant 0: evt_b sells 5 in the window, evt_a 3, evt_old 9 but
		// 31 minutes ago; twelve small events sell one each.
		for range 9 {
			pay(tenants[0], "evt_old", t0.Add(-31*time.Minute))
		}
		var again string
		for i := range 3 {
			again = pay(tenants[0], "evt_a", t0.Add(-time.Duration(i)*time.Minute))
		}
		for i := range 5 {
			pay(tenants[0], "evt_b", t0.Add(-time.Duration(20+i)*time.Minute))
		}
		for i := range 12 {
			pay(tenants[0], fmt.Sprintf("evt_small%02d", i), t0)
		}
		// The same order paid event delivered twice (a redo after a crash)
		// counts once.
		emit(t, conn, tenants[0], again, "evt_a", t0)
		// Tenant 1 sells evt_z only.
		pay(tenants[1], "evt_z", t0)

		if _, err := disp.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		top, err := svc.Top(context.Background(), tenants[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(top) != rank.Size {
			t.Fatalf("ranking has %d entries, want %d: %+v", len(top), rank.Size, top)
		}
		if top[0].EventID != "evt_b" || top[0].PaidOrders != 5 || top[1].EventID != "evt_a" || top[1].PaidOrders != 3 {
			t.Fatalf("top two = %+v, %+v; want evt_b 5, evt_a 3", top[0], top[1])
		}
		for _, e := range top {
			if e.EventID == "evt_old" || e.EventID == "evt_z" {
				t.Fatalf("ranking lists %s: %+v", e.EventID, top)
			}
		}
		other, err := svc.Top(context.Background(), tenants[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(other) != 1 || other[0].EventID != "evt_z" || other[0].PaidOrders != 1 {
			t.Fatalf("tenant 1 ranking = %+v", other)
		}

		// Eleven minutes later evt_b's sales (20–24 minutes old then) have
		// left the window; evt_a's have not.
		clock.Add(int64(11 * time.Minute))
		top, err = svc.Top(context.Background(), tenants[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range top {
			if e.EventID == "evt_b" {
				t.Fatalf("evt_b still ranked after its sales left the window: %+v", top)
			}
		}
		if top[0].EventID != "evt_a" || top[0].PaidOrders != 3 {
			t.Fatalf("top = %+v, want evt_a 3 first", top[0])
		}
	})
}

// emit writes an order.paid event for tenant as the order domain does.
func emit(t *testing.T, conn *db.DB, tenant, order, event string, at time.Time) {
	t.Helper()
	err := conn.Write(db.WithTenant(context.Background(), tenant), func(tx *db.Tx) error {
		_, err := outbox.Emit(tx, "order.paid", order, map[string]any{
			"order_id": order, "event": map[string]any{"id": event, "name": "Event " + event},
		}, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rig is one tenant's ranking fed through the outbox at a fixed time, on a
// database of its own.
type rig struct {
	conn   *db.DB
	tenant string
	at     time.Time
	disp   *outbox.Dispatcher
	svc    *rank.Service
}

func newRig(t *testing.T, d db.Dialect) *rig {
	t.Helper()
	r := &rig{conn: dbtest.Open(t, d), tenant: id.New(id.Tenant), at: time.Date(2027, 3, 1, 12, 0, 30, 0, time.UTC)}
	now := func() time.Time { return r.at }
	if err := r.conn.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'T', 'basic', ?)`, r.tenant, r.at)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r.disp = outbox.NewDispatcher(r.conn, job.NewRunner(r.conn, job.Config{Now: now}), outbox.DispatcherConfig{Now: now})
	r.svc = rank.NewService(r.conn, now)
	r.disp.Register(r.svc.Consumer())
	return r
}
