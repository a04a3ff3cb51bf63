package app_test

import (
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestCommerceRows checks the API.md rows of events, ticket types,
// customers, the wallet and orders that need no ticket issuer.
func TestCommerceRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Commerce", "owner@commerce.example")
		tok := ten.Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Dev Conf"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		if ev.str("status") != "draft" {
			t.Fatalf("status = %s", ev.str("status"))
		}
		b.want(b.do("GET", "/v1/public/events/"+eid, "", nil), 404, "not_found")
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 409, "invalid_transition")

		tt := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{
			"name": "General", "price": 1000, "currency": "KRW", "quota": 2,
			"sales_start": "2020-01-01T00:00:00Z", "sales_end": "2099-01-01T00:00:00Z"})
		b.want(tt, 201, "")
		for _, bad := range []map[string]any{
			{"name": "X", "price": 1, "currency": "krw", "quota": 1},
			{"name": "X", "price": 1, "currency": "KRW", "quota": 1000},
			{"name": "X", "price": -1, "currency": "KRW", "quota": 1},
			{"name": "X", "price": 1, "currency": "USD", "quota": 1},
			{"name": "X", "price": 1, "currency": "KRW", "quota": 1, "sales_start": "2030-01-01T00:00:00Z", "sales_end": "2029-01-01T00:00:00Z"},
		} {
			b.want(b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, bad), 422, "validation_failed")
		}
		// Orders wait for publication.
		buyer := map[string]any{"name": "Kim", "email": "kim@example.com", "phone": "010-1234-5678"}
		item := func(q int) []any { return []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": q}} }
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "items": item(1)}), 409, "event_not_published")

		pub := b.do("POST", "/v1/events/"+eid+"/publish", tok, nil)
		b.want(pub, 200, "")
		if pub.str("status") != "published" {
			t.Fatalf("publish = %s", pub.Raw)
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 409, "invalid_transition")

		cus := b.do("POST", "/v1/customers", tok, map[string]any{"email": "kim@example.com", "name": "Kim", "phone": "010-1234-5678"})
		b.want(cus, 201, "")
		cid := cus.str("id")
		b.want(b.do("POST", "/v1/customers", tok, map[string]any{"email": "kim@example.com", "name": "Kim again"}), 409, "conflict")
		b.want(b.do("POST", "/v1/customers/"+cid+"/wallet/charge", tok, map[string]any{"amount": 0}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/customers/"+cid+"/wallet/charge", tok, map[string]any{"amount": "ten"}), 422, "validation_failed")
		ch := b.do("POST", "/v1/customers/"+cid+"/wallet/charge", tok, map[string]any{"amount": 500}, "Idempotency-Key", "charge-1")
		b.want(ch, 200, "")
		again := b.do("POST", "/v1/customers/"+cid+"/wallet/charge", tok, map[string]any{"amount": 500}, "Idempotency-Key", "charge-1")
		b.want(again, 200, "")
		if ch.Body["balance"] != float64(500) || again.Body["balance"] != float64(500) {
			t.Fatalf("charge = %s, again = %s", ch.Raw, again.Raw)
		}
		w := b.do("GET", "/v1/customers/"+cid+"/wallet", tok, nil)
		b.want(w, 200, "")
		entries, _ := w.Body["entries"].([]any)
		if w.Body["balance"] != float64(500) || len(entries) != 1 || entries[0].(map[string]any)["kind"] != "charge" {
			t.Fatalf("wallet = %s", w.Raw)
		}

		o := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"customer_id": cid, "buyer": buyer, "items": item(2)}, "Idempotency-Key", "order-1")
		b.want(o, 201, "")
		if o.str("status") != "held" || o.str("expires_at") == "" || o.Body["total"] != float64(2000) || o.str("currency") != "KRW" {
			t.Fatalf("order = %s", o.Raw)
		}
		replay := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"customer_id": cid, "buyer": buyer, "items": item(2)}, "Idempotency-Key", "order-1")
		if replay.str("id") != o.str("id") {
			t.Fatalf("idempotent create made another order: %s", replay.Raw)
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "items": item(1)}), 409, "sold_out")
		pe := b.do("GET", "/v1/public/events/"+eid, "", nil)
		b.want(pe, 200, "")
		types := pe.Body["ticket_types"].([]any)
		if types[0].(map[string]any)["available"] != float64(0) {
			t.Fatalf("public event = %s", pe.Raw)
		}

		oid := o.str("id")
		b.want(b.do("POST", "/v1/orders/"+oid+"/pay", tok, map[string]any{"method": "wallet"}), 402, "insufficient_points")
		b.want(b.do("POST", "/v1/orders/"+oid+"/pay", tok, map[string]any{"method": "cash"}), 422, "validation_failed")
		got := b.do("GET", "/v1/orders/"+oid, tok, nil)
		b.want(got, 200, "")
		if got.str("status") != "held" || got.obj("buyer")["email"] != "kim@example.com" {
			t.Fatalf("order = %s", got.Raw)
		}
		list := b.do("GET", "/v1/events/"+eid+"/orders?q=KIM", tok, nil)
		b.want(list, 200, "")
		if n := len(list.Body["data"].([]any)); n != 1 {
			t.Fatalf("search found %d orders", n)
		}
		csv := b.do("GET", "/v1/events/"+eid+"/orders.csv", tok, nil)
		b.want(csv, 200, "")
		if !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") || !strings.Contains(string(csv.Raw), oid) {
			t.Fatalf("csv = %s %s", csv.Header.Get("Content-Type"), csv.Raw)
		}

		c := b.do("POST", "/v1/orders/"+oid+"/cancel", tok, nil)
		b.want(c, 200, "")
		if c.str("status") != "cancelled" {
			t.Fatalf("cancel = %s", c.Raw)
		}
		b.want(b.do("POST", "/v1/orders/"+oid+"/pay", tok, map[string]any{"method": "manual"}), 409, "invalid_transition")
		// The quota is free again.
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "items": item(2)}), 201, "")

		// Paid with points: tickets with codes; a retry answers the same;
		// cancelling refunds the wallet.
		b.want(b.do("POST", "/v1/customers/"+cid+"/wallet/charge", tok, map[string]any{"amount": 1500}), 200, "")
		// The order above holds General's quota; this one buys from another type.
		extra := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "Extra", "price": 1000, "currency": "KRW", "quota": 2})
		b.want(extra, 201, "")
		held := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"customer_id": cid, "buyer": buyer,
			"items": []any{map[string]any{"ticket_type_id": extra.str("id"), "quantity": 2}}})
		b.want(held, 201, "")
		paid := func(r *response) []any {
			b.want(r, 200, "")
			if r.str("status") != "paid" {
				t.Fatalf("pay = %s", r.Raw)
			}
			tk, _ := r.Body["tickets"].([]any)
			return tk
		}
		first := paid(b.do("POST", "/v1/orders/"+held.str("id")+"/pay", tok, map[string]any{"method": "wallet"}))
		second := paid(b.do("POST", "/v1/orders/"+held.str("id")+"/pay", tok, map[string]any{"method": "wallet"}))
		if len(first) != 2 || first[0].(map[string]any)["code"] == "" || first[0].(map[string]any)["code"] != second[0].(map[string]any)["code"] {
			t.Fatalf("tickets = %v then %v", first, second)
		}
		if w := b.do("GET", "/v1/customers/"+cid+"/wallet", tok, nil); w.Body["balance"] != float64(0) {
			t.Fatalf("after payment: %s", w.Raw)
		}
		b.want(b.do("POST", "/v1/orders/"+held.str("id")+"/cancel", tok, nil), 200, "")
		if w := b.do("GET", "/v1/customers/"+cid+"/wallet", tok, nil); w.Body["balance"] != float64(2000) {
			t.Fatalf("after refund: %s", w.Raw)
		}

		// Malformed input is a 4xx problem.
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, `{"buyer":`), 400, "invalid_request")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "items": []any{}}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": map[string]any{"name": "X", "email": "nope"}, "items": item(1)}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "items": []any{map[string]any{"ticket_type_id": "tty_nope", "quantity": 1}}}), 422, "validation_failed")
		b.want(b.do("GET", "/v1/orders/ord_nope", tok, nil), 404, "not_found")

		// Lifecycle.
		b.want(b.do("POST", "/v1/events/"+eid+"/close-sales", tok, nil), 200, "")
		shut := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "items": item(1)})
		b.want(shut, 409, "sales_not_open")
		if shut.str("detail") != "the event's sales are closed" {
			t.Errorf("sales_not_open says %q", shut.str("detail"))
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/finish", tok, nil), 200, "")
		if d := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "items": item(1)}).str("detail"); d != "the event has finished" {
			t.Errorf("after finishing, sales_not_open says %q", d)
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/cancel", tok, nil), 409, "invalid_transition")
	})
}
