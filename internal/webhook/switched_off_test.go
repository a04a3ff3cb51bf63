package webhook

import (
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// Events that happen while an endpoint is switched off are not recorded
// for it: switched back on, it gets the events that follow, never those
// (as the README and the endpoint's page say).
func TestEventsWhileSwitchedOffAreNeverSent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		if _, err := r.svc.Update(r.ctx, e.ID, Input{Active: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		r.emit("order.paid", "ord_off", map[string]any{"order_id": "ord_off"})
		r.settle()
		r.advance(time.Second)
		if _, err := r.svc.Update(r.ctx, e.ID, Input{Active: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		r.settle()
		if ds := r.deliveries(e.ID); len(ds) != 0 {
			t.Fatalf("an event while the endpoint was off was recorded for it: %+v", ds)
		}
		r.emit("order.paid", "ord_on", map[string]any{"order_id": "ord_on"})
		r.settle()
		ds := r.deliveries(e.ID)
		if len(ds) != 1 || ds[0].Status != StatusSucceeded || len(r.received()) != 1 {
			t.Fatalf("after switching back on: %+v, %d received", ds, len(r.received()))
		}
	})
}
