package event_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
)

// countingSales says what is taken and counts how often it is asked.
type countingSales struct {
	calls atomic.Int32
	taken event.Taken
}

func (c *countingSales) Taken(*db.Tx, string, time.Time) (event.Taken, error) {
	c.calls.Add(1)
	return c.taken, nil
}

func (c *countingSales) CancelEventOrders(*db.Tx, string, time.Time) error { return nil }

// TestPublicEventReadsWhatIsTakenOnce: the public event answers the places
// left of every session and ticket type from one read of what is taken,
// however many sessions there are. It used to read it twice (once for the
// ticket types, once for the sessions).
func TestPublicEventReadsWhatIsTakenOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		ctx, svc, e, tt, now := f.ctx, f.svc, f.ev, f.tt, f.now
		sales := &countingSales{taken: event.Taken{TicketTypes: map[string]event.Usage{tt.ID: {Held: 1, Sold: 2}}, Sessions: map[string]int{}}}
		var ids []string
		for i := 0; i < 5; i++ {
			s, err := svc.CreateSession(ctx, e.ID, event.SessionInput{Name: "Talk", StartsAt: now().Add(25 * time.Hour), EndsAt: now().Add(26 * time.Hour), Capacity: 3})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s.ID)
			sales.taken.Sessions[s.ID] = i
		}
		if _, err := svc.Move(ctx, e.ID, event.Publish); err != nil {
			t.Fatal(err)
		}
		svc.UseSales(sales)

		pub, err := svc.Public(context.Background(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := sales.calls.Load(); n != 1 {
			t.Errorf("what is taken was read %d times for one public event, want 1", n)
		}
		if len(pub.TicketTypes) != 1 || pub.TicketTypes[0].Available != 7 {
			t.Errorf("ticket types: %+v", pub.TicketTypes)
		}
		left := map[string]int{}
		for _, s := range pub.Sessions {
			left[s.ID] = s.Available
		}
		for i, sid := range ids {
			if want := max(0, 3-i); left[sid] != want {
				t.Errorf("session %d: %d left, want %d", i, left[sid], want)
			}
		}
	})
}
