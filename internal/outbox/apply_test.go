package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
)

// applied is where the test consumers' Apply writes: one row per committed
// application, with no unique key, so that a duplicate shows as a count of 2.
// openApplied opens a database of the dialect with the applied table, and a
// test clock at a fixed time.
func openApplied(t testing.TB, d db.Dialect) (*db.DB, *clock) {
	t.Helper()
	conn := dbtest.Open(t, d)
	createApplied(t, conn)
	return conn, &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

// minuteRetries is a job runner that retries a failed job after a minute,
// and a dispatcher feeding it.
func minuteRetries(conn *db.DB, clk *clock) (*job.Runner, *outbox.Dispatcher) {
	r := job.NewRunner(conn, job.Config{Now: clk.Now, Backoff: func(int) time.Duration { return time.Minute }})
	return r, outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{Now: clk.Now})
}

func createApplied(t testing.TB, conn *db.DB) {
	t.Helper()
	err := conn.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`CREATE TABLE applied (tenant_id TEXT NOT NULL, consumer TEXT NOT NULL, subject TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// appliedCounts returns the committed applications per "consumer subject".
func appliedCounts(t *testing.T, conn *db.DB) map[string]int {
	t.Helper()
	var rows []struct {
		Consumer string `db:"consumer"`
		Subject  string `db:"subject"`
		N        int    `db:"n"`
	}
	err := conn.Read(context.Background(), func(tx *db.Tx) error {
		return tx.Select(&rows, `SELECT consumer, subject, COUNT(*) AS n FROM applied GROUP BY consumer, subject`)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rows {
		got[r.Consumer+" "+r.Subject] = r.N
	}
	return got
}

// applyConsumer records each event in applied, in the dispatcher's
// transaction, and then fails with whatever fail returns for it.
func applyConsumer(t *testing.T, name string, fail func(e outbox.Event) error, kinds ...string) outbox.Consumer {
	return outbox.Consumer{Name: name, Kinds: kinds, Apply: func(tx *db.Tx, e outbox.Event) error {
		if tx.Tenant() != e.TenantID {
			t.Errorf("%s: tx scoped to %q for an event of %q", name, tx.Tenant(), e.TenantID)
		}
		if _, err := tx.Exec(`INSERT INTO applied (tenant_id, consumer, subject) VALUES (@tenant, ?, ?)`, name, e.Subject); err != nil {
			return err
		}
		if fail != nil {
			return fail(e)
		}
		return nil
	}}
}

func insertEvent(t *testing.T, conn *db.DB, seq int64, tenant, kind, subject string, at time.Time) {
	t.Helper()
	err := conn.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO outbox (seq, tenant_id, id, kind, subject, payload, created_at) VALUES (?, ?, ?, ?, ?, '{}', ?)`,
			seq, tenant, "oev_"+subject, kind, subject, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func emitEvent(t *testing.T, conn *db.DB, tenant, kind, subject string, at time.Time) {
	t.Helper()
	err := conn.Write(db.WithTenant(context.Background(), tenant), func(tx *db.Tx) error {
		_, err := outbox.Emit(tx, kind, subject, map[string]string{"x": "y"}, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func cursorOf(t *testing.T, conn *db.DB, consumer string) int64 {
	t.Helper()
	var seq int64
	err := conn.Read(context.Background(), func(tx *db.Tx) error {
		return tx.Get(&seq, `SELECT COALESCE(MAX(seq), 0) FROM outbox_cursors WHERE consumer = ?`, consumer)
	})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// jobCount counts the jobs of a kind by status.
func jobCount(t *testing.T, conn *db.DB, kind, status string) int {
	t.Helper()
	var n int
	err := conn.Read(context.Background(), func(tx *db.Tx) error {
		return tx.Get(&n, `SELECT COUNT(*) FROM jobs WHERE kind = ? AND status = ?`, kind, status)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCounts(t *testing.T, got, want map[string]int) {
	t.Helper()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s applied %d times, want %d (all: %v)", k, got[k], n, got)
		}
	}
}

// TestApplyOnceAcrossPassesAndRestarts: an Apply consumer gets each event
// once, also when it was applied early past a PostgreSQL-style hole and the
// dispatcher then restarts without its memory; the cursor waits at the hole
// for the grace period; no job is involved.
func TestApplyOnceAcrossPassesAndRestarts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk := openApplied(t, d)
		node := func() (*job.Runner, *outbox.Dispatcher) {
			r := job.NewRunner(conn, job.Config{Now: clk.Now})
			disp := outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{Now: clk.Now, GapGrace: time.Minute, Batch: 2})
			disp.Register(applyConsumer(t, "all", nil))
			disp.Register(applyConsumer(t, "paid", nil, "order.paid"))
			return r, disp
		}
		r, disp := node()

		insertEvent(t, conn, 1, "ten_a", "order.created", "s1", clk.Now())
		insertEvent(t, conn, 3, "ten_b", "order.paid", "s3", clk.Now())
		pass(t, r, disp)
		pass(t, r, disp)
		wantCounts(t, appliedCounts(t, conn), map[string]int{"all s1": 1, "all s3": 1, "paid s1": 0, "paid s3": 1})
		if c := cursorOf(t, conn, "all"); c != 1 {
			t.Fatalf("cursor at %d, want 1 (before the hole)", c)
		}

		// A restart: the new node has no memory of what it applied early.
		r, disp = node()
		pass(t, r, disp)
		wantCounts(t, appliedCounts(t, conn), map[string]int{"all s3": 1, "paid s3": 1})
		if c := cursorOf(t, conn, "all"); c != 1 {
			t.Fatalf("after restart: cursor at %d, want 1", c)
		}

		// Another restart, and the late commit: the cursor passes s3, which
		// only the ahead mark in the database says was applied already.
		r, disp = node()
		insertEvent(t, conn, 2, "ten_a", "order.paid", "s2", clk.Now())
		pass(t, r, disp)
		wantCounts(t, appliedCounts(t, conn), map[string]int{"all s1": 1, "all s2": 1, "all s3": 1, "paid s2": 1, "paid s3": 1})
		if c := cursorOf(t, conn, "all"); c != 3 {
			t.Fatalf("cursor at %d, want 3", c)
		}

		// A hole at 4 that never fills: 5 is applied at once, the cursor
		// waits for the grace period and then passes the hole.
		insertEvent(t, conn, 5, "ten_a", "order.paid", "s5", clk.Now())
		pass(t, r, disp)
		clk.Add(30 * time.Second)
		pass(t, r, disp)
		if c := cursorOf(t, conn, "all"); c != 3 {
			t.Fatalf("cursor at %d before the grace, want 3", c)
		}
		clk.Add(31 * time.Second)
		pass(t, r, disp)
		if c := cursorOf(t, conn, "all"); c != 5 {
			t.Fatalf("cursor at %d after the grace, want 5", c)
		}
		insertEvent(t, conn, 6, "ten_b", "order.paid", "s6", clk.Now())
		pass(t, r, disp)
		r, disp = node()
		pass(t, r, disp)

		wantCounts(t, appliedCounts(t, conn), map[string]int{
			"all s1": 1, "all s2": 1, "all s3": 1, "all s5": 1, "all s6": 1,
			"paid s1": 0, "paid s2": 1, "paid s3": 1, "paid s5": 1, "paid s6": 1,
		})
		for _, k := range []string{"outbox:all", "outbox:paid"} {
			for _, st := range []string{job.StatusPending, job.StatusRunning, job.StatusDead} {
				if n := jobCount(t, conn, k, st); n != 0 {
					t.Errorf("%d %s jobs of kind %s; inline delivery needs none", n, st, k)
				}
			}
		}
	})
}

// TestApplyFailureGoesToJobLayer: an event whose Apply fails (or panics) has
// its partial writes rolled back and goes to the job layer, which retries it
// and keeps it as a dead letter that replay runs again; the other events of
// the batch are applied inline all the same, and the cursor moves on.
func TestApplyFailureGoesToJobLayer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk := openApplied(t, d)
		r, disp := minuteRetries(conn, clk)
		var broken atomic.Bool
		broken.Store(true)
		var mu sync.Mutex
		calls := map[string]int{}
		disp.Register(applyConsumer(t, "flaky", func(e outbox.Event) error {
			mu.Lock()
			calls[e.Subject]++
			mu.Unlock()
			if !broken.Load() {
				return nil
			}
			switch e.Subject {
			case "bad":
				return errors.New("bad luck")
			case "boom":
				panic("boom")
			}
			return nil
		}))
		for _, s := range []string{"g1", "bad", "g2", "boom", "g3"} {
			emitEvent(t, conn, "ten_a", "order.created", s, clk.Now())
		}

		n, err := disp.DispatchOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Fatalf("delivered %d, want 5 (3 inline, 2 jobs)", n)
		}
		wantCounts(t, appliedCounts(t, conn), map[string]int{"flaky g1": 1, "flaky g2": 1, "flaky g3": 1, "flaky bad": 0, "flaky boom": 0})
		if c := cursorOf(t, conn, "flaky"); c != 5 {
			t.Fatalf("cursor at %d, want 5", c)
		}
		if n := jobCount(t, conn, "outbox:flaky", job.StatusPending); n != 2 {
			t.Fatalf("%d pending outbox jobs, want 2", n)
		}

		for range job.DefaultMaxAttempts {
			if _, err := r.RunDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			clk.Add(2 * time.Minute)
		}
		mu.Lock()
		if calls["bad"] != 1+job.DefaultMaxAttempts || calls["boom"] != 1+job.DefaultMaxAttempts {
			t.Errorf("apply calls: %v, want one inline and %d by the job", calls, job.DefaultMaxAttempts)
		}
		mu.Unlock()
		ctx := db.WithTenant(context.Background(), "ten_a")
		dead, err := r.ListDead(ctx, api.PageParams{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(dead.Body.Data) != 2 {
			t.Fatalf("dead letters: %+v", dead.Body.Data)
		}
		errs := ""
		for _, j := range dead.Body.Data {
			if j.Kind != "outbox:flaky" || j.Attempts != job.DefaultMaxAttempts {
				t.Errorf("dead letter %+v", j)
			}
			errs += j.LastError + ";"
		}
		if !strings.Contains(errs, "bad luck") || !strings.Contains(errs, "boom") {
			t.Errorf("dead letters' errors: %q", errs)
		}
		wantCounts(t, appliedCounts(t, conn), map[string]int{"flaky bad": 0, "flaky boom": 0})

		broken.Store(false)
		for _, j := range dead.Body.Data {
			if _, err := r.Replay(ctx, j.ID); err != nil {
				t.Fatal(err)
			}
		}
		pass(t, r, disp)
		pass(t, r, disp)
		wantCounts(t, appliedCounts(t, conn), map[string]int{"flaky g1": 1, "flaky g2": 1, "flaky g3": 1, "flaky bad": 1, "flaky boom": 1})
		if n := jobCount(t, conn, "outbox:flaky", job.StatusDone); n != 2 {
			t.Fatalf("%d done outbox jobs after replay, want 2", n)
		}
	})
}

// TestApplyJobCommitsWithItsCompletion: an event applied by the job layer
// is applied once even when the node running the job loses it while Apply
// runs (its lock ran out and another node claimed the job before Apply
// committed): that Apply rolls back with the job's completion, and the job
// runs again.
func TestApplyJobCommitsWithItsCompletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk := openApplied(t, d)
		r, disp := minuteRetries(conn, clk)
		const inline, firstJobRun, later = 0, 1, 2
		var phase atomic.Int32
		disp.Register(outbox.Consumer{Name: "counter", Apply: func(tx *db.Tx, e outbox.Event) error {
			if _, err := tx.Exec(`INSERT INTO applied (tenant_id, consumer, subject) VALUES (@tenant, 'counter', ?)`, e.Subject); err != nil {
				return err
			}
			switch phase.Load() {
			case inline:
				return errors.New("not now") // to the job layer
			case firstJobRun:
				phase.Store(later)
				// Another node claims the job, as it would once the lock ran out.
				_, err := tx.Global().Exec(`UPDATE jobs SET locked_by = 'another-node' WHERE kind = 'outbox:counter'`)
				return err
			}
			return nil
		}})
		emitEvent(t, conn, "ten_a", "order.paid", "o1", clk.Now())
		if _, err := disp.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := jobCount(t, conn, "outbox:counter", job.StatusPending); n != 1 {
			t.Fatalf("%d pending jobs, want 1", n)
		}

		phase.Store(firstJobRun)
		if _, err := r.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, appliedCounts(t, conn), map[string]int{"counter o1": 0})
		if n := jobCount(t, conn, "outbox:counter", job.StatusPending); n != 1 {
			t.Fatalf("after the lost run: %d pending jobs, want 1 (a retry)", n)
		}

		clk.Add(6 * time.Minute) // past the retry and any lock
		if _, err := r.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, appliedCounts(t, conn), map[string]int{"counter o1": 1})
		if n := jobCount(t, conn, "outbox:counter", job.StatusDone); n != 1 {
			t.Fatalf("%d done jobs, want 1", n)
		}
	})
}

