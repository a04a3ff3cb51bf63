package webhook

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/job"
)

// runDue runs the jobs due at the rig's clock and reports how many ran.
func (r *rig) runDue() int {
	r.t.Helper()
	n, err := r.runner.RunDue(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// one returns a delivery as the log lists it and as it is read alone,
// failing the test when the two disagree on the next attempt.
func (r *rig) one(endpointID, deliveryID string) *Delivery {
	r.t.Helper()
	d, err := r.svc.Delivery(r.ctx, endpointID, deliveryID)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, l := range r.deliveries(endpointID) {
		if l.ID == deliveryID && !sameTime(l.NextAttemptAt, d.NextAttemptAt) {
			r.t.Fatalf("the list's next attempt %v differs from the delivery's %v", l.NextAttemptAt, d.NextAttemptAt)
		}
	}
	return d
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// The next attempt a failed delivery shows is when the job layer tries it
// again, by the runner's own backoff: at that instant the attempt runs, a
// microsecond before it nothing does. Once every attempt is used, the
// delivery has failed and shows no next attempt.
func TestNextAttemptIsWhenTheJobRunsAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		r.status.Store(http.StatusInternalServerError)
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		if _, err := r.disp.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		ds := r.deliveries(e.ID)
		if len(ds) != 1 {
			t.Fatalf("deliveries: %+v", ds)
		}
		id := ds[0].ID
		// Not tried yet: due at once, since it was recorded.
		if first := r.one(e.ID, id); first.Status != StatusPending || first.NextAttemptAt == nil || first.NextAttemptAt.After(r.svc.Now()) {
			t.Fatalf("a new delivery: status %s, next attempt %v (now %v); want pending and due", first.Status, first.NextAttemptAt, r.svc.Now())
		}
		if n := r.runDue(); n != 1 {
			t.Fatalf("the first attempt: %d jobs ran", n)
		}
		for attempt := 1; attempt < MaxAttempts; attempt++ {
			x := r.one(e.ID, id)
			if x.Status != StatusRetrying || x.Attempts != attempt || x.NextAttemptAt == nil {
				t.Fatalf("after attempt %d: status %s, attempts %d, next attempt %v; want retrying with a next attempt", attempt, x.Status, x.Attempts, x.NextAttemptAt)
			}
			last := x.AttemptLog[len(x.AttemptLog)-1].At
			if !x.NextAttemptAt.After(last) {
				t.Fatalf("after attempt %d at %v the next attempt is %v", attempt, last, *x.NextAttemptAt)
			}
			next := *x.NextAttemptAt
			r.clock.Store(next.Add(-time.Microsecond).UnixNano())
			if n := r.runDue(); n != 0 {
				t.Fatalf("attempt %d ran before its next_attempt_at %v", attempt+1, next)
			}
			if got := r.one(e.ID, id); got.Attempts != attempt || !got.NextAttemptAt.Equal(next) {
				t.Fatalf("waiting for attempt %d: attempts %d, next attempt %v; want %d, %v", attempt+1, got.Attempts, got.NextAttemptAt, attempt, next)
			}
			r.clock.Store(next.UnixNano())
			if n := r.runDue(); n != 1 {
				t.Fatalf("at its next_attempt_at %v, %d jobs ran for attempt %d; want 1", next, n, attempt+1)
			}
		}
		x := r.one(e.ID, id)
		if x.Status != StatusFailed || x.Attempts != MaxAttempts || x.NextAttemptAt != nil {
			t.Fatalf("after the last attempt: status %s, attempts %d, next attempt %v; want failed with none", x.Status, x.Attempts, x.NextAttemptAt)
		}
		if got := len(r.received()); got != MaxAttempts {
			t.Errorf("the receiver got %d attempts, want %d", got, MaxAttempts)
		}

		// Sent again, it is due at once; once it succeeds, nothing follows.
		r.status.Store(http.StatusOK)
		if _, err := r.svc.Redeliver(r.ctx, e.ID, id); err != nil {
			t.Fatal(err)
		}
		if x = r.one(e.ID, id); x.Status != StatusPending || x.NextAttemptAt == nil || x.NextAttemptAt.After(r.svc.Now()) {
			t.Fatalf("redelivered: status %s, next attempt %v; want pending and due", x.Status, x.NextAttemptAt)
		}
		if n := r.runDue(); n != 1 {
			t.Fatalf("the redelivery: %d jobs ran", n)
		}
		if x = r.one(e.ID, id); x.Status != StatusSucceeded || x.NextAttemptAt != nil {
			t.Fatalf("redelivered and answered: status %s, next attempt %v", x.Status, x.NextAttemptAt)
		}
	})
}

// A delivery cancelled while it waited for a retry (its endpoint switched
// off), then sent again once the endpoint is back on, is tried by one job:
// each time a retry is due the receiver gets one attempt, not one from the
// redelivery and one left over from before.
func TestRedeliveryOfACancelledRetryIsOneSeries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		r.status.Store(http.StatusServiceUnavailable)
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		r.settle()
		ds := r.deliveries(e.ID)
		if len(ds) != 1 || ds[0].Status != StatusRetrying {
			t.Fatalf("after the first attempt: %+v", ds)
		}
		if _, err := r.svc.Update(r.ctx, e.ID, Input{Active: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if x := r.one(e.ID, ds[0].ID); x.Status != StatusCancelled || x.NextAttemptAt != nil {
			t.Fatalf("cancelled: status %s, next attempt %v; want no next attempt", x.Status, x.NextAttemptAt)
		}
		if _, err := r.svc.Update(r.ctx, e.ID, Input{Active: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Redeliver(r.ctx, e.ID, ds[0].ID); err != nil {
			t.Fatal(err)
		}
		r.settle()
		if n := len(r.received()); n != 2 {
			t.Fatalf("after the redelivery the receiver got %d attempts, want 2", n)
		}
		for round := range 3 {
			before := len(r.received())
			r.advance(2 * time.Hour)
			r.settle()
			if got := len(r.received()) - before; got != 1 {
				t.Fatalf("retry round %d: the receiver got %d attempts, want 1", round+1, got)
			}
		}
	})
}

// A delivery is finished in the same commit as its job: once the log shows
// it succeeded, it can be sent again at once, before the runner has
// recorded anything more.
func TestRedeliveryRightAfterSuccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		var redelivered []error
		r.runner.Handle(jobKind, func(ctx context.Context, j *job.Job) error {
			err := r.svc.deliver(ctx, j)
			if err == nil && len(redelivered) == 0 {
				// The handler has returned; the runner has not yet.
				for _, x := range r.deliveries(e.ID) {
					if x.Status == StatusSucceeded {
						_, rerr := r.svc.Redeliver(r.ctx, e.ID, x.ID)
						redelivered = append(redelivered, rerr)
					}
				}
			}
			return err
		})
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		r.settle()
		if len(redelivered) != 1 || redelivered[0] != nil {
			t.Fatalf("redelivery of a delivery the log shows succeeded: %v", redelivered)
		}
		ds := r.deliveries(e.ID)
		if len(ds) != 1 || ds[0].Status != StatusSucceeded || ds[0].Attempts != 2 || len(r.received()) != 2 {
			t.Fatalf("after the redelivery: %+v, %d received", ds, len(r.received()))
		}
	})
}
