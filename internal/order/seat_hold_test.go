package order_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/seat"
)

// withSeats adds a seat map to the fixture's event: sections in order, each
// with rows×perRow seats of the General type, and returns the seat ids in
// map order.
func withSeats(t *testing.T, f *fixture, sections []string, rows, perRow int) (*seat.Service, []seat.Seat) {
	t.Helper()
	seats := seat.NewService(f.conn, f.events, f.clock.now)
	f.orders.UseSeats(seats)
	var in []seat.NewSeat
	for _, s := range sections {
		for r := 1; r <= rows; r++ {
			for n := 1; n <= perRow; n++ {
				in = append(in, seat.NewSeat{Section: s, Row: fmt.Sprint(r), Number: n, TicketTypeID: f.general.ID})
			}
		}
	}
	if _, err := seats.Create(f.ctx, f.event.ID, in); err != nil {
		t.Fatal(err)
	}
	list, err := seats.List(f.ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	return seats, list
}

func (f *fixture) holdSeats(ids ...string) (*order.Order, error) {
	return f.orders.Create(f.ctx, f.event.ID, order.CreateInput{
		Buyer: order.Buyer{Name: "Lee", Email: "lee@example.com"}, SeatIDs: ids,
	})
}

// TestConcurrentSeatHoldsNeverOverlap has 64 clients make thousands of
// holds of one to three random seats while the clock jumps past the hold
// time now and then and some holds are paid: no seat is ever held or sold
// by two live orders at once, and no seat has two paid orders.
func TestConcurrentSeatHoldsNeverOverlap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 1000, 0)
		_, seats := withSeats(t, f, []string{"A", "B"}, 5, 20) // 200 seats
		const clients, perClient = 64, 50
		type span struct {
			order    string
			from, to time.Time // to is zero for a paid order
		}
		var mu sync.Mutex
		spans := map[string][]span{}
		var held, refused, paid atomic.Int64
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(c), 7))
				for i := range perClient {
					if c == 0 && i%10 == 9 {
						f.clock.add(6 * time.Minute) // every hold so far expires
					}
					n := 1 + rng.IntN(3)
					var ids []string
					for len(ids) < n {
						id := seats[rng.IntN(len(seats))].ID
						if !slices.Contains(ids, id) {
							ids = append(ids, id)
						}
					}
					o, err := f.holdSeats(ids...)
					if fault.CodeOf(err) == fault.SeatUnavailable || fault.CodeOf(err) == fault.SoldOut {
						refused.Add(1)
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					held.Add(1)
					sp := span{order: o.ID, from: o.CreatedAt, to: *o.ExpiresAt}
					if rng.IntN(4) == 0 {
						if _, err := f.orders.Pay(f.ctx, o.ID, order.MethodManual); err == nil {
							sp.to = time.Time{}
							paid.Add(1)
						} else if fault.CodeOf(err) != fault.HoldExpired {
							t.Error(err)
							return
						}
					}
					mu.Lock()
					for _, id := range o.SeatIDs {
						spans[id] = append(spans[id], sp)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if held.Load() == 0 || refused.Load() == 0 {
			t.Fatalf("held %d, refused %d: the test did not contend", held.Load(), refused.Load())
		}
		for seatID, ss := range spans {
			slices.SortFunc(ss, func(a, b span) int { return a.from.Compare(b.from) })
			for i := 1; i < len(ss); i++ {
				prev := ss[i-1]
				if prev.to.IsZero() || ss[i].from.Before(prev.to) {
					t.Fatalf("seat %s: order %s (%v–%v) overlaps order %s from %v", seatID, prev.order, prev.from, prev.to, ss[i].order, ss[i].from)
				}
			}
		}
		// The database agrees: one paid order per sold seat at most.
		var dup int
		err := f.conn.Read(f.ctx, func(tx *db.Tx) error {
			return tx.Get(&dup, `SELECT COUNT(*) FROM (SELECT os.seat_id FROM order_seats os JOIN orders o ON o.id = os.order_id
				WHERE o.tenant_id = @tenant AND o.status = 'paid' GROUP BY os.seat_id HAVING COUNT(*) > 1) x`)
		})
		if err != nil || dup != 0 {
			t.Fatalf("seats with two paid orders: %d (%v)", dup, err)
		}
		t.Logf("%s: %d holds, %d refused, %d paid", d, held.Load(), refused.Load(), paid.Load())
	})
}