// TestManyApplyFailuresSendTheBatchToJobs: past a few failures in one batch
// the whole batch goes to the job layer, which delivers every event once.
func TestManyApplyFailuresSendTheBatchToJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk := openApplied(t, d)
		r, disp := minuteRetries(conn, clk)
		var mu sync.Mutex
		failed := map[string]bool{}
		disp.Register(applyConsumer(t, "c", func(e outbox.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if strings.HasPrefix(e.Subject, "f") && !failed[e.Subject] {
				failed[e.Subject] = true // fails once
				return errors.New("transient")
			}
			return nil
		}))
		subjects := []string{"g1", "f1", "f2", "f3", "f4", "g2"}
		for _, s := range subjects {
			emitEvent(t, conn, "ten_a", "order.created", s, clk.Now())
		}
		n, err := disp.DispatchOnce(context.Background())
		if err != nil || n != len(subjects) {
			t.Fatalf("delivered %d, %v", n, err)
		}
		if got := appliedCounts(t, conn); len(got) != 0 {
			t.Fatalf("applied inline after the batch went to jobs: %v", got)
		}
		if n := jobCount(t, conn, "outbox:c", job.StatusPending); n != len(subjects) {
			t.Fatalf("%d jobs, want %d", n, len(subjects))
		}
		pass(t, r, disp)
		clk.Add(2 * time.Minute)
		pass(t, r, disp)
		want := map[string]int{}
		for _, s := range subjects {
			want["c "+s] = 1
		}
		wantCounts(t, appliedCounts(t, conn), want)
	})
}

