package app_test

import (
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// Organizers change a ticket type during its sale: new orders get the new
// price at once, orders already made keep theirs, and the quota never drops
// below what is held and sold nor the quotas above the event's capacity.
func TestPatchTicketType(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tok := b.signup("Types", "owner@types.example").Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Changing Prices"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "General", "price": 1000, "currency": "KRW", "quota": 3})
		b.want(tt, 201, "")
		tid := tt.str("id")
		path := "/v1/ticket-types/" + tid
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")
		buyer := map[string]any{"name": "Kim", "email": "kim@example.com"}
		hold := func(q int) *response {
			return b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer,
				"items": []any{map[string]any{"ticket_type_id": tid, "quantity": q}}})
		}
		first := hold(2)
		b.want(first, 201, "")

		b.want(b.do("PATCH", path, tok, map[string]any{"quota": 1}), 422, "validation_failed")
		b.want(b.do("PATCH", path, tok, map[string]any{"quota": 501}), 422, "validation_failed")
		b.want(b.do("PATCH", path, tok, map[string]any{"sales_start": "2030-01-02T00:00:00Z", "sales_end": "2030-01-01T00:00:00Z"}), 422, "validation_failed")
		b.want(b.do("PATCH", path, tok, map[string]any{"min_per_order": 5, "max_per_order": 2}), 422, "validation_failed")
		b.want(b.do("PATCH", path, tok, map[string]any{"price": -1}), 422, "validation_failed")
		if got := b.do("GET", "/v1/events/"+eid+"/ticket-types", tok, nil); !strings.Contains(string(got.Raw), `"quota":3`) || !strings.Contains(string(got.Raw), `"price":1000`) {
			t.Fatalf("a refused change changed the type: %s", got.Raw)
		}

		p := b.do("PATCH", path, tok, map[string]any{"name": "Regular", "price": 2500, "quota": 4, "perks": "Lunch"})
		b.want(p, 200, "")
		if p.str("name") != "Regular" || p.Body["price"] != float64(2500) || p.Body["quota"] != float64(4) || p.Body["held"] != float64(2) || p.Body["available"] != float64(2) {
			t.Fatalf("patched: %s", p.Raw)
		}
		second := hold(2)
		b.want(second, 201, "")
		if second.Body["total"] != float64(5000) {
			t.Fatalf("a hold after the change costs %v, want 5000", second.Body["total"])
		}
		if got := b.do("GET", "/v1/orders/"+first.str("id"), tok, nil); got.Body["total"] != float64(2000) {
			t.Fatalf("the earlier order's total moved to %v", got.Body["total"])
		}
		b.want(hold(1), 409, "sold_out")

		// A sale window is set, then removed again.
		if w := b.do("PATCH", path, tok, map[string]any{"sales_end": "2099-01-01T00:00:00Z"}); w.str("sales_end") == "" {
			t.Fatalf("sales_end not set: %s", w.Raw)
		}
		b.want(b.do("PATCH", path, tok, map[string]any{"sales_end": "2099-01-01T00:00:00Z", "remove_sales_end": true}), 422, "validation_failed")
		if w := b.do("PATCH", path, tok, map[string]any{"remove_sales_end": true}); w.Status != 200 || w.str("sales_end") != "" {
			t.Fatalf("sales_end not removed: %s", w.Raw)
		}
		b.want(b.do("PATCH", path, tok, map[string]any{"quota": 3}), 422, "validation_failed")

		other := b.signup("Other", "owner@other-types.example").Access
		b.want(b.do("PATCH", path, other, map[string]any{"price": 1}), 404, "not_found")
		b.want(b.do("PATCH", "/v1/ticket-types/tty_nope", tok, map[string]any{"price": 1}), 404, "not_found")

		b.want(b.do("POST", "/v1/events/"+eid+"/cancel", tok, nil), 200, "")
		b.want(b.do("PATCH", path, tok, map[string]any{"price": 1}), 409, "invalid_transition")
	})
}