// TestExpiredSeatHoldIsFreeAtOnce: once the hold time has passed, another
// order takes the seat without any sweeper, and the first can no longer pay.
func TestExpiredSeatHoldIsFreeAtOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 0)
		svc, seats := withSeats(t, f, []string{"A"}, 1, 3)
		first, err := f.holdSeats(seats[0].ID, seats[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		// All or nothing: seat 2 is free but seat 1 is not.
		_, err = f.holdSeats(seats[1].ID, seats[2].ID)
		wantCode(t, err, fault.SeatUnavailable)
		if o, err := f.holdSeats(seats[2].ID); err != nil {
			t.Fatalf("seat 2 should have been left free by the refused order: %v", err)
		} else if _, err := f.orders.Cancel(f.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		list, _ := svc.Public(f.ctx, f.event.ID)
		if list[0].Status != seat.StatusHeld || list[2].Status != seat.StatusAvailable {
			t.Fatalf("statuses = %s %s %s", list[0].Status, list[1].Status, list[2].Status)
		}

		f.clock.add(5 * time.Minute)
		list, _ = svc.List(f.ctx, f.event.ID)
		if list[0].Status != seat.StatusAvailable {
			t.Fatalf("expired hold shows as %s", list[0].Status)
		}
		second, err := f.holdSeats(seats[1].ID)
		if err != nil {
			t.Fatalf("expired hold still blocks the seat: %v", err)
		}
		_, err = f.orders.Pay(f.ctx, first.ID, order.MethodManual)
		wantCode(t, err, fault.HoldExpired)
		if _, err := f.orders.Pay(f.ctx, second.ID, order.MethodManual); err != nil {
			t.Fatal(err)
		}
		list, _ = svc.List(f.ctx, f.event.ID)
		if list[1].Status != seat.StatusSold {
			t.Fatalf("paid seat shows as %s", list[1].Status)
		}
		_, err = f.holdSeats(seats[1].ID)
		wantCode(t, err, fault.SeatUnavailable)

		// Cancelling the paid order frees its seat again.
		if _, err := f.orders.Cancel(f.ctx, second.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.holdSeats(seats[1].ID); err != nil {
			t.Fatalf("seat of a cancelled order: %v", err)
		}
	})
}

// TestQuotaExpiryAndReleaseCounter: holds that expire give their quota back
// to the next hold that needs it, exactly once, and are never payable.
func TestQuotaExpiryAndReleaseCounter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 5, 0)
		var first []*order.Order
		for range 5 {
			o, err := f.hold("", f.general.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			first = append(first, o)
		}
		_, err := f.hold("", f.general.ID, 1)
		wantCode(t, err, fault.SoldOut)
		// Cancelling a live hold frees one at once.
		if _, err := f.orders.Cancel(f.ctx, first[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.hold("", f.general.ID, 1); err != nil {
			t.Fatal(err)
		}
		f.clock.add(5*time.Minute + time.Second)
		// All five live holds expired: five new ones fit, a sixth does not.
		for i := range 5 {
			if _, err := f.hold("", f.general.ID, 1); err != nil {
				t.Fatalf("hold %d after expiry: %v", i, err)
			}
		}
		_, err = f.hold("", f.general.ID, 1)
		wantCode(t, err, fault.SoldOut)
		_, err = f.orders.Pay(f.ctx, first[1].ID, order.MethodManual)
		wantCode(t, err, fault.HoldExpired)
		// Cancelling an expired, given-back hold gives nothing back twice.
		if _, err := f.orders.Cancel(f.ctx, first[2].ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.hold("", f.general.ID, 1)
		wantCode(t, err, fault.SoldOut)
		types, err := f.events.ListTicketTypes(f.ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		if types[0].Held != 5 || types[0].Available != 0 {
			t.Fatalf("held %d available %d, want 5 and 0", types[0].Held, types[0].Available)
		}
	})
}

func TestBestAvailable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 1000, 0)
		svc, seats := withSeats(t, f, []string{"Floor", "Balcony"}, 2, 4)
		// Floor row 1: take seat 2, so no run of 3 is left in row 1.
		if _, err := f.holdSeats(seats[1].ID); err != nil {
			t.Fatal(err)
		}
		got, err := svc.BestAvailable(f.ctx, f.event.ID, "", 3, true)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Section != "Floor" || got[0].Row != "2" || got[0].Number != 1 || len(got) != 3 {
			t.Fatalf("best 3 = %+v, want Floor row 2 from 1", got)
		}
		o, err := f.orders.Create(f.ctx, f.event.ID, order.CreateInput{
			Buyer: order.Buyer{Name: "Park", Email: "park@example.com"}, BestAvailable: &order.BestAvailableInput{Count: 4},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(o.SeatIDs) != 4 || o.Items[0].Quantity != 4 {
			t.Fatalf("order = %+v", o)
		}
		// Floor is full for 4 now: the next 4 go to the balcony.
		got, err = svc.BestAvailable(f.ctx, f.event.ID, "", 4, false)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Section != "Balcony" || got[0].Row != "1" {
			t.Fatalf("next best 4 = %+v", got)
		}
		_, err = svc.BestAvailable(f.ctx, f.event.ID, "", 5, true)
		wantCode(t, err, fault.SeatUnavailable)
	})
}
