package app_test

import (
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// publishedEvent makes a published event with one ticket type and returns
// their ids.
func (b *bundle) publishedEvent(token, name string, quota int) (eventID, ticketTypeID string) {
	b.t.Helper()
	ev := b.do("POST", "/v1/events", token, validEvent(name))
	b.want(ev, 201, "")
	tt := b.do("POST", "/v1/events/"+ev.str("id")+"/ticket-types", token, map[string]any{
		"name": "General", "price": 1000, "currency": "KRW", "quota": quota,
		"sales_start": "2020-01-01T00:00:00Z", "sales_end": "2099-01-01T00:00:00Z"})
	b.want(tt, 201, "")
	b.want(b.do("POST", "/v1/events/"+ev.str("id")+"/publish", token, nil), 200, "")
	return ev.str("id"), tt.str("id")
}

func TestWaitingRoomRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Queue Co", "queue@example.com")
		eid, ttid := b.publishedEvent(ten.Access, "Flash", 10)
		order := func(token string) map[string]any {
			o := map[string]any{
				"buyer": map[string]any{"name": "Lee", "email": "lee@example.com", "phone": "010-2222-3333"},
				"items": []any{map[string]any{"ticket_type_id": ttid, "quantity": 1}},
			}
			if token != "" {
				o["queue_token"] = token
			}
			return o
		}
		// Without a room, orders need no token and joining says active.
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order("")), 201, "")

		room := b.do("PUT", "/v1/events/"+eid+"/waiting-room", ten.Access, map[string]any{
			"enabled": true, "admit_per_minute": 60000, "max_active": 1, "active_ttl_seconds": 600})
		b.want(room, 200, "")
		if room.Body["enabled"] != true || room.Body["max_active"] != float64(1) {
			t.Fatalf("room = %s", room.Raw)
		}
		b.want(b.do("PUT", "/v1/events/"+eid+"/waiting-room", ten.Access, map[string]any{
			"enabled": true, "admit_per_minute": 0, "max_active": 1, "active_ttl_seconds": 600}), 422, "validation_failed")

		first := b.do("POST", "/v1/public/events/"+eid+"/queue", "", nil, "X-Client-Id", "browser-1")
		b.want(first, 201, "")
		if first.str("status") != "active" || first.str("token") == "" {
			t.Fatalf("first arrival = %s", first.Raw)
		}
		second := b.do("POST", "/v1/public/events/"+eid+"/queue", "", map[string]any{"client_id": "browser-2"})
		b.want(second, 201, "")
		if second.str("status") != "waiting" || second.Body["position"] != float64(1) || second.Body["eta_seconds"] == float64(0) {
			t.Fatalf("second arrival = %s", second.Raw)
		}
		again := b.do("POST", "/v1/public/events/"+eid+"/queue", "", nil, "X-Client-Id", "browser-2")
		if again.str("token") != second.str("token") {
			t.Fatalf("joining again gave another token")
		}
		st := b.do("GET", "/v1/public/queue/"+second.str("token"), "", nil)
		b.want(st, 200, "")
		if st.str("status") != "waiting" {
			t.Fatalf("status = %s", st.Raw)
		}
		b.want(b.do("GET", "/v1/public/queue/not-a-token", "", nil), 404, "not_found")

		b.want(b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order("")), 403, "queue_token_required")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order(second.str("token"))), 403, "queue_token_invalid")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order("forged.token")), 403, "queue_token_invalid")
		held := b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order(first.str("token")))
		b.want(held, 201, "")

		// Paying frees the slot: the second arrival is admitted at once.
		b.want(b.do("POST", "/v1/orders/"+held.str("id")+"/pay", ten.Access, map[string]any{"method": "manual"}), 200, "")
		if st := b.do("GET", "/v1/public/queue/"+second.str("token"), "", nil); st.str("status") != "active" {
			t.Fatalf("after the first buyer paid, the second is %s", st.Raw)
		}
		stats := b.do("GET", "/v1/events/"+eid+"/waiting-room", ten.Access, nil)
		b.want(stats, 200, "")
		if stats.Body["joined"] != float64(2) {
			t.Fatalf("room stats = %s", stats.Raw)
		}
		b.want(b.do("POST", "/v1/public/events/evt_nope/queue", "", nil), 404, "not_found")
	})
}
