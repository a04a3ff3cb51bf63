package job_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/job"
)

// Lookup tells when a keyed job runs next, by the runner's backoff, and
// only while it is still to run; Rearm queues the same job again, with a
// fresh set of attempts, except while it runs.
func TestScheduledAndRearm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		clk := newClock()
		r := job.NewRunner(conn, job.Config{Now: clk.Now, Backoff: func(attempt int) time.Duration {
			return time.Duration(attempt) * 7 * time.Minute
		}})
		ctx := db.WithTenant(context.Background(), "ten_a")
		scheduled := func() (time.Time, bool) {
			t.Helper()
			var due map[string]time.Time
			if err := conn.Read(ctx, func(tx *db.Tx) (err error) {
				due, err = waitingJobs(tx, []string{"send/1", "send/none"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if _, ok := due["send/none"]; ok {
				t.Error("a key without a job is scheduled")
			}
			at, ok := due["send/1"]
			return at, ok
		}
		rearm := func() bool {
			t.Helper()
			var ok bool
			if err := conn.Write(ctx, func(tx *db.Tx) (err error) {
				ok, err = job.Rearm(tx, "send", map[string]string{"again": "yes"}, job.Opts{MaxAttempts: 2, DedupeKey: "send/1"}, clk.Now())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}

		var fail = true
		var rearmedWhileRunning *bool
		calls := 0
		r.Handle("send", func(context.Context, *job.Job) error {
			calls++
			if rearmedWhileRunning == nil {
				ok := rearm()
				rearmedWhileRunning = &ok
			}
			if fail {
				return errors.New("receiver down")
			}
			return nil
		})
		enqueue(t, conn, "ten_a", "send", job.Opts{MaxAttempts: 2, DedupeKey: "send/1"})
		if at, ok := scheduled(); !ok || !at.IsZero() {
			t.Fatalf("a new job: scheduled %v, %v; want due at once (the zero time)", at, ok)
		}
		runDue(t, r)
		if rearmedWhileRunning == nil || *rearmedWhileRunning {
			t.Fatal("Rearm queued a job that was running")
		}
		want := clk.Now().Add(7 * time.Minute)
		if at, ok := scheduled(); !ok || !at.Equal(want) {
			t.Fatalf("after the first failure: scheduled %v, %v; want %v", at, ok, want)
		}
		clk.Add(7 * time.Minute)
		runDue(t, r) // the last attempt: dead
		if at, ok := scheduled(); ok {
			t.Fatalf("a dead job is scheduled at %v", at)
		}

		// Queued again: one job, due at once, with a fresh set of attempts.
		if !rearm() {
			t.Fatal("Rearm refused a dead job")
		}
		if at, ok := scheduled(); !ok || !at.IsZero() {
			t.Fatalf("rearmed: scheduled %v, %v", at, ok)
		}
		fail = false
		if n := runDue(t, r); n != 1 || calls != 3 {
			t.Fatalf("rearmed: %d jobs ran, %d calls in all; want 1 and 3", n, calls)
		}
		if at, ok := scheduled(); ok {
			t.Fatalf("a done job is scheduled at %v", at)
		}
		var count int
		if err := conn.Read(ctx, func(tx *db.Tx) error {
			return tx.Get(&count, `SELECT COUNT(*) FROM jobs WHERE tenant_id = @tenant AND kind = 'send'`)
		}); err != nil {
			t.Fatal(err)
		}
		if count != 1 {
			t.Errorf("%d jobs under the key, want 1", count)
		}
		// Waiting for a retry, it is moved to now rather than joined.
		fail = true
		if !rearm() {
			t.Fatal("Rearm refused a done job")
		}
		runDue(t, r)
		if !rearm() {
			t.Fatal("Rearm refused a job waiting for its retry")
		}
		if at, ok := scheduled(); !ok || !at.IsZero() {
			t.Fatalf("rearmed while waiting: scheduled %v, %v; want due at once", at, ok)
		}
	})
}

// Retry, in the handler's own write, schedules the next attempt at the
// backoff or at the time asked, whichever is later, records the reason, and
// is what Lookup reports and when the job runs again; after the last
// attempt it refuses, and a node that lost the job cannot retry it.
func TestRetryInTheHandlersWrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		clk := newClock()
		r := job.NewRunner(conn, job.Config{Now: clk.Now, Backoff: func(attempt int) time.Duration {
			return time.Duration(attempt) * 7 * time.Minute
		}})
		ctx := db.WithTenant(context.Background(), "ten_a")
		notBefore := []time.Time{clk.Now().Add(time.Hour), {}, {}}
		var retried []time.Time
		var lastErr error
		r.Handle("send", func(ctx context.Context, j *job.Job) error {
			return conn.Write(ctx, func(tx *db.Tx) error {
				at, err := j.Retry(tx, notBefore[j.Attempts-1], "receiver busy")
				lastErr = err
				if err == nil {
					retried = append(retried, at)
				}
				return err
			})
		})
		enqueue(t, conn, "ten_a", "send", job.Opts{MaxAttempts: 3, DedupeKey: "send/1"})
		scheduled := func() time.Time {
			t.Helper()
			var due map[string]time.Time
			if err := conn.Read(ctx, func(tx *db.Tx) (err error) {
				due, err = waitingJobs(tx, []string{"send/1"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return due["send/1"]
		}
		runDue(t, r)
		// Asked for an hour, more than the backoff's 7 minutes.
		if want := clk.Now().Add(time.Hour); len(retried) != 1 || !retried[0].Equal(want) || !scheduled().Equal(want) {
			t.Fatalf("retried at %v, scheduled %v; want %v", retried, scheduled(), want)
		}
		clk.Add(time.Hour - time.Microsecond)
		if n := runDue(t, r); n != 0 {
			t.Fatal("the retry ran before its time")
		}
		clk.Add(time.Microsecond)
		runDue(t, r)
		// Asked for nothing: the backoff after the second attempt.
		if want := clk.Now().Add(14 * time.Minute); len(retried) != 2 || !retried[1].Equal(want) || !scheduled().Equal(want) {
			t.Fatalf("retried at %v, scheduled %v; want %v", retried, scheduled(), want)
		}
		var row struct {
			Status    string `db:"status"`
			LastError string `db:"last_error"`
		}
		if err := conn.Read(ctx, func(tx *db.Tx) error {
			return tx.Get(&row, `SELECT status, last_error FROM jobs WHERE tenant_id = @tenant AND dedupe_key = 'send/1'`)
		}); err != nil {
			t.Fatal(err)
		}
		if row.Status != job.StatusPending || row.LastError != "receiver busy" {
			t.Errorf("after a retry: %+v", row)
		}
		// The last attempt cannot be retried: the handler's error makes the
		// job dead.
		clk.Add(14 * time.Minute)
		runDue(t, r)
		if lastErr == nil || len(retried) != 2 {
			t.Fatalf("Retry on the last attempt: %v, %d retries", lastErr, len(retried))
		}
		dead, err := r.ListDead(ctx, api.PageParams{Limit: 10})
		if err != nil || len(dead.Body.Data) != 1 {
			t.Fatalf("dead letters: %+v, %v", dead, err)
		}

		// Outside the runner's handler there is nothing to retry.
		if err := conn.Write(ctx, func(tx *db.Tx) error {
			_, err := (&job.Job{}).Retry(tx, time.Time{}, "")
			return err
		}); err == nil {
			t.Error("Retry outside a handler succeeded")
		}
	})
}

// Dead tells why keyed jobs died, for the dead ones only, and DeadSQL finds
// the same rows; once replayed, a job is not dead any more.
func TestDeadTellsWhyAKeyedJobDied(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		clk := newClock()
		r := job.NewRunner(conn, job.Config{Now: clk.Now})
		ctx := db.WithTenant(context.Background(), "ten_a")
		r.Handle("send", func(_ context.Context, j *job.Job) error {
			if *j.DedupeKey == "send/dies" || j.TenantID == "ten_b" {
				return job.Permanent(errors.New("the disk is on fire"))
			}
			return nil
		})
		deadID, _ := enqueue(t, conn, "ten_a", "send", job.Opts{DedupeKey: "send/dies"})
		enqueue(t, conn, "ten_a", "send", job.Opts{DedupeKey: "send/fine"})
		enqueue(t, conn, "ten_a", "send", job.Opts{DedupeKey: "send/later", RunAt: clk.Now().Add(time.Hour)})
		enqueue(t, conn, "ten_b", "send", job.Opts{DedupeKey: "send/fine"}) // another tenant's
		runDue(t, r)
		keys := []string{"send/dies", "send/fine", "send/later", "send/none"}
		var why map[string]string
		var found []string
		if err := conn.Read(ctx, func(tx *db.Tx) (err error) {
			if why, err = job.Dead(tx, keys); err != nil {
				return err
			}
			return tx.Select(&found, `SELECT k FROM (SELECT 'send/dies' AS k UNION ALL SELECT 'send/fine' UNION ALL SELECT 'send/later') keys
				WHERE `+job.DeadSQL(`keys.k`)+` ORDER BY k`)
		}); err != nil {
			t.Fatal(err)
		}
		if len(why) != 1 || why["send/dies"] != "the disk is on fire" {
			t.Errorf("Dead = %v, want only send/dies with its error", why)
		}
		if len(found) != 1 || found[0] != "send/dies" {
			t.Errorf("DeadSQL finds %v, want [send/dies]", found)
		}
		if _, err := r.Replay(ctx, deadID); err != nil {
			t.Fatal(err)
		}
		if err := conn.Read(ctx, func(tx *db.Tx) (err error) {
			why, err = job.Dead(tx, keys)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(why) != 0 {
			t.Errorf("a replayed job is still dead: %v", why)
		}
	})
}

// waitingJobs is when each waiting job named by one of the keys runs, from
// job.Lookup.
func waitingJobs(tx *db.Tx, keys []string) (map[string]time.Time, error) {
	all, err := job.Lookup(tx, keys)
	out := map[string]time.Time{}
	for k, j := range all {
		if j.Waiting {
			out[k] = j.RunAt
		}
	}
	return out, err
}
