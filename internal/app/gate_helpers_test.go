package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/gatenode"
)

// issuedTicket is a paid ticket seen from the test.
type issuedTicket struct{ ID, Code, OrderID string }

// gateEvent makes a published event happening now (so that its codes are
// valid) with a General and a VIP ticket type, and n paid General tickets.
func (b *bundle) gateEvent(token, name string, n int) (eventID, general, vip string, tickets []issuedTicket) {
	b.t.Helper()
	now := time.Now().UTC()
	ev := b.do("POST", "/v1/events", token, map[string]any{
		"name": name, "starts_at": now.Add(-time.Hour).Format(time.RFC3339), "ends_at": now.Add(8 * time.Hour).Format(time.RFC3339),
		"timezone": "Asia/Seoul", "venue": "Hall", "capacity": 2*n + 200,
	})
	b.want(ev, 201, "")
	eventID = ev.str("id")
	mk := func(name string) string {
		tt := b.do("POST", "/v1/events/"+eventID+"/ticket-types", token, map[string]any{
			"name": name, "price": 0, "currency": "KRW", "quota": n + 50, "max_per_order": 100,
			"sales_start": "2020-01-01T00:00:00Z", "sales_end": "2099-01-01T00:00:00Z"})
		b.want(tt, 201, "")
		return tt.str("id")
	}
	general, vip = mk("General"), mk("VIP")
	b.want(b.do("POST", "/v1/events/"+eventID+"/publish", token, nil), 200, "")
	tickets = b.buyTickets(token, eventID, general, n)
	return
}

// buyTickets orders and pays n tickets of a type, 100 per order.
func (b *bundle) buyTickets(token, eventID, ticketTypeID string, n int) []issuedTicket {
	b.t.Helper()
	var out []issuedTicket
	for n > 0 {
		q := min(n, 100)
		n -= q
		ord := b.do("POST", "/v1/events/"+eventID+"/orders", token, map[string]any{
			"buyer": map[string]any{"name": "Kim Minji", "email": "kim@example.com", "phone": "010-1111-2222"},
			"items": []any{map[string]any{"ticket_type_id": ticketTypeID, "quantity": q}},
		})
		b.want(ord, 201, "")
		paid := b.do("POST", "/v1/orders/"+ord.str("id")+"/pay", token, map[string]any{"method": "manual"})
		b.want(paid, 200, "")
		for _, raw := range paid.Body["tickets"].([]any) {
			tk := raw.(map[string]any)
			out = append(out, issuedTicket{ID: tk["id"].(string), Code: tk["code"].(string), OrderID: ord.str("id")})
		}
	}
	return out
}

// gateKey makes an API key with the gate role.
func (b *bundle) gateKey(token string) string {
	b.t.Helper()
	k := b.do("POST", "/v1/api-keys", token, map[string]any{"name": "gate", "role": "gate"})
	b.want(k, 201, "")
	return k.str("key")
}

// mainGate adds a main gate to the event and returns its id.
func (b *bundle) mainGate(token, eventID string) string {
	b.t.Helper()
	g := b.do("POST", "/v1/events/"+eventID+"/gates", token, map[string]any{"name": "Main", "kind": "main"})
	b.want(g, 201, "")
	return g.str("id")
}

// syncedNode opens a gate node of the event on the test's server, closed
// when the test ends, and syncs it once.
func (b *bundle) syncedNode(t *testing.T, eventID, key string) *gatenode.Node {
	t.Helper()
	ctx := context.Background()
	n, err := gatenode.Open(ctx, gatenode.Config{Server: b.srv.URL, Token: key, EventID: eventID, DataDir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}
