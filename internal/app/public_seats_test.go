package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A public buyer holds chosen seats, or the best adjacent ones, with a
// public order; a seat someone else holds is seat_unavailable; the order's
// key opens it as for any public order.
func TestPublicSeatOrders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tok := b.signup("Public Seats", "owner@public-seats.example").Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Seated Recital"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "R", "price": 3000, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		var seats []any
		for n := 1; n <= 4; n++ {
			seats = append(seats, map[string]any{"section": "Floor", "row": "A", "number": n, "ticket_type_id": tt.str("id")})
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": seats}), 201, "")
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")
		list := b.do("GET", "/v1/public/events/"+eid+"/seats", "", nil)
		b.want(list, 200, "")
		ids := []string{}
		for _, s := range list.Body["data"].([]any) {
			ids = append(ids, s.(map[string]any)["id"].(string))
		}
		buyer := map[string]any{"name": "Jung", "email": "jung@example.com"}
		path := "/v1/public/events/" + eid + "/orders"

		// The type's limit per order counts seats.
		b.want(b.do("PATCH", "/v1/ticket-types/"+tt.str("id"), tok, map[string]any{"max_per_order": 1}), 200, "")
		over := b.do("POST", path, "", map[string]any{"buyer": buyer, "seat_ids": []string{ids[0], ids[1]}})
		b.want(over, 422, "validation_failed")
		if !strings.Contains(string(over.Raw), `"field":"seat_ids"`) {
			t.Fatalf("two seats over a limit of one: %s", over.Raw)
		}
		b.want(b.do("PATCH", "/v1/ticket-types/"+tt.str("id"), tok, map[string]any{"max_per_order": 10}), 200, "")

		o := b.do("POST", path, "", map[string]any{"buyer": buyer, "seat_ids": []string{ids[0]}})
		b.want(o, 201, "")
		if o.Body["total"] != float64(3000) || len(o.Body["seat_ids"].([]any)) != 1 || o.str("access_key") == "" {
			t.Fatalf("seat order = %s", o.Raw)
		}
		b.want(b.do("GET", "/v1/public/orders/"+o.str("id")+"?key="+o.str("access_key"), "", nil), 200, "")
		b.want(b.do("POST", path, "", map[string]any{"buyer": buyer, "seat_ids": []string{ids[0], ids[1]}}), 409, "seat_unavailable")

		best := b.do("POST", path, "", map[string]any{"buyer": buyer, "best_available": map[string]any{"count": 2}})
		b.want(best, 201, "")
		got := best.Body["seat_ids"].([]any)
		if len(got) != 2 || got[0] == ids[0] || got[1] == ids[0] || best.str("access_key") == "" {
			t.Fatalf("best-available order = %s", best.Raw)
		}
		b.want(b.do("GET", "/v1/public/orders/"+best.str("id")+"?key="+best.str("access_key"), "", nil), 200, "")
		b.want(b.do("POST", path, "", map[string]any{"buyer": buyer, "best_available": map[string]any{"count": 2}}), 409, "seat_unavailable")
		b.want(b.do("POST", path, "", map[string]any{"buyer": buyer}), 422, "validation_failed")
		b.want(b.do("POST", path, "", map[string]any{"buyer": buyer, "seat_ids": []string{ids[3]}, "best_available": map[string]any{"count": 1}}), 422, "validation_failed")
	})
}

// Organizers remove a section's or a row's seats that no order held; seats
// that were in an order stay, and so does everything else on a refusal.
func TestRemoveSeats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tok := b.signup("Remove Seats", "owner@remove-seats.example").Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Reseated"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "R", "price": 1000, "currency": "KRW", "quota": 20})
		b.want(tt, 201, "")
		var seats []any
		for _, row := range []string{"A", "B"} {
			for n := 1; n <= 3; n++ {
				seats = append(seats, map[string]any{"section": "Floor", "row": row, "number": n, "ticket_type_id": tt.str("id")})
			}
		}
		seats = append(seats, map[string]any{"section": "Balcony", "row": "A", "number": 1, "ticket_type_id": tt.str("id")})
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": seats}), 201, "")
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")
		list := b.do("GET", "/v1/events/"+eid+"/seats", tok, nil)
		first := list.Body["data"].([]any)[0].(map[string]any)["id"].(string) // Floor A-1
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": map[string]any{"name": "Kim", "email": "kim@example.com"}, "seat_ids": []string{first}}), 201, "")

		count := func() int {
			return len(b.do("GET", "/v1/events/"+eid+"/seats", tok, nil).Body["data"].([]any))
		}
		path := "/v1/events/" + eid + "/seats"
		b.want(b.do("DELETE", path+"?section=Floor&row=A", tok, nil), 409, "conflict")
		b.want(b.do("DELETE", path+"?section=Floor", tok, nil), 409, "conflict")
		b.want(b.do("DELETE", path+"?section=Nowhere", tok, nil), 404, "not_found")
		b.want(b.do("DELETE", path, tok, nil), 422, "validation_failed")
		other := b.signup("Other", "owner@other-remove.example").Access
		b.want(b.do("DELETE", path+"?section=Balcony", other, nil), 404, "not_found")
		if n := count(); n != 7 {
			t.Fatalf("%d seats after refusals, want 7", n)
		}
		r := b.do("DELETE", path+"?section=Floor&row=B", tok, nil)
		b.want(r, 200, "")
		if r.Body["removed"] != float64(3) || count() != 4 {
			t.Fatalf("remove row B: %s, %d seats left", r.Raw, count())
		}
		b.want(b.do("DELETE", path+"?section=Balcony", tok, nil), 200, "")
		if n := count(); n != 3 {
			t.Fatalf("%d seats left, want Floor row A", n)
		}
	})
}

