package app_test

import (
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestSeatRows checks the API.md seat rows and seat_ids on orders: bulk
// creation with duplicates refused, the public list with its statuses,
// all-or-nothing holds, seat_unavailable, payment, cancellation and
// best-available.
func TestSeatRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tok := b.signup("Seats Org", "owner@seats.example").Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Seated Concert"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "R", "price": 0, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		seat := func(section, row string, n int) map[string]any {
			return map[string]any{"section": section, "row": row, "number": n, "ticket_type_id": tt.str("id")}
		}
		cr := b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": []any{
			seat("Floor", "A", 1), seat("Floor", "A", 2), seat("Floor", "A", 3), seat("Floor", "B", 1), seat("Floor", "B", 2),
		}})
		b.want(cr, 201, "")
		if cr.Body["created"] != float64(5) {
			t.Fatalf("created = %s", cr.Raw)
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": []any{seat("Floor", "A", 1)}}), 409, "conflict")
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": []any{seat("Floor", "C", 1), seat("Floor", "C", 1)}}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": []any{map[string]any{"section": "X", "row": "1", "number": 1, "ticket_type_id": "tt_nope"}}}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": []any{}}), 422, "validation_failed")
		b.want(b.do("GET", "/v1/public/events/"+eid+"/seats", "", nil), 404, "not_found")
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")

		list := func() map[string]string {
			t.Helper()
			r := b.do("GET", "/v1/public/events/"+eid+"/seats", "", nil)
			b.want(r, 200, "")
			out := map[string]string{}
			for _, s := range r.Body["data"].([]any) {
				m := s.(map[string]any)
				out[m["section"].(string)+m["row"].(string)+string(rune('0'+int(m["number"].(float64))))] = m["status"].(string)
				out["id:"+m["section"].(string)+m["row"].(string)+string(rune('0'+int(m["number"].(float64))))] = m["id"].(string)
			}
			return out
		}
		l := list()
		if len(l) != 10 || l["FloorA1"] != "available" {
			t.Fatalf("list = %v", l)
		}
		a1, a2, a3 := l["id:FloorA1"], l["id:FloorA2"], l["id:FloorA3"]
		buyer := map[string]any{"name": "Choi", "email": "choi@example.com"}
		o := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "seat_ids": []string{a1, a2}})
		b.want(o, 201, "")
		if o.str("status") != "held" || len(o.Body["seat_ids"].([]any)) != 2 {
			t.Fatalf("order = %s", o.Raw)
		}
		l = list()
		if l["FloorA1"] != "held" || l["FloorA2"] != "held" || l["FloorA3"] != "available" {
			t.Fatalf("after hold: %v", l)
		}
		// All or nothing: A2 is taken, so A3 stays free.
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "seat_ids": []string{a2, a3}}), 409, "seat_unavailable")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "seat_ids": []string{"seat_nope"}}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer}), 422, "validation_failed")
		if list()["FloorA3"] != "available" {
			t.Fatal("a refused order left a seat held")
		}
		pay := b.do("POST", "/v1/orders/"+o.str("id")+"/pay", tok, map[string]any{"method": "manual"})
		b.want(pay, 200, "")
		if l = list(); l["FloorA1"] != "sold" {
			t.Fatalf("after pay: %v", l)
		}
		b.want(b.do("POST", "/v1/orders/"+o.str("id")+"/cancel", tok, nil), 200, "")
		if l = list(); l["FloorA1"] != "available" || l["FloorA2"] != "available" {
			t.Fatalf("after cancel: %v", l)
		}

		// Best available: row A has three in a row, row B two.
		best := b.do("GET", "/v1/public/events/"+eid+"/seats/best-available?count=3", "", nil)
		b.want(best, 200, "")
		if data := best.Body["data"].([]any); len(data) != 3 || data[0].(map[string]any)["row"] != "A" {
			t.Fatalf("best 3 = %s", best.Raw)
		}
		b.want(b.do("GET", "/v1/public/events/"+eid+"/seats/best-available?count=4", "", nil), 409, "seat_unavailable")
		bo := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "best_available": map[string]any{"count": 3}})
		b.want(bo, 201, "")
		if l = list(); l["FloorA1"] != "held" || l["FloorA3"] != "held" || l["FloorB1"] != "available" {
			t.Fatalf("after best-available order: %v", l)
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "best_available": map[string]any{"count": 3}}), 409, "seat_unavailable")

		// The organizer's list needs credentials; the ranking a tenant.
		b.want(b.do("GET", "/v1/events/"+eid+"/seats", "", nil), 401, "")
		b.want(b.do("GET", "/v1/events/"+eid+"/seats", tok, nil), 200, "")
		b.want(b.do("GET", "/v1/public/rankings", "", nil), 422, "validation_failed")
		b.want(b.do("GET", "/v1/public/rankings?tenant=ten_nobody", "", nil), 422, "validation_failed")
		b.want(b.do("GET", "/v1/public/rankings?tenant=ten_00000000000000000000000000", "", nil), 200, "")
	})
}