// TestApplyJobsFromEarlierVersions: an outbox job enqueued before its
// consumer had Apply (or a fallback job) runs Apply in a transaction of its
// own, and an inline delivery of the same event is not applied again.
func TestApplyJobsFromEarlierVersions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk := openApplied(t, d)
		r := job.NewRunner(conn, job.Config{Now: clk.Now})
		disp := outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{Now: clk.Now, Batch: 2})
		disp.Register(applyConsumer(t, "c", nil))
		insertEvent(t, conn, 1, "ten_a", "order.created", "old", clk.Now())
		insertEvent(t, conn, 3, "ten_a", "order.created", "early", clk.Now())
		// What an earlier version's dispatcher left: seq 1 handed over as a
		// job with the cursor moved past it, and seq 3 as a job enqueued
		// early past a hole at 2.
		err := conn.Write(context.Background(), func(tx *db.Tx) error {
			g := tx.Global()
			for _, e := range []outbox.Event{
				{ID: "oev_old", TenantID: "ten_a", Kind: "order.created", Subject: "old", Payload: []byte(`{}`)},
				{ID: "oev_early", TenantID: "ten_a", Kind: "order.created", Subject: "early", Payload: []byte(`{}`)},
			} {
				if _, _, err := job.Enqueue(g.Scope("ten_a"), "outbox:c", e, job.Opts{DedupeKey: "outbox:c:" + e.ID}); err != nil {
					return err
				}
			}
			_, err := g.Exec(`INSERT INTO outbox_cursors (consumer, seq, updated_at) VALUES ('c', 1, ?)`, clk.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		insertEvent(t, conn, 2, "ten_a", "order.created", "late", clk.Now())
		pass(t, r, disp)
		pass(t, r, disp)
		wantCounts(t, appliedCounts(t, conn), map[string]int{"c old": 1, "c late": 1, "c early": 1})
		if c := cursorOf(t, conn, "c"); c != 3 {
			t.Errorf("cursor at %d, want 3", c)
		}
		for _, st := range []string{job.StatusPending, job.StatusRunning, job.StatusDead} {
			if n := jobCount(t, conn, "outbox:c", st); n != 0 {
				t.Errorf("%d %s outbox jobs", n, st)
			}
		}
	})
}

