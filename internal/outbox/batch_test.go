package outbox_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
)

// TestApplyBatchRunsPerTenant: a consumer with ApplyBatch gets the events in
// runs of one tenant, in order, each event once, and Apply is not called.
// When ApplyBatch fails (or panics), the batch is written again with Apply
// per event: nothing of the failed attempt stays, every event is applied
// once, and an event whose Apply fails too goes to the job layer as usual.
func TestApplyBatchRunsPerTenant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, clk := openApplied(t, d)
		r, disp := minuteRetries(conn, clk)

		var mu sync.Mutex
		var runs []string // "tenant:subject,subject"
		singles := 0
		mode := "ok" // ok, error, panic
		c := applyConsumer(t, "batched", func(e outbox.Event) error {
			if e.Subject == "bad" {
				return errors.New("bad event")
			}
			return nil
		})
		one := c.Apply
		c.Apply = func(tx *db.Tx, e outbox.Event) error {
			mu.Lock()
			singles++
			mu.Unlock()
			return one(tx, e)
		}
		c.ApplyBatch = func(tx *db.Tx, events []outbox.Event) error {
			var subjects []string
			for _, e := range events {
				if e.TenantID != events[0].TenantID || tx.Tenant() != e.TenantID {
					t.Errorf("a run mixes tenants: %q in a run of %q (tx %q)", e.TenantID, events[0].TenantID, tx.Tenant())
				}
				if _, err := tx.Exec(`INSERT INTO applied (tenant_id, consumer, subject) VALUES (@tenant, 'batched', ?)`, e.Subject); err != nil {
					return err
				}
				subjects = append(subjects, e.Subject)
			}
			mu.Lock()
			runs = append(runs, events[0].TenantID+":"+strings.Join(subjects, ","))
			m := mode
			mu.Unlock()
			switch m {
			case "error":
				return errors.New("batch broken")
			case "panic":
				panic("batch broken")
			}
			return nil
		}
		disp.Register(c)

		for _, ev := range [][2]string{{"ten_a", "a1"}, {"ten_a", "a2"}, {"ten_b", "b1"}, {"ten_a", "a3"}} {
			emitEvent(t, conn, ev[0], "order.created", ev[1], clk.Now())
		}
		pass(t, r, disp)
		if want := "ten_a:a1,a2 ten_b:b1 ten_a:a3"; strings.Join(runs, " ") != want || singles != 0 {
			t.Fatalf("runs %q and %d single applies, want %q and none", runs, singles, want)
		}
		wantCounts(t, appliedCounts(t, conn), map[string]int{"batched a1": 1, "batched a2": 1, "batched b1": 1, "batched a3": 1})

		for _, m := range []string{"error", "panic"} {
			mode = m
			singles = 0
			emitEvent(t, conn, "ten_a", "order.created", m+"1", clk.Now())
			emitEvent(t, conn, "ten_b", "order.created", m+"2", clk.Now())
			pass(t, r, disp)
			if singles != 2 {
				t.Fatalf("%s: %d single applies after the batch failed, want 2", m, singles)
			}
			wantCounts(t, appliedCounts(t, conn), map[string]int{"batched " + m + "1": 1, "batched " + m + "2": 1})
		}

		// A failing event under a failing batch goes to the job layer alone.
		emitEvent(t, conn, "ten_a", "order.created", "fine", clk.Now())
		emitEvent(t, conn, "ten_a", "order.created", "bad", clk.Now())
		pass(t, r, disp)
		wantCounts(t, appliedCounts(t, conn), map[string]int{"batched fine": 1, "batched bad": 0})
		if n := jobCount(t, conn, "outbox:batched", job.StatusPending); n != 1 {
			t.Fatalf("%d pending jobs for the bad event, want 1", n)
		}
		if c := cursorOf(t, conn, "batched"); c != 10 {
			t.Fatalf("cursor at %d, want 10", c)
		}
	})
}