// Organizers give a section's or a row's seats another ticket type; held
// seats keep theirs (and refuse the change), the organizer's list names
// the order holding a seat, and the public list never does.
func TestRetypeSeats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tok := b.signup("Retype Seats", "owner@retype-seats.example").Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Retyped"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		floor := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "Floor", "price": 1000, "currency": "KRW", "quota": 20})
		b.want(floor, 201, "")
		vip := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "VIP", "price": 5000, "currency": "KRW", "quota": 20})
		b.want(vip, 201, "")
		var seats []any
		for _, row := range []string{"A", "B"} {
			for n := 1; n <= 3; n++ {
				seats = append(seats, map[string]any{"section": "Hall", "row": row, "number": n, "ticket_type_id": floor.str("id")})
			}
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": seats}), 201, "")
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")
		types := func(path, token string) map[string]string { // row+number → type, and "order:"+row+number → order
			out := map[string]string{}
			for _, s := range b.do("GET", path, token, nil).Body["data"].([]any) {
				m := s.(map[string]any)
				k := m["row"].(string) + fmt.Sprint(m["number"])
				out[k] = m["ticket_type_id"].(string)
				if o, ok := m["order_id"].(string); ok {
					out["order:"+k] = o
				}
			}
			return out
		}
		path := "/v1/events/" + eid + "/seats"
		first := b.do("GET", path, tok, nil).Body["data"].([]any)[0].(map[string]any)["id"].(string) // Hall A-1
		o := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": map[string]any{"name": "Kim", "email": "kim@example.com"}, "seat_ids": []string{first}})
		b.want(o, 201, "")
		if got := types(path, tok); got["order:A1"] != o.str("id") || got["order:A2"] != "" {
			t.Fatalf("organizer's list: %v", got)
		}
		if got := types("/v1/public/events/"+eid+"/seats", ""); got["order:A1"] != "" {
			t.Fatalf("the public list names an order: %v", got)
		}

		to := func(id string) map[string]any { return map[string]any{"ticket_type_id": id} }
		b.want(b.do("PATCH", path+"?section=Hall", tok, to(vip.str("id"))), 409, "conflict")
		b.want(b.do("PATCH", path+"?section=Hall&row=A", tok, to(vip.str("id"))), 409, "conflict")
		b.want(b.do("PATCH", path+"?section=Nowhere", tok, to(vip.str("id"))), 404, "not_found")
		b.want(b.do("PATCH", path+"?section=Hall&row=B", tok, to("tty_nope")), 422, "validation_failed")
		b.want(b.do("PATCH", path, tok, to(vip.str("id"))), 422, "validation_failed")
		b.want(b.do("PATCH", path+"?section=Hall&row=B", b.signup("Other", "owner@other-retype.example").Access, to(vip.str("id"))), 404, "not_found")
		if got := types(path, tok); got["B1"] != floor.str("id") || got["A2"] != floor.str("id") {
			t.Fatalf("a refusal changed seats: %v", got)
		}
		r := b.do("PATCH", path+"?section=Hall&row=B", tok, to(vip.str("id")))
		b.want(r, 200, "")
		got := types(path, tok)
		if r.Body["updated"] != float64(3) || got["B1"] != vip.str("id") || got["B3"] != vip.str("id") || got["A2"] != floor.str("id") {
			t.Fatalf("retype row B: %s, %v", r.Raw, got)
		}
		// A seat of the new type is sold at the new type's price.
		var b1 string
		for _, s := range b.do("GET", path, tok, nil).Body["data"].([]any) {
			if m := s.(map[string]any); m["row"] == "B" && m["number"] == float64(1) {
				b1 = m["id"].(string)
			}
		}
		o2 := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": map[string]any{"name": "Lee", "email": "lee@example.com"}, "seat_ids": []string{b1}})
		b.want(o2, 201, "")
		if o2.Body["total"] != float64(5000) {
			t.Fatalf("a VIP seat cost %v", o2.Body["total"])
		}
	})
}
