package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// pathID takes the id after prefix from a redirect's location.
func pathID(t *testing.T, loc, prefix string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(prefix) + `([A-Za-z0-9_]+)`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("no id after %s in %q", prefix, loc)
	}
	return m[1]
}

// organizerEvent signs up and makes a published event with one ticket type
// through the organizer pages, returning the event's id.
func organizerEvent(t *testing.T, b *browser) string {
	t.Helper()
	b.signup("Pages Org", "org@example.com")
	p := b.submit("/app/events/new", "/app/events", url.Values{"name": {"Go Conference"}, "starts_at": {"2031-05-01T09:00"},
		"ends_at": {"2031-05-01T18:00"}, "timezone": {"Asia/Seoul"}, "venue": {"COEX Hall B"}, "capacity": {"500"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create event: %d\n%s", p.status, p.body)
	}
	id := pathID(t, p.location(), "/app/events/")
	p = b.submit("/app/events/"+id, "/app/events/"+id+"/ticket-types", url.Values{"name": {"General"}, "price": {"99,000"},
		"currency": {"KRW"}, "quota": {"400"}, "min_per_order": {"1"}, "max_per_order": {"4"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("add ticket type: %d\n%s", p.status, p.body)
	}
	p = b.submit("/app/events/"+id, "/app/events/"+id+"/status", url.Values{"to": {"publish"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("publish: %d\n%s", p.status, p.body)
	}
	return id
}

func TestEventPagesFormsAndRoles(t *testing.T) {
	t.Parallel()
	srv := server(t)
	b := newBrowser(t, srv)
	b.lang = "en"
	id := organizerEvent(t, b)

	p := b.get("/app/events/" + id)
	if p.status != http.StatusOK || !strings.Contains(p.body, "₩99,000") || !strings.Contains(p.text(), "2031-05-01 09:00") {
		t.Fatalf("event page: %d\n%s", p.status, p.body)
	}
	// Bad input shows the form again with a message: never a 500.
	for _, tc := range []struct {
		from, action string
		form         url.Values
		want         string
	}{
		{"/app/events/new", "/app/events", url.Values{"name": {"X"}, "starts_at": {"2031-05-02T09:00"}, "ends_at": {"2031-05-01T09:00"}, "timezone": {"Asia/Seoul"}, "capacity": {"5"}}, "The end must be after the start."},
		{"/app/events/new", "/app/events", url.Values{"name": {"X"}, "starts_at": {"tomorrow"}, "ends_at": {"2031-05-01T09:00"}, "timezone": {"Mars/Base"}, "capacity": {"-1"}}, "Choose a time zone"},
		{"/app/events/" + id, "/app/events/" + id + "/ticket-types", url.Values{"name": {"VIP"}, "price": {"abc"}, "currency": {"KRW"}, "quota": {"10"}}, "Enter the price as a number"},
		{"/app/events/" + id, "/app/events/" + id + "/ticket-types", url.Values{"name": {"VIP"}, "price": {"1.5"}, "currency": {"KRW"}, "quota": {"10"}}, "Enter the price as a number"},
		{"/app/events/" + id, "/app/events/" + id + "/ticket-types", url.Values{"name": {"VIP"}, "price": {"150000"}, "currency": {"KRW"}, "quota": {"1000"}}, "may not exceed the capacity"},
		{"/app/events/" + id, "/app/events/" + id + "/waiting-room", url.Values{"enabled": {"on"}, "admit_per_minute": {"0"}, "max_active": {"5"}, "active_ttl_seconds": {"60"}}, "Admit at least 1"},
		{"/app/events/" + id, "/app/events/" + id + "/status", url.Values{"to": {"publish"}}, "cannot be done in the current status"},
		{"/app/customers", "/app/customers", url.Values{"name": {"Kim"}, "email": {"nope"}}, "Enter a valid email"},
		{"/app/events/" + id + "/form", "/app/events/" + id + "/form", url.Values{"field_key_0": {"Bad Key"}}, "could not"},
	} {
		p := b.submit(tc.from, tc.action, tc.form)
		if tc.want == "could not" {
			if p.status != http.StatusUnprocessableEntity {
				t.Errorf("%s %v: %d", tc.action, tc.form, p.status)
			}
			continue
		}
		if p.status < 400 || p.status >= 500 || !strings.Contains(p.text(), tc.want) {
			t.Errorf("%s %v: status %d, want a 4xx with %q\n%s", tc.action, tc.form, p.status, tc.want, p.body)
		}
	}
	// CSRF: a post without the token is refused.
	if p := b.post("/app/events", url.Values{"name": {"X"}}); p.status != http.StatusForbidden {
		t.Errorf("post without token: %d", p.status)
	}

	// Lists, search, filters and exports answer.
	for _, path := range []string{"/app/events", "/app/orders", "/app/events/" + id + "/orders?q=kim&status=paid",
		"/app/events/" + id + "/attendees", "/app/events/" + id + "/form", "/app/customers", "/app/messages",
		"/app/messages/confirmation/ko", "/app/events/" + id + "/edit"} {
		if p := b.get(path); p.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	if p := b.get("/app/events/" + id + "/orders.csv"); p.status != http.StatusOK || !strings.Contains(p.body, "order_id") {
		t.Errorf("orders.csv: %d %s", p.status, p.body)
	}
	if p := b.get("/app/messages/nonsense/ko"); p.status != http.StatusNotFound {
		t.Errorf("unknown template: %d", p.status)
	}
	// The template preview renders a draft, or says why it cannot.
	p = b.get("/app/messages/confirmation/en")
	tok := csrfToken(t, p.body)
	p = b.post("/app/messages/confirmation/en/preview", url.Values{"csrf_token": {tok}, "subject": {"Hi {{.BuyerName}}"}, "body": {"x"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `"subject":"Hi `) {
		t.Errorf("preview: %d %s", p.status, p.body)
	}
	p = b.post("/app/messages/confirmation/en/preview", url.Values{"csrf_token": {tok}, "subject": {"Hi {{.BuyerName"}, "body": {"x"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `"error"`) {
		t.Errorf("broken preview: %d %s", p.status, p.body)
	}

	// The import: bad rows are listed with their lines, good files create
	// tickets.
	upload := func(csv string) page {
		p := b.get("/app/events/" + id + "/attendees")
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("csrf_token", csrfToken(t, p.body))
		fw, _ := w.CreateFormFile("file", "people.csv")
		fw.Write([]byte(csv))
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, b.base+"/app/events/"+id+"/attendees/import", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return b.do(req)
	}
	p = upload("name,email,ticket_type\nKim,kim@example.com,General\nLee,not-mail,General\n")
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "rows[3].email") {
		t.Errorf("bad import: %d\n%s", p.status, p.body)
	}
	p = upload("name,email,ticket_type\nKim,kim@example.com,General\nLee,lee@example.com,General\n")
	if p.status != http.StatusCreated || !strings.Contains(p.body, "Created 2 orders and 2 tickets") || !strings.Contains(p.body, "lee@example.com") {
		t.Errorf("import: %d\n%s", p.status, p.body)
	}

	// A viewer reads but does not write.
	p = b.submit("/app/settings/users", "/app/settings/users/invite", url.Values{"email": {"viewer@example.com"}, "role": {"viewer"}})
	link := inviteRE.FindStringSubmatch(p.body)[1]
	v := newBrowser(t, srv)
	v.lang = "en"
	if p := v.submit(link, link, url.Values{"name": {"Vera"}, "password": {strongPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("accept: %d", p.status)
	}
	if p := v.get("/app/events/" + id); p.status != http.StatusOK || strings.Contains(p.body, "/ticket-types\"") {
		t.Errorf("viewer event page: %d (or it offers the ticket type form)", p.status)
	}
	if p := v.get("/app/events/new"); p.status != http.StatusForbidden {
		t.Errorf("viewer new event: %d", p.status)
	}
	p = v.get("/app/events")
	if p := v.post("/app/events/"+id+"/status", url.Values{"csrf_token": {csrfToken(t, p.body)}, "to": {"cancel"}}); p.status != http.StatusForbidden {
		t.Errorf("viewer cancels: %d", p.status)
	}
	// Another organization sees none of it.
	o := newBrowser(t, srv)
	o.signup("Other Org", "other@example.com")
	if p := o.get("/app/events/" + id); p.status != http.StatusNotFound {
		t.Errorf("other tenant: %d", p.status)
	}
}

var orderLinkRE = regexp.MustCompile(`^/o/(ord_[A-Za-z0-9]+)\?k=([A-Za-z0-9_]+)$`)

func TestPublicRegistrationAndOrderPage(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	p := org.submit("/app/customers", "/app/customers", url.Values{"name": {"Buyer"}, "email": {"buyer@example.com"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("customer: %d", p.status)
	}
	p = org.get("/app/customers")
	cus := regexp.MustCompile(`/app/customers/(cus_[A-Za-z0-9]+)/charge`).FindStringSubmatch(p.body)[1]
	if p = org.submit("/app/customers", "/app/customers/"+cus+"/charge", url.Values{"amount": {"200,000"}}); p.status != http.StatusSeeOther {
		t.Fatalf("charge: %d\n%s", p.status, p.body)
	}
	p = org.submit("/app/customers", "/app/customers/"+cus+"/access-code", url.Values{})
	code := regexp.MustCompile(`value="(wac_[A-Za-z0-9]+)"`).FindStringSubmatch(p.body)
	if p.status != http.StatusCreated || code == nil {
		t.Fatalf("access code: %d\n%s", p.status, p.body)
	}

	buyer := newBrowser(t, srv)
	p = buyer.get("/e/" + id)
	if p.status != http.StatusOK || !strings.Contains(p.body, "₩99,000") || !strings.Contains(p.body, "lang=\"ko\"") {
		t.Fatalf("event page: %d\n%s", p.status, p.body)
	}
	// Nothing chosen, then a bad email: the form comes back with 422.
	p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"구매자"}, "email": {"buyer@example.com"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), "티켓을 한 장 이상") {
		t.Fatalf("no tickets: %d\n%s", p.status, p.body)
	}
	tt := regexp.MustCompile(`name="qty_(tty_[A-Za-z0-9]+)"`).FindStringSubmatch(p.body)[1]
	p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"구매자"}, "email": {"nope"}, "qty_" + tt: {"2"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `value="구매자"`) {
		t.Fatalf("bad email: %d\n%s", p.status, p.body)
	}
	if p := buyer.post("/e/"+id+"/register", url.Values{"name": {"x"}}); p.status != http.StatusForbidden {
		t.Errorf("register without token: %d", p.status)
	}
	p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"구매자"}, "email": {"buyer@example.com"}, "qty_" + tt: {"2"}})
	m := orderLinkRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("register: %d to %q\n%s", p.status, p.location(), p.body)
	}
	orderID, key := m[1], m[2]
	if p := newBrowser(t, srv).get("/o/" + orderID); p.status != http.StatusNotFound {
		t.Errorf("order page without key: %d", p.status)
	}
	if p := newBrowser(t, srv).get("/o/" + orderID + "?k=oak_guess"); p.status != http.StatusNotFound {
		t.Errorf("order page with a wrong key: %d", p.status)
	}
	link := p.location()
	p = buyer.submit(link, "/o/"+orderID+"/pay", url.Values{"k": {key}, "email": {"buyer@example.com"}, "wallet_code": {"wac_wrong"}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "id=\"pay\"") {
		t.Fatalf("wrong code: %d\n%s", p.status, p.body)
	}
	p = buyer.submit(link, "/o/"+orderID+"/pay", url.Values{"k": {key}, "email": {"buyer@example.com"}, "wallet_code": {code[1]}})
	if p.status != http.StatusSeeOther || p.location() != link {
		t.Fatalf("pay: %d to %q\n%s", p.status, p.location(), p.body)
	}
	p = buyer.get(link)
	if p.status != http.StatusOK || strings.Count(p.body, `class="qr" src="/v1/public/tickets/tkt_`) != 2 {
		t.Fatalf("tickets: %d\n%s", p.status, p.body)
	}
	qr := regexp.MustCompile(`src="(/v1/public/tickets/[^"]+/qr.png)"`).FindStringSubmatch(p.body)[1]
	if p := buyer.get(qr); p.status != http.StatusOK || !strings.HasPrefix(p.body, "\x89PNG") {
		t.Errorf("QR: %d", p.status)
	}
	// The organizer sees the paid order and the balance taken.
	if p := org.get("/app/events/" + id + "/orders?status=paid"); !strings.Contains(p.body, "buyer@example.com") {
		t.Errorf("paid order not listed:\n%s", p.body)
	}
	if p := org.get("/app/customers"); !strings.Contains(p.body, "₩-") && !strings.Contains(p.text(), "Balance ₩2,000") {
		t.Errorf("balance not shown as ₩2,000")
	}
}

func TestQueuePage(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	// Without a room the queue page leads straight on.
	buyer := newBrowser(t, srv)
	if p := buyer.get("/e/" + id + "/queue"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/e/"+id+"/register?t=") {
		t.Fatalf("no room: %d to %q", p.status, p.location())
	}
	// With a room of one active buyer, the second waits.
	p := org.submit("/app/events/"+id, "/app/events/"+id+"/waiting-room", url.Values{"enabled": {"on"}, "admit_per_minute": {"1"}, "max_active": {"1"}, "active_ttl_seconds": {"600"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("room: %d\n%s", p.status, p.body)
	}
	if p := newBrowser(t, srv).get("/e/" + id + "/register"); p.status != http.StatusSeeOther || p.location() != "/e/"+id+"/queue" {
		t.Errorf("register without a token: %d to %q", p.status, p.location())
	}
	// Admission follows the rate from the opening, so right after it
	// everyone waits: the page shows the place and polls.
	first := newBrowser(t, srv)
	if p := first.get("/e/" + id + "/queue"); p.status != http.StatusOK {
		t.Fatalf("first in the room: %d\n%s", p.status, p.body)
	}
	second := newBrowser(t, srv)
	p = second.get("/e/" + id + "/queue")
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="queue-progress"`) || !strings.Contains(p.body, `data-token="`) {
		t.Fatalf("waiting: %d\n%s", p.status, p.body)
	}
	again := second.get("/e/" + id + "/queue")
	tok := regexp.MustCompile(`data-token="([^"]+)"`)
	if tok.FindStringSubmatch(again.body)[1] != tok.FindStringSubmatch(p.body)[1] {
		t.Error("the same browser got a new place")
	}
	if p := org.get("/app/events/" + id); !strings.Contains(p.text(), "joined so far") {
		t.Errorf("room counts not shown:\n%s", p.body)
	}
}
