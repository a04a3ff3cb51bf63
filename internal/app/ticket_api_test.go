package app_test

import (
	"bytes"
	"context"
	"image/png"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/ticket"
)

// issueTickets issues n tickets of a new order for an event of the tenant
// straight through the ticket service, the way the order domain does inside
// its payment transaction. It returns the order id and the tickets.
func issueTickets(t *testing.T, b *bundle, tenantID, eventID string, n int) (string, []ticket.IssuedTicket) {
	t.Helper()
	svc := ticket.NewService(ticket.Config{}, b.app.DB(), nil, app.Now, nil)
	orderID := id.New("ord")
	in := ticket.IssueRequest{
		OrderID: orderID, EventID: eventID,
		EventStartsAt: time.Date(2027, 3, 1, 1, 0, 0, 0, time.UTC), EventEndsAt: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC),
	}
	for i := 0; i < n; i++ {
		in.Items = append(in.Items, ticket.IssueItem{TicketTypeID: id.New("tty"), AttendeeName: "이서연", AttendeeEmail: "seoyeon@example.com"})
	}
	var out []ticket.IssuedTicket
	err := b.app.DB().Write(db.WithTenant(context.Background(), tenantID), func(tx *db.Tx) error {
		var err error
		out, err = svc.Issue(tx, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return orderID, out
}

func revokeOrder(t *testing.T, b *bundle, tenantID, orderID string) {
	t.Helper()
	svc := ticket.NewService(ticket.Config{}, b.app.DB(), nil, app.Now, nil)
	err := b.app.DB().Write(db.WithTenant(context.Background(), tenantID), func(tx *db.Tx) error {
		return svc.RevokeOrder(tx, orderID)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTicketFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Ticket Files Org", "files@tickets.example")
		ev := b.do("POST", "/v1/events", own.Access, validEvent("티켓 파일 페스티벌"))
		b.want(ev, 201, "")
		_, issued := issueTickets(t, b, own.ID, ev.str("id"), 1)
		tk := issued[0]
		base := "/v1/public/tickets/" + tk.ID

		r := b.do("GET", base+"/qr.png", "", nil)
		b.want(r, 200, "")
		if ct := r.Header.Get("Content-Type"); ct != "image/png" {
			t.Fatalf("qr.png content type %q", ct)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") || !strings.Contains(cc, "private") {
			t.Fatalf("qr.png cache control %q", cc)
		}
		if _, err := png.Decode(bytes.NewReader(r.Raw)); err != nil {
			t.Fatalf("qr.png: %v", err)
		}

		r = b.do("GET", base+"/qr.svg", "", nil)
		b.want(r, 200, "")
		if ct := r.Header.Get("Content-Type"); ct != "image/svg+xml" || !bytes.HasPrefix(r.Raw, []byte("<svg")) {
			t.Fatalf("qr.svg %q %.40s", ct, r.Raw)
		}

		r = b.do("GET", base+"/ticket.pdf", "", nil)
		b.wantPDF(r)
		if cd := r.Header.Get("Content-Disposition"); fontInstalled() && !strings.Contains(cd, tk.ID+".pdf") {
			t.Fatalf("ticket.pdf disposition %q", cd)
		}

		r = b.do("GET", base+"/ticket.ics", "", nil)
		b.want(r, 200, "")
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
			t.Fatalf("ticket.ics content type %q", ct)
		}
		ics := strings.ReplaceAll(string(r.Raw), "\r\n ", "")
		for _, want := range []string{"BEGIN:VCALENDAR\r\n", "UID:" + tk.ID + "@usher\r\n", "DTSTART:20270301T010000Z\r\n", "SUMMARY:티켓 파일 페스티벌\r\n", "LOCATION:COEX Hall A\r\n"} {
			if !strings.Contains(ics, want) {
				t.Fatalf("ticket.ics misses %q:\n%s", want, ics)
			}
		}

		// Unknown and malformed ids are a plain 404 problem.
		for _, p := range []string{"/v1/public/tickets/" + id.New("tkt") + "/qr.png", "/v1/public/tickets/nope/ticket.pdf", "/v1/public/tickets/" + ev.str("id") + "/qr.svg"} {
			b.want(b.do("GET", p, "", nil), 404, "not_found")
		}
	})
}

func TestTicketKeysAndRevocations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Ticket Keys Org", "keys@tickets.example")
		ev := b.do("POST", "/v1/events", own.Access, validEvent("Keys Conference"))
		b.want(ev, 201, "")
		eventID := ev.str("id")
		gate := b.do("POST", "/v1/api-keys", own.Access, map[string]any{"name": "gate 1", "role": "gate"})
		b.want(gate, 201, "")
		gateKey := gate.str("key")

		// No ticket yet: no public keys, an empty list for the tenant.
		b.want(b.do("GET", "/v1/public/events/"+eventID+"/ticket-keys", "", nil), 404, "not_found")
		r := b.do("GET", "/v1/events/"+eventID+"/ticket-keys", gateKey, nil)
		b.want(r, 200, "")
		if !strings.Contains(string(r.Raw), `"keys":[]`) {
			t.Fatalf("keys before any ticket: %s", r.Raw)
		}

		order, issued := issueTickets(t, b, own.ID, eventID, 2)
		keySet := func() ticket.KeySet {
			t.Helper()
			r := b.do("GET", "/v1/public/events/"+eventID+"/ticket-keys", "", nil)
			b.want(r, 200, "")
			var ks ticket.KeySet
			for _, raw := range r.Body["keys"].([]any) {
				k := raw.(map[string]any)
				vk, err := ticket.ParseKey(eventID, ticket.Key{KID: k["kid"].(string), PublicKey: k["public_key"].(string)})
				if err != nil {
					t.Fatal(err)
				}
				ks.Add(vk)
			}
			return ks
		}
		at := time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)
		for _, tk := range issued {
			c, err := ticket.Verify(tk.Code, keySet(), at)
			if err != nil || c.TicketID != tk.ID || c.EventID != eventID {
				t.Fatalf("verify with published keys: %+v %v", c, err)
			}
		}

		// Revocations: empty, then the order's tickets; a viewer may not
		// read them, a gate may.
		r = b.do("GET", "/v1/events/"+eventID+"/revocations", gateKey, nil)
		b.want(r, 200, "")
		if len(r.Body["data"].([]any)) != 0 {
			t.Fatalf("revocations before any: %s", r.Raw)
		}
		revokeOrder(t, b, own.ID, order)
		r = b.do("GET", "/v1/events/"+eventID+"/revocations", gateKey, nil)
		b.want(r, 200, "")
		data := r.Body["data"].([]any)
		if len(data) != 2 {
			t.Fatalf("revocations: %s", r.Raw)
		}
		first := data[0].(map[string]any)
		if first["ticket_id"] != issued[0].ID && first["ticket_id"] != issued[1].ID {
			t.Fatalf("revocation %v", first)
		}
		since := first["revoked_at"].(string)
		r = b.do("GET", "/v1/events/"+eventID+"/revocations?since="+since, gateKey, nil)
		b.want(r, 200, "")
		if len(r.Body["data"].([]any)) != 2 {
			t.Fatalf("since is inclusive: %s", r.Raw)
		}
		r = b.do("GET", "/v1/events/"+eventID+"/revocations?since=2099-01-01T00:00:00Z", gateKey, nil)
		b.want(r, 200, "")
		if len(r.Body["data"].([]any)) != 0 {
			t.Fatalf("since in the future: %s", r.Raw)
		}
		r = b.do("GET", "/v1/events/"+eventID+"/revocations?limit=1", gateKey, nil)
		b.want(r, 200, "")
		if r.str("next_cursor") == "" {
			t.Fatalf("no next cursor: %s", r.Raw)
		}
		b.want(b.do("GET", "/v1/events/"+eventID+"/revocations?since=yesterday", gateKey, nil), 422, "validation_failed")
		b.want(b.do("GET", "/v1/events/"+id.New("evt")+"/revocations", gateKey, nil), 404, "not_found")

		// Rotation: admins only; old codes keep verifying until removed.
		b.want(b.do("POST", "/v1/events/"+eventID+"/ticket-keys/rotate", gateKey, nil), 403, "forbidden")
		oldKID := ""
		if c, err := ticket.Verify(issued[0].Code, keySet(), at); err == nil {
			oldKID = c.KID
		}
		rot := b.do("POST", "/v1/events/"+eventID+"/ticket-keys/rotate", own.Access, nil)
		b.want(rot, 201, "")
		if rot.str("kid") == "" || rot.str("kid") == oldKID || rot.Body["active"] != true {
			t.Fatalf("rotated key %s", rot.Raw)
		}
		if _, err := ticket.Verify(issued[0].Code, keySet(), at); err != nil {
			t.Fatalf("old code after rotation: %v", err)
		}
		b.want(b.do("DELETE", "/v1/events/"+eventID+"/ticket-keys/"+rot.str("kid"), own.Access, nil), 409, "conflict")
		b.want(b.do("DELETE", "/v1/events/"+eventID+"/ticket-keys/"+oldKID, own.Access, nil), 204, "")
		if _, err := ticket.Verify(issued[0].Code, keySet(), at); err == nil {
			t.Fatal("old code verifies after its key was removed")
		}
	})
}

// TestTicketPDFWithoutFont: a server without fonts-nanum answers 503 with a
// code that says so, and keeps serving everything else.
func TestTicketPDFWithoutFont(t *testing.T) {
	dc := dbtest.Config(t, db.SQLite)
	a, err := app.New(context.Background(), app.Config{Addr: "127.0.0.1:0", DataDir: dc.DataDir, FontPath: t.TempDir() + "/missing/NanumGothic.ttf"},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() { srv.Close(); a.Close(context.Background()) })
	b := &bundle{t: t, app: a, srv: srv}
	own := b.signup("No Font Org", "nofont@tickets.example")
	ev := b.do("POST", "/v1/events", own.Access, validEvent("No Font"))
	b.want(ev, 201, "")
	_, issued := issueTickets(t, b, own.ID, ev.str("id"), 1)
	r := b.do("GET", "/v1/public/tickets/"+issued[0].ID+"/ticket.pdf", "", nil)
	b.want(r, 503, "font_unavailable")
	if !strings.Contains(r.str("detail"), "fonts-nanum") {
		t.Fatalf("detail does not name the package: %s", r.Raw)
	}
	b.want(b.do("GET", "/v1/public/tickets/"+issued[0].ID+"/qr.png", "", nil), 200, "")
}
