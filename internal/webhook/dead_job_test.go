package webhook

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/job"
)

// deadJobs returns the dead letters of the rig's tenant.
func (r *rig) deadJobs() []job.Job {
	r.t.Helper()
	l, err := r.runner.ListDead(r.ctx, api.PageParams{Limit: 50})
	if err != nil {
		r.t.Fatal(err)
	}
	return l.Body.Data
}

// listed returns the ids of an endpoint's deliveries that the log lists
// under the status.
func (r *rig) listed(endpointID, status string) []string {
	r.t.Helper()
	l, err := r.svc.Deliveries(r.ctx, endpointID, status, api.PageParams{Limit: 50})
	if err != nil {
		r.t.Fatal(err)
	}
	var ids []string
	for _, d := range l.Body.Data {
		if d.Status != status {
			r.t.Errorf("the %s filter lists %s as %s", status, d.ID, d.Status)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

// wantGaveUp fails the test unless the delivery reads as failed, with no
// next attempt, a last error that says why, and is listed as failed only.
func (r *rig) wantGaveUp(endpointID, deliveryID, reason string) {
	r.t.Helper()
	x := r.one(endpointID, deliveryID)
	if x.Status != StatusFailed || x.NextAttemptAt != nil || !strings.Contains(x.LastError, reason) {
		r.t.Fatalf("a delivery whose job died: status %s, next attempt %v, last error %q; want failed, none, with %q",
			x.Status, x.NextAttemptAt, x.LastError, reason)
	}
	if got := r.listed(endpointID, StatusFailed); len(got) != 1 || got[0] != deliveryID {
		r.t.Errorf("listed as failed: %v, want [%s]", got, deliveryID)
	}
	for _, s := range []string{StatusPending, StatusRetrying} {
		if got := r.listed(endpointID, s); len(got) != 0 {
			r.t.Errorf("listed as %s: %v", s, got)
		}
	}
}

// unreadableSecret makes the endpoint's secret one that does not open (a
// value sealed under a key this installation lacks), and returns what it
// was.
func (r *rig) unreadableSecret(endpointID string) []byte {
	r.t.Helper()
	var was []byte
	if err := r.conn.Write(r.ctx, func(tx *db.Tx) error {
		if err := tx.Get(&was, `SELECT secret FROM webhook_endpoints WHERE tenant_id = @tenant AND id = ?`, endpointID); err != nil {
			return err
		}
		return tx.ExecOne(`UPDATE webhook_endpoints SET secret = ? WHERE tenant_id = @tenant AND id = ?`,
			[]byte("usk1:sealed-under-another-key-0123456789"), endpointID)
	}); err != nil {
		r.t.Fatal(err)
	}
	return was
}

func (r *rig) setSecret(endpointID string, secret []byte) {
	r.t.Helper()
	if err := r.conn.Write(r.ctx, func(tx *db.Tx) error {
		return tx.ExecOne(`UPDATE webhook_endpoints SET secret = ? WHERE tenant_id = @tenant AND id = ?`, secret, endpointID)
	}); err != nil {
		r.t.Fatal(err)
	}
}

// A delivery whose job used up its attempts on an internal error (here its
// endpoint's secret does not open, so nothing is ever sent) ends failed
// with the reason as its last error, like one the receiver refused: it has
// no next attempt, is listed as failed, and can be redelivered, which takes
// the job out of the dead letters.
func TestADeliveryWhoseJobDiedIsFailedAndRedeliverable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		secret := r.unreadableSecret(e.ID)
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		r.settle()
		for range MaxAttempts {
			r.advance(2 * time.Hour)
			r.settle()
		}
		if dead := r.deadJobs(); len(dead) != 1 || dead[0].Kind != jobKind {
			t.Fatalf("dead letters after every attempt failed: %+v", dead)
		}
		if n := len(r.received()); n != 0 {
			t.Fatalf("the receiver got %d attempts without a secret to sign them", n)
		}
		ds := r.deliveries(e.ID)
		if len(ds) != 1 {
			t.Fatalf("deliveries: %+v", ds)
		}
		r.wantGaveUp(e.ID, ds[0].ID, "gave up after an internal error: "+db.ErrSealed.Error())

		r.setSecret(e.ID, secret)
		if _, err := r.svc.Redeliver(r.ctx, e.ID, ds[0].ID); err != nil {
			t.Fatalf("redeliver a delivery whose job died: %v", err)
		}
		if dead := r.deadJobs(); len(dead) != 0 {
			t.Errorf("the redelivered delivery's job is still a dead letter: %+v", dead)
		}
		if x := r.one(e.ID, ds[0].ID); x.Status != StatusPending || x.NextAttemptAt == nil {
			t.Fatalf("redelivered: status %s, next attempt %v; want pending and due", x.Status, x.NextAttemptAt)
		}
		r.settle()
		if x := r.one(e.ID, ds[0].ID); x.Status != StatusSucceeded || x.Attempts != 1 || len(r.received()) != 1 {
			t.Fatalf("after the redelivery: status %s, attempts %d, %d received", x.Status, x.Attempts, len(r.received()))
		}
	})
}

