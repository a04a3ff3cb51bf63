package app_test

import (
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestImportAttendeesAPI posts a CSV of attendees: bad rows are a 422 that
// names each row and column; a good file makes paid orders with tickets,
// and the public order flow pays with a wallet access code.
func TestImportAttendeesAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Importers", "import@example.com")
		ev := b.do("POST", "/v1/events", ten.Access, validEvent("Import Conf"))
		b.want(ev, 201, "")
		id := ev.str("id")
		b.want(b.do("POST", "/v1/events/"+id+"/ticket-types", ten.Access, map[string]any{"name": "General", "price": 99000, "currency": "KRW", "quota": 5}), 201, "")
		csv := "text/csv"

		bad := b.do("POST", "/v1/events/"+id+"/attendees/import", ten.Access, "name,email,ticket_type\nKim,kim@example.com,General\nLee,nope,General\n", "Content-Type", csv)
		b.want(bad, 422, "validation_failed")
		if !strings.Contains(string(bad.Raw), `"rows[3].email"`) {
			t.Fatalf("no row error: %s", bad.Raw)
		}
		ok := b.do("POST", "/v1/events/"+id+"/attendees/import", ten.Access, "name,email,ticket_type\nKim,kim@example.com,General\nLee,lee@example.com,General\n", "Content-Type", csv)
		b.want(ok, 201, "")
		if ok.Body["tickets"] != float64(2) {
			t.Fatalf("import: %s", ok.Raw)
		}
		att := b.do("GET", "/v1/events/"+id+"/attendees", ten.Access, nil)
		b.want(att, 200, "")
		if n := len(att.Body["data"].([]any)); n != 2 {
			t.Fatalf("%d attendees", n)
		}

		// Public buyer: hold, then pay with the wallet's access code.
		b.want(b.do("POST", "/v1/events/"+id+"/publish", ten.Access, nil), 200, "")
		cus := b.do("POST", "/v1/customers", ten.Access, map[string]any{"email": "buyer@example.com", "name": "Buyer"})
		b.want(cus, 201, "")
		b.want(b.do("POST", "/v1/customers/"+cus.str("id")+"/wallet/charge", ten.Access, map[string]any{"amount": 100000}), 200, "")
		code := b.do("POST", "/v1/customers/"+cus.str("id")+"/wallet/access-code", ten.Access, nil)
		b.want(code, 201, "")
		tts := b.do("GET", "/v1/public/events/"+id, "", nil)
		tt := tts.Body["ticket_types"].([]any)[0].(map[string]any)["id"].(string)
		o := b.do("POST", "/v1/public/events/"+id+"/orders", "", map[string]any{"buyer": map[string]any{"name": "Buyer", "email": "buyer@example.com"},
			"items": []any{map[string]any{"ticket_type_id": tt, "quantity": 1}}})
		b.want(o, 201, "")
		b.want(b.do("GET", "/v1/public/orders/"+o.str("id")+"?key=oak_wrong", "", nil), 404, "not_found")
		b.want(b.do("POST", "/v1/public/orders/"+o.str("id")+"/pay", "", map[string]any{"key": o.str("access_key"), "email": "buyer@example.com", "wallet_code": "wac_x"}), 401, "invalid_credentials")
		paid := b.do("POST", "/v1/public/orders/"+o.str("id")+"/pay", "", map[string]any{"key": o.str("access_key"), "email": "buyer@example.com", "wallet_code": code.str("code")})
		b.want(paid, 200, "")
		if paid.str("status") != "paid" || len(paid.Body["tickets"].([]any)) != 1 || paid.str("access_key") != "" {
			t.Fatalf("paid: %s", paid.Raw)
		}
	})
}