// TestApplyTwoNodes: two dispatchers on one database, reading at the same
// time, apply each event once (the cursor row is locked and re-checked).
func TestApplyTwoNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk := openApplied(t, d)
		const events = 120
		for i := range events {
			emitEvent(t, conn, "ten_a", "order.created", fmt.Sprintf("e%03d", i), clk.Now())
		}
		var wg sync.WaitGroup
		for range 2 {
			r := job.NewRunner(conn, job.Config{Now: clk.Now})
			disp := outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{Now: clk.Now, Batch: 7})
			disp.Register(applyConsumer(t, "c", nil))
			wg.Go(func() {
				for range 200 {
					if _, err := disp.DispatchOnce(context.Background()); err != nil {
						t.Error(err)
						return
					}
					var seq int64
					conn.Read(context.Background(), func(tx *db.Tx) error {
						return tx.Get(&seq, `SELECT COALESCE(MAX(seq), 0) FROM outbox_cursors WHERE consumer = 'c'`)
					})
					if seq >= events {
						return
					}
				}
			})
		}
		wg.Wait()
		got := appliedCounts(t, conn)
		if len(got) != events {
			t.Errorf("%d events applied, want %d", len(got), events)
		}
		for k, n := range got {
			if n != 1 {
				t.Errorf("%s applied %d times", k, n)
			}
		}
	})
}
