package app_test

import (
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// Best-available offers only seats that can be bought now: the best
// section, whose ticket type's sale opens later (a presale), is passed over
// for the next section on sale, by the suggestion and by an order asking for
// the best seats alike, instead of answering sales_not_open while seats are
// on sale elsewhere. A cancelled event's seat map takes no new seats.
func TestBestAvailableSkipsSeatsNotOnSale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tok := b.signup("Presale Hall", "owner@presale-hall.example").Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Presale"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		later := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
		vip := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "VIP", "price": 9000, "currency": "KRW", "quota": 10, "sales_start": later})
		b.want(vip, 201, "")
		general := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "General", "price": 3000, "currency": "KRW", "quota": 10})
		b.want(general, 201, "")
		var seats []any
		for n := 1; n <= 3; n++ {
			seats = append(seats, map[string]any{"section": "VIP", "row": "A", "number": n, "ticket_type_id": vip.str("id")})
		}
		for n := 1; n <= 3; n++ {
			seats = append(seats, map[string]any{"section": "Floor", "row": "A", "number": n, "ticket_type_id": general.str("id")})
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": seats}), 201, "")
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")

		best := b.do("GET", "/v1/public/events/"+eid+"/seats/best-available?count=2", "", nil)
		b.want(best, 200, "")
		for _, s := range best.Body["data"].([]any) {
			if s := s.(map[string]any); s["section"] != "Floor" {
				t.Fatalf("best 2 offers a seat not on sale: %s", best.Raw)
			}
		}
		b.want(b.do("GET", "/v1/public/events/"+eid+"/seats/best-available?count=2&ticket_type_id="+vip.str("id"), "", nil), 409, "seat_unavailable")
		o := b.do("POST", "/v1/public/events/"+eid+"/orders", "", map[string]any{"buyer": map[string]any{"name": "Yoon", "email": "yoon@example.com"},
			"best_available": map[string]any{"count": 2}})
		b.want(o, 201, "")
		if o.Body["total"] != float64(6000) {
			t.Fatalf("best-available order = %s", o.Raw)
		}

		b.want(b.do("POST", "/v1/events/"+eid+"/cancel", tok, nil), 200, "")
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": []any{
			map[string]any{"section": "Late", "row": "A", "number": 1, "ticket_type_id": general.str("id")}}}), 409, "invalid_transition")
		if n := len(b.do("GET", "/v1/events/"+eid+"/seats", tok, nil).Body["data"].([]any)); n != 6 {
			t.Fatalf("the cancelled event's map has %d seats, want 6", n)
		}
	})
}
