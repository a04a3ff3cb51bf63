package rank_test

import (
	"context"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/outbox"
	"github.com/usher-events/usher/internal/rank"
)

// A paid order cancelled later (refunded, or its whole event cancelled)
// leaves the ranking; an event whose paid orders were all cancelled is not
// ranked at all. A cancellation delivered twice takes one order out once, a
// cancelled hold that was never paid changes nothing, and an order.paid
// delivered after its cancellation (a dead letter replayed late) does not
// count the order again.
func TestCancelledOrdersLeaveTheRanking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		conn, ten, t0, disp, svc := r.conn, r.tenant, r.at, r.disp, r.svc

		for _, o := range []string{"ord_a1", "ord_a2", "ord_a3"} {
			emit(t, conn, ten, o, "evt_a", t0.Add(-2*time.Minute))
		}
		for _, o := range []string{"ord_b1", "ord_b2"} {
			emit(t, conn, ten, o, "evt_b", t0.Add(-time.Minute))
		}
		emit(t, conn, ten, "ord_c1", "evt_c", t0)
		// Two of evt_a's paid orders are refunded, one of them reported
		// twice; evt_c's only one is cancelled with its event; a hold of
		// evt_b is cancelled before it was paid.
		cancel(t, conn, ten, "ord_a1", "evt_a", t0, "tkt_a1")
		cancel(t, conn, ten, "ord_a2", "evt_a", t0, "tkt_a2")
		cancel(t, conn, ten, "ord_a2", "evt_a", t0, "tkt_a2")
		cancel(t, conn, ten, "ord_c1", "evt_c", t0, "tkt_c1")
		cancel(t, conn, ten, "ord_b9", "evt_b", t0)
		// ord_d1 is cancelled before its order.paid is (late) delivered.
		cancel(t, conn, ten, "ord_d1", "evt_d", t0, "tkt_d1")
		emit(t, conn, ten, "ord_d1", "evt_d", t0.Add(-time.Minute))

		if _, err := disp.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		top, err := svc.Top(context.Background(), ten)
		if err != nil {
			t.Fatal(err)
		}
		want := []rank.Entry{{EventID: "evt_b", PaidOrders: 2}, {EventID: "evt_a", PaidOrders: 1}}
		if len(top) != len(want) {
			t.Fatalf("ranking = %+v, want evt_b 2, evt_a 1", top)
		}
		for i, w := range want {
			if top[i].EventID != w.EventID || top[i].PaidOrders != w.PaidOrders {
				t.Fatalf("ranking = %+v, want evt_b 2, evt_a 1", top)
			}
		}
	})
}

// cancel writes an order.cancelled event as the order domain does: a paid
// order's lists the tickets it revoked, a hold's none.
func cancel(t *testing.T, conn *db.DB, tenant, order, event string, at time.Time, tickets ...string) {
	t.Helper()
	if tickets == nil {
		tickets = []string{}
	}
	err := conn.Write(db.WithTenant(context.Background(), tenant), func(tx *db.Tx) error {
		_, err := outbox.Emit(tx, "order.cancelled", order, map[string]any{"order_id": order, "event_id": event, "ticket_ids": tickets}, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
