package order_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
)

// Holds read the event from a node-local copy on SQLite. A change to the
// event must be seen by every hold that starts after the change returned,
// while holds run at full speed around it.
func TestHoldsSeeEventChangesAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 0)
		capacity := 10000000
		if _, err := f.events.Patch(f.ctx, f.event.ID, event.Update{Capacity: &capacity}); err != nil {
			t.Fatal(err)
		}
		flash, err := f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "Flash", Price: 0, Currency: "KRW", Quota: 5000000})
		if err != nil {
			t.Fatal(err)
		}
		for round := range 3 {
			var closedAt atomic.Int64          // unix ns after Move returned; 0 while open
			var late, held, tried atomic.Int64 // tried: holds started after the close returned
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						started := time.Now().UnixNano()
						after := closedAt.Load() != 0 && closedAt.Load() < started
						_, err := f.hold("", flash.ID, 1)
						if after {
							tried.Add(1)
						}
						switch {
						case err == nil && after:
							late.Add(1)
						case err == nil:
							held.Add(1)
						case fault.CodeOf(err) != fault.SalesNotOpen:
							t.Errorf("hold: %v", err)
							return
						}
					}
				}()
			}
			waitFor(t, &held, 20)
			if _, err := f.events.Move(f.ctx, f.event.ID, event.CloseSales); err != nil {
				t.Fatal(err)
			}
			closedAt.Store(time.Now().UnixNano())
			waitFor(t, &tried, 20)
			close(stop)
			wg.Wait()
			if late.Load() != 0 {
				t.Fatalf("round %d: %d holds went through after sales were closed", round, late.Load())
			}
			if _, err := f.events.Move(f.ctx, f.event.ID, event.ReopenSales); err != nil {
				t.Fatal(err)
			}
			// Reopened: the next hold goes through at once.
			if _, err := f.hold("", flash.ID, 1); err != nil {
				t.Fatalf("round %d: hold after reopening: %v", round, err)
			}
		}

		var vip *event.TicketType
		// A ticket type added after holds cached the event is sold at once,
		// and a new per-order limit applies at once.
		vip, err = f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "VIP", Price: 0, Currency: "KRW", Quota: 100, MaxPerOrder: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.hold("", vip.ID, 2); err != nil {
			t.Fatalf("hold on a new ticket type: %v", err)
		}
		_, err = f.hold("", vip.ID, 3)
		wantCode(t, err, fault.Validation)

		// Cancelling the event cancels its open orders in the same write. A
		// hold that read the event before the cancel but is written after
		// it would be a live order on a cancelled event: there must be none,
		// however the holds interleave with the cancel.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var held, refused atomic.Int64
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := f.hold("", flash.ID, 1); err == nil {
						held.Add(1)
					} else {
						refused.Add(1)
					}
				}
			}()
		}
		waitFor(t, &held, 20)
		if _, err := f.events.Move(f.ctx, f.event.ID, event.Cancel); err != nil {
			t.Fatal(err)
		}
		refused.Store(0)
		waitFor(t, &refused, 20)
		close(stop)
		wg.Wait()
		var live int
		err = f.conn.Read(f.ctx, func(tx *db.Tx) error {
			return tx.Get(&live, `SELECT COUNT(*) FROM orders WHERE tenant_id = @tenant AND event_id = ? AND status IN ('held', 'pending_verification', 'paid')`, f.event.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		if live != 0 {
			t.Fatalf("%d live orders on the cancelled event", live)
		}
	})
}

// waitFor waits until a counter of hold attempts reaches n, so that a change
// lands in the middle of the holds, and holds run after it, however slow the
// machine (or the race detector) is.
func waitFor(t *testing.T, held *atomic.Int64, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for held.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d hold attempts in 30 s", held.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
