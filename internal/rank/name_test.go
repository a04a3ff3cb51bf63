package rank_test

import (
	"context"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/outbox"
)

// An event renamed while it sells is ranked under its new name (the one its
// latest paid order carried), not whichever name sorts last.
func TestRankedUnderTheLatestName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		conn, ten, t0, disp, svc := r.conn, r.tenant, r.at, r.disp, r.svc
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
