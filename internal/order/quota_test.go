package order_test

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
)

// TestQuotaExactUnderMixedHolds: 64 buyers holding one to three tickets at
// once sell a quota down to the last ticket and never past it, after holds
// that expired gave theirs back; a quota raised in the middle of the sale
// sells exactly the difference, and one lowered below what is sold is
// refused.
func TestQuotaExactUnderMixedHolds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 1000)
		tt, err := f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "Mixed", Price: 10, Currency: "KRW", Quota: 800, MaxPerOrder: 3})
		if err != nil {
			t.Fatal(err)
		}
		for range 20 { // holds that will have expired when the sale sells out
			if _, err := f.hold("", tt.ID, 3); err != nil {
				t.Fatal(err)
			}
		}
		f.clock.add(10 * time.Minute)

		sell := func() int64 {
			var sold atomic.Int64
			var wg sync.WaitGroup
			for g := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(g), 7))
					for {
						n := 1 + rng.IntN(3)
						o, err := f.hold("", tt.ID, n)
						switch fault.CodeOf(err) {
						case "":
							sold.Add(int64(o.Items[0].Quantity))
						case fault.SoldOut:
							if n == 1 {
								return
							}
						default:
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			return sold.Load()
		}
		if got := sell(); got != 800 {
			t.Fatalf("sold %d of a quota of 800", got)
		}
		if _, err := f.events.PatchTicketType(f.ctx, tt.ID, event.TicketTypeUpdate{Quota: ptr(950)}); err != nil {
			t.Fatal(err)
		}
		if got := sell(); got != 150 {
			t.Fatalf("sold %d after raising the quota by 150", got)
		}
		if _, err := f.events.PatchTicketType(f.ctx, tt.ID, event.TicketTypeUpdate{Quota: ptr(949)}); !fault.Is(err, fault.Validation) {
			t.Fatalf("lowering the quota below what is held: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
