package job_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/job"
)

// clock is a hand-moved clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func enqueue(t *testing.T, conn *db.DB, tenant, kind string, opts job.Opts) (string, bool) {
	t.Helper()
	var jobID string
	var ok bool
	err := conn.Write(db.WithTenant(context.Background(), tenant), func(tx *db.Tx) error {
		var err error
		jobID, ok, err = job.Enqueue(tx, kind, map[string]string{"hello": "world"}, opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobID, ok
}

func runDue(t *testing.T, r *job.Runner) int {
	t.Helper()
	n, err := r.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRetryBackoffDeadLetterReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		clk := newClock()
		r := job.NewRunner(conn, job.Config{Now: clk.Now, Backoff: func(attempt int) time.Duration {
			return time.Duration(attempt) * time.Minute
		}})
		var calls atomic.Int32
		var fail atomic.Bool
		fail.Store(true)
		r.Handle("flaky", func(ctx context.Context, j *job.Job) error {
			if tn, _ := db.TenantFrom(ctx); tn != "ten_a" {
				t.Errorf("handler ctx tenant = %q", tn)
			}
			calls.Add(1)
			if fail.Load() {
				return errors.New("smtp down")
			}
			return nil
		})
		jobID, ok := enqueue(t, conn, "ten_a", "flaky", job.Opts{MaxAttempts: 3, DedupeKey: "k1"})
		if !ok {
			t.Fatal("first enqueue was deduplicated")
		}
		if _, ok := enqueue(t, conn, "ten_a", "flaky", job.Opts{DedupeKey: "k1"}); ok {
			t.Fatal("second enqueue with the same key was not deduplicated")
		}

		if n := runDue(t, r); n != 1 {
			t.Fatalf("first run: %d jobs", n)
		}
		// Backoff: not due again before its delay.
		clk.Add(59 * time.Second)
		if n := runDue(t, r); n != 0 {
			t.Fatalf("ran %d jobs before the backoff delay", n)
		}
		clk.Add(time.Second)
		if n := runDue(t, r); n != 1 {
			t.Fatalf("second attempt: %d jobs", n)
		}
		clk.Add(2 * time.Minute)
		if n := runDue(t, r); n != 1 {
			t.Fatalf("third attempt: %d jobs", n)
		}
		clk.Add(time.Hour)
		if n := runDue(t, r); n != 0 {
			t.Fatalf("a dead job ran again: %d", n)
		}
		if calls.Load() != 3 {
			t.Fatalf("handler ran %d times, want 3", calls.Load())
		}

		ctxA := db.WithTenant(context.Background(), "ten_a")
		ctxB := db.WithTenant(context.Background(), "ten_b")
		page := api.PageParams{Limit: 10}
		dead, err := r.ListDead(ctxA, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(dead.Body.Data) != 1 || dead.Body.Data[0].ID != jobID || dead.Body.Data[0].LastError != "smtp down" || dead.Body.Data[0].Attempts != 3 {
			t.Fatalf("dead letters of A: %+v", dead.Body.Data)
		}
		other, err := r.ListDead(ctxB, page)
		if err != nil || len(other.Body.Data) != 0 {
			t.Fatalf("B sees A's dead letters: %+v %v", other, err)
		}
		if _, err := r.Replay(ctxB, jobID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("B replays A's job: %v", err)
		}

		fail.Store(false)
		j, err := r.Replay(ctxA, jobID)
		if err != nil || j.Status != job.StatusPending || j.Attempts != 0 {
			t.Fatalf("replay: %+v %v", j, err)
		}
		if n := runDue(t, r); n != 1 {
			t.Fatalf("replayed job ran %d times", n)
		}
		if _, err := r.Replay(ctxA, jobID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("replaying a done job: %v", err)
		}
		if dead, _ := r.ListDead(ctxA, page); len(dead.Body.Data) != 0 {
			t.Fatalf("done job still listed as dead")
		}
	})
}

func TestPermanentErrorAndCancel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		clk := newClock()
		r := job.NewRunner(conn, job.Config{Now: clk.Now})
		var ran atomic.Int32
		r.Handle("bad", func(context.Context, *job.Job) error { return job.Permanent(errors.New("no such template")) })
		r.Handle("later", func(context.Context, *job.Job) error { ran.Add(1); return nil })
		enqueue(t, conn, "ten_a", "bad", job.Opts{})
		enqueue(t, conn, "ten_a", "later", job.Opts{RunAt: clk.Now().Add(time.Hour), DedupeKey: "remind"})
		runDue(t, r)
		dead, _ := r.ListDead(db.WithTenant(context.Background(), "ten_a"), api.PageParams{Limit: 10})
		if len(dead.Body.Data) != 1 || dead.Body.Data[0].Attempts != 1 {
			t.Fatalf("a permanent error should kill the job at once: %+v", dead.Body.Data)
		}

		// Cancel the pending job, and leave a tombstone for a key that has
		// no job yet, so that it cannot be created later.
		err := conn.Write(db.WithTenant(context.Background(), "ten_a"), func(tx *db.Tx) error {
			if err := job.Cancel(tx, "remind", clk.Now()); err != nil {
				return err
			}
			return job.Cancel(tx, "not-yet", clk.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := enqueue(t, conn, "ten_a", "later", job.Opts{DedupeKey: "not-yet"}); ok {
			t.Fatal("a cancelled key was enqueued again")
		}
		clk.Add(2 * time.Hour)
		runDue(t, r)
		if ran.Load() != 0 {
			t.Fatalf("cancelled job ran %d times", ran.Load())
		}
	})
}

// TestExpiredLockIsClaimedAgain: a node that dies mid-job leaves it locked;
// another runner takes it once the lock expires.
func TestExpiredLockIsClaimedAgain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		clk := newClock()
		started := make(chan struct{})
		release := make(chan struct{})
		dying := job.NewRunner(conn, job.Config{Now: clk.Now, LockFor: time.Minute, NodeID: "dying"})
		dying.Handle("work", func(ctx context.Context, _ *job.Job) error {
			close(started)
			<-release
			return errors.New("node died")
		})
		enqueue(t, conn, "ten_a", "work", job.Opts{})
		done := make(chan struct{})
		go func() { defer close(done); dying.RunDue(context.Background()) }()
		<-started

		var ran atomic.Int32
		other := job.NewRunner(conn, job.Config{Now: clk.Now, LockFor: time.Minute, NodeID: "other"})
		other.Handle("work", func(context.Context, *job.Job) error { ran.Add(1); return nil })
		if n := runDue(t, other); n != 0 {
			t.Fatalf("a locked job was claimed by another node")
		}
		clk.Add(2 * time.Minute)
		if n := runDue(t, other); n != 1 || ran.Load() != 1 {
			t.Fatalf("expired lock: ran %d", n)
		}
		// The first node's late outcome must not overwrite the result.
		close(release)
		<-done
		dead, _ := other.ListDead(db.WithTenant(context.Background(), "ten_a"), api.PageParams{Limit: 10})
		if len(dead.Body.Data) != 0 {
			t.Fatalf("stale node changed the job: %+v", dead.Body.Data)
		}
	})
}

// TestStopWaitsForHandlers: Stop lets a running handler finish.
func TestStopWaitsForHandlers(t *testing.T) {
	conn := dbtest.Open(t, db.SQLite)
	r := job.NewRunner(conn, job.Config{PollInterval: 10 * time.Millisecond})
	started := make(chan struct{})
	var finished atomic.Bool
	r.Handle("slow", func(ctx context.Context, _ *job.Job) error {
		close(started)
		time.Sleep(50 * time.Millisecond)
		finished.Store(true)
		return nil
	})
	enqueue(t, conn, "ten_a", "slow", job.Opts{})
	r.Start()
	<-started
	if err := r.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Fatal("Stop returned before the handler finished")
	}
}

func TestExponentialBackoff(t *testing.T) {
	b := job.ExponentialBackoff(10*time.Second, time.Hour)
	for attempt, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 5: 160 * time.Second, 30: time.Hour} {
		for range 50 {
			got := b(attempt)
			if got < want/2 || got > want {
				t.Fatalf("attempt %d: %v, want in [%v, %v]", attempt, got, want/2, want)
			}
		}
	}
}
