package app_test

import (
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestRevokedTicketHandsOutNoCode: a public buyer's paid order, then
// cancelled. Before, its tickets' QR images answer and the buyer's order
// carries their codes; after, the QR (PNG and SVG) is 410 ticket_revoked,
// the buyer's order shows the tickets revoked with no code, and the PDF
// still explains (the gates already refuse such codes). Staff still see
// the codes. The QR used to be served, cached for a year, after
// revocation, and the buyer's order kept the codes.
func TestRevokedTicketHandsOutNoCode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Revoked Org", "revoked@tickets.example")
		ev := b.do("POST", "/v1/events", own.Access, validEvent("취소 컨퍼런스"))
		b.want(ev, 201, "")
		eventID := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eventID+"/ticket-types", own.Access, map[string]any{"name": "General", "price": 1000, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		b.want(b.do("POST", "/v1/events/"+eventID+"/publish", own.Access, nil), 200, "")
		ord := b.do("POST", "/v1/public/events/"+eventID+"/orders", "", map[string]any{
			"buyer": map[string]any{"name": "박지훈", "email": "buyer@revoked.example"},
			"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 2}},
		})
		b.want(ord, 201, "")
		orderID, key := ord.str("id"), ord.str("access_key")
		b.want(b.do("POST", "/v1/orders/"+orderID+"/pay", own.Access, map[string]any{"method": "manual"}), 200, "")

		tickets := func(r *response) []map[string]any {
			t.Helper()
			var out []map[string]any
			for _, raw := range r.Body["tickets"].([]any) {
				out = append(out, raw.(map[string]any))
			}
			if len(out) != 2 {
				t.Fatalf("tickets: %s", r.Raw)
			}
			return out
		}
		public := "/v1/public/orders/" + orderID + "?key=" + key
		r := b.do("GET", public, "", nil)
		b.want(r, 200, "")
		for _, tk := range tickets(r) {
			if tk["code"] == "" || tk["revoked_at"] != nil {
				t.Fatalf("a paid ticket as its buyer sees it: %v", tk)
			}
			qr := "/v1/public/tickets/" + tk["id"].(string) + "/qr"
			b.want(b.do("GET", qr+".png", "", nil), 200, "")
			b.want(b.do("GET", qr+".svg", "", nil), 200, "")
		}

		b.want(b.do("POST", "/v1/orders/"+orderID+"/cancel", own.Access, nil), 200, "")
		r = b.do("GET", public, "", nil)
		b.want(r, 200, "")
		for _, tk := range tickets(r) {
			if tk["code"] != "" || tk["revoked_at"] == nil {
				t.Errorf("a revoked ticket as its buyer sees it: %v", tk)
			}
			base := "/v1/public/tickets/" + tk["id"].(string)
			for _, p := range []string{base + "/qr.png", base + "/qr.svg"} {
				qr := b.do("GET", p, "", nil)
				b.want(qr, 410, "ticket_revoked")
				if cc := qr.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
					t.Errorf("%s: cache control %q", p, cc)
				}
			}
			b.wantPDF(b.do("GET", base+"/ticket.pdf", "", nil))
		}
		staff := b.do("GET", "/v1/orders/"+orderID, own.Access, nil)
		b.want(staff, 200, "")
		for _, tk := range tickets(staff) {
			if tk["code"] == "" {
				t.Errorf("staff lost a revoked ticket's code: %v", tk)
			}
		}
	})
}
