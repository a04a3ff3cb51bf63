package app_test

import (
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/ticket"
)

// TestTicketsThroughOrders pays an order through the API and follows its
// tickets: codes that verify with the published keys, files that render,
// and, once the order is cancelled, the tickets on the revocation list.
func TestTicketsThroughOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Flow Org", "flow@tickets.example")
		ev := b.do("POST", "/v1/events", own.Access, validEvent("흐름 컨퍼런스"))
		b.want(ev, 201, "")
		eventID := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eventID+"/ticket-types", own.Access, map[string]any{"name": "일반 General", "price": 1000, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		b.want(b.do("POST", "/v1/events/"+eventID+"/publish", own.Access, nil), 200, "")
		cus := b.do("POST", "/v1/customers", own.Access, map[string]any{"email": "buyer@flow.example", "name": "박지훈"})
		b.want(cus, 201, "")
		b.want(b.do("POST", "/v1/customers/"+cus.str("id")+"/wallet/charge", own.Access, map[string]any{"amount": 5000}), 200, "")
		ord := b.do("POST", "/v1/events/"+eventID+"/orders", own.Access, map[string]any{
			"customer_id": cus.str("id"), "buyer": map[string]any{"name": "박지훈", "email": "buyer@flow.example"},
			"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 2}},
		})
		b.want(ord, 201, "")
		paid := b.do("POST", "/v1/orders/"+ord.str("id")+"/pay", own.Access, map[string]any{"method": "wallet"})
		b.want(paid, 200, "")
		tickets, _ := paid.Body["tickets"].([]any)
		if len(tickets) != 2 {
			t.Fatalf("paid order: %s", paid.Raw)
		}

		keys := b.do("GET", "/v1/public/events/"+eventID+"/ticket-keys", "", nil)
		b.want(keys, 200, "")
		var ks ticket.KeySet
		for _, raw := range keys.Body["keys"].([]any) {
			k := raw.(map[string]any)
			vk, err := ticket.ParseKey(eventID, ticket.Key{KID: k["kid"].(string), PublicKey: k["public_key"].(string)})
			if err != nil {
				t.Fatal(err)
			}
			ks.Add(vk)
		}
		at := time.Date(2027, 3, 1, 1, 0, 0, 0, time.UTC)
		ids := map[string]bool{}
		for _, raw := range tickets {
			tk := raw.(map[string]any)
			c, err := ticket.Verify(tk["code"].(string), ks, at)
			if err != nil || c.TicketID != tk["id"] || c.EventID != eventID || c.TicketTypeID != tt.str("id") {
				t.Fatalf("ticket %v: %+v %v", tk, c, err)
			}
			ids[c.TicketID] = true
			b.want(b.do("GET", "/v1/public/tickets/"+c.TicketID+"/qr.png", "", nil), 200, "")
			b.wantPDF(b.do("GET", "/v1/public/tickets/"+c.TicketID+"/ticket.pdf", "", nil))
		}

		b.want(b.do("POST", "/v1/orders/"+ord.str("id")+"/cancel", own.Access, nil), 200, "")
		rev := b.do("GET", "/v1/events/"+eventID+"/revocations", own.Access, nil)
		b.want(rev, 200, "")
		data, _ := rev.Body["data"].([]any)
		if len(data) != 2 {
			t.Fatalf("revocations after cancel: %s", rev.Raw)
		}
		for _, raw := range data {
			if !ids[raw.(map[string]any)["ticket_id"].(string)] {
				t.Fatalf("unexpected revocation %v", raw)
			}
		}
	})
}
