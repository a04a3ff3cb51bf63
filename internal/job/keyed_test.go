package job_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/job"
)

// Scheduled tells when a keyed job runs next, by the runner's backoff, and
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
				due, err = job.Scheduled(tx, []string{"send/1", "send/none"})
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