// Replayed from the dead letters instead, the delivery waits again, due at
// once, and is sent; replayed into the same failure, it ends failed again.
func TestADeliveryWhoseJobDiedWaitsAgainWhenTheJobIsReplayed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		secret := r.unreadableSecret(e.ID)
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		r.settle()
		for range MaxAttempts {
			r.advance(2 * time.Hour)
			r.settle()
		}
		dead := r.deadJobs()
		if len(dead) != 1 {
			t.Fatalf("dead letters: %+v", dead)
		}
		id := r.deliveries(e.ID)[0].ID
		r.wantGaveUp(e.ID, id, db.ErrSealed.Error())

		// Replayed while the cause is still there: waiting, then failed.
		if _, err := r.runner.Replay(r.ctx, dead[0].ID); err != nil {
			t.Fatal(err)
		}
		if x := r.one(e.ID, id); x.Status != StatusPending || x.NextAttemptAt == nil || x.NextAttemptAt.After(r.svc.Now()) {
			t.Fatalf("replayed: status %s, next attempt %v; want pending and due", x.Status, x.NextAttemptAt)
		}
		if got := r.listed(e.ID, StatusPending); len(got) != 1 {
			t.Errorf("a replayed delivery is not listed as pending: %v", got)
		}
		if got := r.listed(e.ID, StatusFailed); len(got) != 0 {
			t.Errorf("a replayed delivery is still listed as failed: %v", got)
		}
		for range MaxAttempts {
			r.settle()
			r.advance(2 * time.Hour)
		}
		r.wantGaveUp(e.ID, id, db.ErrSealed.Error())

		// Replayed once the cause is gone: sent.
		dead = r.deadJobs()
		if len(dead) != 1 {
			t.Fatalf("dead letters after the second series: %+v", dead)
		}
		r.setSecret(e.ID, secret)
		if _, err := r.runner.Replay(r.ctx, dead[0].ID); err != nil {
			t.Fatal(err)
		}
		r.settle()
		if x := r.one(e.ID, id); x.Status != StatusSucceeded || x.NextAttemptAt != nil || len(r.received()) != 1 {
			t.Fatalf("replayed and sent: status %s, next attempt %v, %d received", x.Status, x.NextAttemptAt, len(r.received()))
		}
	})
}

// A node that stops during a delivery's last attempt leaves its job to the
// other nodes, which find it out of attempts and make it a dead letter: the
// delivery, which the receiver had refused until then, ends failed too,
// saying why.
func TestADeliveryWhoseNodeStoppedOnTheLastAttemptIsFailed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		r.status.Store(http.StatusInternalServerError)
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		r.settle()
		for range MaxAttempts - 2 {
			r.advance(2 * time.Hour)
			r.settle()
		}
		id := r.deliveries(e.ID)[0].ID
		if x := r.one(e.ID, id); x.Status != StatusRetrying || x.Attempts != MaxAttempts-1 {
			t.Fatalf("before the last attempt: status %s, attempts %d", x.Status, x.Attempts)
		}
		// The last attempt is claimed by a node that stops before it
		// records anything: its lock runs out.
		if err := r.conn.Write(r.ctx, func(tx *db.Tx) error {
			return tx.ExecOne(`UPDATE jobs SET status = 'running', attempts = max_attempts, locked_by = 'a stopped node', locked_until = ?
				WHERE tenant_id = @tenant AND dedupe_key = ?`, r.svc.Now().Add(-time.Minute), jobKey(id))
		}); err != nil {
			t.Fatal(err)
		}
		r.advance(time.Second)
		r.settle()
		if dead := r.deadJobs(); len(dead) != 1 {
			t.Fatalf("dead letters after the node stopped: %+v", dead)
		}
		r.wantGaveUp(e.ID, id, "stopped before it finished")
		if _, err := r.svc.Redeliver(r.ctx, e.ID, id); err != nil {
			t.Fatalf("redeliver: %v", err)
		}
		r.status.Store(http.StatusOK)
		r.settle()
		if x := r.one(e.ID, id); x.Status != StatusSucceeded || x.Attempts != MaxAttempts {
			t.Fatalf("redelivered: status %s, attempts %d", x.Status, x.Attempts)
		}
	})
}

// The retention purge empties a delivery whose job died like any other
// that will not be tried again.
func TestPurgeEmptiesADeliveryWhoseJobDied(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		r.unreadableSecret(e.ID)
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		r.settle()
		for range MaxAttempts {
			r.advance(2 * time.Hour)
			r.settle()
		}
		id := r.deliveries(e.ID)[0].ID
		r.wantGaveUp(e.ID, id, db.ErrSealed.Error())
		var n int
		if err := r.conn.Write(r.ctx, func(tx *db.Tx) (err error) {
			n, _, err = deliveryData{}.Purge(tx, r.svc.Now().Add(time.Hour), 100)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		x, err := r.svc.Delivery(r.ctx, e.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || x.Body != "{}" {
			t.Errorf("purged %d, body %q; want the delivery's body emptied", n, x.Body)
		}
	})
}
