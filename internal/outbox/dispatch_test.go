package outbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
)

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

// recorder counts deliveries per consumer and event.
type recorder struct {
	mu  sync.Mutex
	got map[string]int
}

func (r *recorder) consumer(name string, kinds ...string) outbox.Consumer {
	return outbox.Consumer{Name: name, Kinds: kinds, Handle: func(ctx context.Context, e outbox.Event) error {
		if tn, _ := db.TenantFrom(ctx); tn != e.TenantID {
			panic("consumer ctx not scoped to the event's tenant")
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got[name+" "+e.Subject]++
		return nil
	}}
}

func (r *recorder) count(key string) int { r.mu.Lock(); defer r.mu.Unlock(); return r.got[key] }

func setup(t *testing.T, d db.Dialect) (*db.DB, *clock, *job.Runner, *outbox.Dispatcher, *recorder) {
	conn := dbtest.Open(t, d)
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	r := job.NewRunner(conn, job.Config{Now: clk.Now})
	disp := outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{Now: clk.Now, GapGrace: time.Minute, Batch: 2})
	rec := &recorder{got: map[string]int{}}
	disp.Register(rec.consumer("all"))
	disp.Register(rec.consumer("paid", "order.paid"))
	return conn, clk, r, disp, rec
}

func pass(t *testing.T, r *job.Runner, d *outbox.Dispatcher) {
	t.Helper()
	if _, err := d.DispatchOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDispatcherDeliversOncePerConsumer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk, r, disp, rec := setup(t, d)
		for _, e := range []struct{ tenant, kind, subject string }{
			{"ten_a", "order.created", "o1"}, {"ten_a", "order.paid", "o1p"}, {"ten_b", "order.paid", "o2p"},
		} {
			err := conn.Write(db.WithTenant(context.Background(), e.tenant), func(tx *db.Tx) error {
				_, err := outbox.Emit(tx, e.kind, e.subject, map[string]string{"x": "y"}, clk.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		pass(t, r, disp)
		pass(t, r, disp)
		// A second dispatcher (another node, or a restart) delivers nothing new.
		disp2 := outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{Now: clk.Now})
		disp2.Register(rec.consumer("all"))
		disp2.Register(rec.consumer("paid", "order.paid"))
		pass(t, r, disp2)

		want := map[string]int{"all o1": 1, "all o1p": 1, "all o2p": 1, "paid o1p": 1, "paid o2p": 1, "paid o1": 0}
		for k, n := range want {
			if got := rec.count(k); got != n {
				t.Errorf("%s delivered %d times, want %d", k, got, n)
			}
		}
	})
}

// TestDispatcherWaitsForGaps: an event with a lower seq that becomes visible
// after a higher one (PostgreSQL commit order) is still delivered, and a hole
// that never fills stops the cursor only for the grace period.
func TestDispatcherWaitsForGaps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk, r, disp, rec := setup(t, d)
		insert := func(seq int64, subject string) {
			t.Helper()
			err := conn.Write(context.Background(), func(tx *db.Tx) error {
				_, err := tx.Exec(`INSERT INTO outbox (seq, tenant_id, id, kind, subject, payload, created_at) VALUES (?, 'ten_a', ?, 'order.paid', ?, '{}', ?)`,
					seq, "oev_"+subject, subject, clk.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		insert(1, "s1")
		insert(3, "s3")
		pass(t, r, disp)
		if rec.count("all s1") != 1 || rec.count("all s3") != 1 {
			t.Fatalf("visible events not delivered: %v", rec.got)
		}
		insert(2, "s2") // the late commit
		pass(t, r, disp)
		if rec.count("all s2") != 1 || rec.count("paid s2") != 1 {
			t.Fatalf("late event not delivered: %v", rec.got)
		}

		// A hole at 4 that never fills: 5 and 6 are delivered at once, and
		// the cursor passes the hole after the grace period.
		insert(5, "s5")
		insert(6, "s6")
		pass(t, r, disp)
		clk.Add(2 * time.Minute)
		pass(t, r, disp)
		insert(7, "s7")
		pass(t, r, disp)
		for _, s := range []string{"s1", "s2", "s3", "s5", "s6", "s7"} {
			if rec.count("all "+s) != 1 || rec.count("paid "+s) != 1 {
				t.Errorf("%s delivered %d/%d times", s, rec.count("all "+s), rec.count("paid "+s))
			}
		}
		var cursor int64
		conn.Read(context.Background(), func(tx *db.Tx) error {
			return tx.Get(&cursor, `SELECT seq FROM outbox_cursors WHERE consumer = 'all'`)
		})
		if cursor != 7 {
			t.Fatalf("cursor at %d, want 7", cursor)
		}
	})
}

// TestDispatcherSharedReadKeepsEachCursor: one pass reads the outbox once
// for consumers whose cursors differ (one far behind, batches smaller than
// the backlog), and an event an earlier consumer writes during the pass
// reaches a later consumer in the same pass. Each consumer still gets every
// event of its kinds once.
func TestDispatcherSharedReadKeepsEachCursor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk, r, disp, rec := setup(t, d)
		emit := func(kind, subject string) {
			t.Helper()
			err := conn.Write(db.WithTenant(context.Background(), "ten_a"), func(tx *db.Tx) error {
				_, err := outbox.Emit(tx, kind, subject, map[string]string{"x": "y"}, clk.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []string{"p1", "p2", "p3", "p4", "p5"} {
			emit("order.paid", s)
		}
		pass(t, r, disp)

		// A new node's dispatcher with a consumer that starts from the
		// beginning, one that answers each paid order with an event of its
		// own, inline, and one that receives those.
		disp2 := outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{Now: clk.Now, GapGrace: time.Minute, Batch: 2})
		disp2.Register(rec.consumer("all"))
		disp2.Register(rec.consumer("paid", "order.paid"))
		disp2.Register(rec.consumer("late"))
		disp2.Register(outbox.Consumer{Name: "echo", Kinds: []string{"order.paid"}, Apply: func(tx *db.Tx, e outbox.Event) error {
			_, err := outbox.Emit(tx, "order.echo", e.Subject+"e", map[string]string{}, clk.Now())
			return err
		}})
		disp2.Register(rec.consumer("echoes", "order.echo"))
		for _, s := range []string{"p6", "p7", "p8"} {
			emit("order.paid", s)
		}
		if _, err := disp2.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := r.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 8; i++ {
			p := "p" + string(rune('0'+i))
			for _, k := range []string{"all " + p, "paid " + p, "late " + p, "echoes " + p + "e"} {
				if got := rec.count(k); got != 1 {
					t.Errorf("%s delivered %d times after one pass, want 1", k, got)
				}
			}
		}
		// The echoes themselves reach "all" and "late" by the next pass.
		pass(t, r, disp2)
		for _, k := range []string{"all p3e", "late p8e", "all p1", "late p1"} {
			if got := rec.count(k); got != 1 {
				t.Errorf("%s delivered %d times, want 1", k, got)
			}
		}
		// Every cursor caught up: the shared read sees the end of the
		// outbox, and the echo written during the pass is read after it.
		emit("order.paid", "p9")
		if _, err := disp2.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := r.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"all p9", "paid p9", "late p9", "echoes p9e"} {
			if got := rec.count(k); got != 1 {
				t.Errorf("%s delivered %d times after one pass, want 1", k, got)
			}
		}
	})
}
