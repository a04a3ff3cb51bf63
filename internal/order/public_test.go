package order_test

import (
	"context"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/wallet"
)

func TestPublicOrderWithWalletCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 5000)
		// The public buyer's context has no tenant: the event names it.
		pub := context.Background()
		in := order.PublicCreateInput{Buyer: order.Buyer{Name: "Park", Email: "park@example.com"},
			Items: []order.ItemInput{{TicketTypeID: f.general.ID, Quantity: 2}}}
		o, err := f.orders.CreatePublic(pub, f.event.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != order.StatusHeld || o.Total != 10000 || o.AccessKey == "" {
			t.Fatalf("order = %+v", o)
		}
		if _, err := f.orders.GetPublic(pub, o.ID, o.AccessKey); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"", "oak_wrong", o.AccessKey + "x"} {
			if _, err := f.orders.GetPublic(pub, o.ID, key); !fault.Is(err, fault.NotFound) {
				t.Fatalf("key %q: %v", key, err)
			}
		}

		c, err := f.wallets.CreateCustomer(f.ctx, wallet.CustomerInput{Email: "park@example.com", Name: "Park"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.PayPublic(pub, o.ID, o.AccessKey, "park@example.com", "wac_none"); !fault.Is(err, fault.InvalidCredentials) {
			t.Fatalf("no code issued yet: %v", err)
		}
		code, err := f.wallets.IssueAccessCode(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.PayPublic(pub, o.ID, o.AccessKey, "other@example.com", code.Code); !fault.Is(err, fault.InvalidCredentials) {
			t.Fatalf("wrong email: %v", err)
		}
		if _, err := f.orders.PayPublic(pub, o.ID, "oak_wrong", "park@example.com", code.Code); !fault.Is(err, fault.NotFound) {
			t.Fatalf("wrong order key: %v", err)
		}
		if _, err := f.orders.PayPublic(pub, o.ID, o.AccessKey, "park@example.com", code.Code); !fault.Is(err, fault.InsufficientPoints) {
			t.Fatalf("empty wallet: %v", err)
		}
		if _, err := f.wallets.Charge(f.ctx, c.ID, 12000); err != nil {
			t.Fatal(err)
		}
		paid, err := f.orders.PayPublic(pub, o.ID, o.AccessKey, " PARK@example.com ", code.Code)
		if err != nil {
			t.Fatal(err)
		}
		if paid.Status != order.StatusPaid || len(paid.Tickets) != 2 || paid.CustomerID == nil || *paid.CustomerID != c.ID {
			t.Fatalf("paid = %+v", paid)
		}
		// A new code replaces the old one.
		if _, err := f.wallets.IssueAccessCode(f.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		o2, err := f.orders.CreatePublic(pub, f.event.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.PayPublic(pub, o2.ID, o2.AccessKey, "park@example.com", code.Code); !fault.Is(err, fault.InvalidCredentials) {
			t.Fatalf("replaced code: %v", err)
		}

		// Drafts are not announced.
		draft, err := f.events.Create(f.ctx, event.CreateInput{Name: "Draft", StartsAt: f.event.StartsAt, EndsAt: f.event.EndsAt, Timezone: "Asia/Seoul", Capacity: 10})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.CreatePublic(pub, draft.ID, in); !fault.Is(err, fault.NotFound) {
			t.Fatalf("draft: %v", err)
		}
	})
}
