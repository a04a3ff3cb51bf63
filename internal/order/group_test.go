package order_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/seat"
)

// TestHoldsInGroupsAnswerEachBuyer: 64 buyers hold at once, some with
// orders that are wrong in ways only the sale can tell (over the type's
// limit per order, a type that is not the event's, a ticket type not on
// sale); every good order is written whole, with its item, its event and
// its share of the quota, and every wrong one gets its own error and
// writes nothing. On PostgreSQL, where holds of one event are written in
// groups, orders do share transactions.
func TestHoldsInGroupsAnswerEachBuyer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 600, 1000)
		limited, err := f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "Limited", Price: 500, Currency: "KRW", Quota: 200, MaxPerOrder: 2})
		if err != nil {
			t.Fatal(err)
		}
		closed, err := f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "Later", Price: 500, Currency: "KRW", Quota: 100,
			SalesStart: ptr(f.clock.now().Add(48 * 3600e9))})
		if err != nil {
			t.Fatal(err)
		}
		const buyers, each = 64, 8
		type answer struct {
			kind string
			qty  int
			o    *order.Order
			err  error
		}
		answers := make([][]answer, buyers)
		var wg sync.WaitGroup
		for b := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					a := answer{qty: 1 + (b+i)%2}
					typeID := f.general.ID
					switch (b*each + i) % 8 {
					case 1:
						a.kind, typeID = "limited", limited.ID
					case 3:
						a.kind, typeID, a.qty = "over", limited.ID, 3
					case 5:
						a.kind, typeID = "stranger", "ttp_not_this_events"
					case 7:
						a.kind, typeID = "closed", closed.ID
					default:
						a.kind = "general"
					}
					a.o, a.err = f.orders.Create(f.ctx, f.event.ID, order.CreateInput{
						Buyer: order.Buyer{Name: fmt.Sprintf("Buyer %d-%d", b, i), Email: fmt.Sprintf("b%d.%d@example.com", b, i)},
						Items: []order.ItemInput{{TicketTypeID: typeID, Quantity: a.qty}},
					})
					answers[b] = append(answers[b], a)
				}
			}()
		}
		wg.Wait()

		want := map[string]int{} // tickets held per ticket type id
		held := 0
		for b := range buyers {
			for i, a := range answers[b] {
				switch a.kind {
				case "over", "stranger":
					if !fault.Is(a.err, fault.Validation) {
						t.Fatalf("buyer %d order %d (%s): err = %v, want a validation error", b, i, a.kind, a.err)
					}
				case "closed":
					if !fault.Is(a.err, fault.SalesNotOpen) {
						t.Fatalf("buyer %d order %d (closed): err = %v, want sales_not_open", b, i, a.err)
					}
				default:
					if a.err != nil {
						t.Fatalf("buyer %d order %d (%s): %v", b, i, a.kind, a.err)
					}
					got, err := f.orders.Get(f.ctx, a.o.ID)
					if err != nil {
						t.Fatal(err)
					}
					if got.Buyer.Email != fmt.Sprintf("b%d.%d@example.com", b, i) || len(got.Items) != 1 || got.Items[0].Quantity != a.qty ||
						got.Total != int64(a.qty)*map[string]int64{"general": 1000, "limited": 500}[a.kind] || got.Status != order.StatusHeld {
						t.Fatalf("buyer %d order %d: stored %+v, answered %+v", b, i, got, a.o)
					}
					want[got.Items[0].TicketTypeID] += a.qty
					held++
				}
			}
		}
		types, err := f.events.ListTicketTypes(f.ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range types {
			if tt.Held != want[tt.ID] {
				t.Errorf("%s: %d held, want %d", tt.Name, tt.Held, want[tt.ID])
			}
		}
		var orders, events, txs int
		err = f.conn.Read(f.ctx, func(tx *db.Tx) error {
			if err := tx.Get(&orders, `SELECT COUNT(*) FROM orders WHERE tenant_id = @tenant`); err != nil {
				return err
			}
			if err := tx.Get(&events, `SELECT COUNT(*) FROM outbox WHERE tenant_id = @tenant AND kind = 'order.created'`); err != nil {
				return err
			}
			if d == db.Postgres {
				return tx.Get(&txs, `SELECT COUNT(DISTINCT xmin::text) FROM orders WHERE tenant_id = @tenant`)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if orders != held || events != held {
			t.Fatalf("%d orders and %d order.created events for %d holds answered", orders, events, held)
		}
		if d == db.Postgres && txs >= orders {
			t.Fatalf("%d orders in %d transactions: no group was written", orders, txs)
		}
		t.Logf("%d orders in %d transactions", orders, txs)
	})
}

// TestSeatOrdersFailAlone: 64 buyers at once, a third of them with orders
// that fail after their seats were checked (a seat that is not the event's
// beside a good one, or a seat with a ticket type not on sale yet). Every
// good order holds its seat; every failed one leaves its good seat free,
// whether or not it shared a transaction with the others.
func TestSeatOrdersFailAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 600, 1000)
		svc, seats := withSeats(t, f, []string{"A"}, 4, 20) // 80 seats
		closed, err := f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "Later", Price: 500, Currency: "KRW", Quota: 100,
			SalesStart: ptr(f.clock.now().Add(48 * 3600e9))})
		if err != nil {
			t.Fatal(err)
		}
		const buyers = 64
		got := make([]*order.Order, buyers)
		errs := make([]error, buyers)
		var wg sync.WaitGroup
		for b := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := order.CreateInput{Buyer: order.Buyer{Name: "Seat Buyer", Email: fmt.Sprintf("s%d@example.com", b)}, SeatIDs: []string{seats[b].ID}}
				switch b % 3 {
				case 1:
					in.SeatIDs = append(in.SeatIDs, "seat_not_this_events")
				case 2:
					in.Items = []order.ItemInput{{TicketTypeID: closed.ID, Quantity: 1}}
				}
				got[b], errs[b] = f.orders.Create(f.ctx, f.event.ID, in)
			}()
		}
		wg.Wait()
		list, err := svc.List(f.ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]string{}
		for _, s := range list {
			status[s.ID] = s.Status
		}
		for b := range buyers {
			switch b % 3 {
			case 0:
				if errs[b] != nil || len(got[b].SeatIDs) != 1 || got[b].SeatIDs[0] != seats[b].ID {
					t.Fatalf("buyer %d: %+v, %v", b, got[b], errs[b])
				}
				if status[seats[b].ID] != seat.StatusHeld {
					t.Fatalf("buyer %d's seat is %s", b, status[seats[b].ID])
				}
			case 1:
				if !fault.Is(errs[b], fault.Validation) {
					t.Fatalf("buyer %d (a stranger seat): %v", b, errs[b])
				}
			case 2:
				if !fault.Is(errs[b], fault.SalesNotOpen) {
					t.Fatalf("buyer %d (a closed type): %v", b, errs[b])
				}
			}
			if b%3 != 0 && status[seats[b].ID] != seat.StatusAvailable {
				t.Fatalf("buyer %d failed but seat %s is %s", b, seats[b].ID, status[seats[b].ID])
			}
		}
		// Nothing else moved: seats past the buyers' are all free.
		for _, s := range seats[buyers:] {
			if status[s.ID] != seat.StatusAvailable {
				t.Fatalf("seat %s nobody asked for is %s", s.ID, status[s.ID])
			}
		}
	})
}
