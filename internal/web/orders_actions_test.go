package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// register places a public order for one ticket of type tt and returns
// the order's id.
func register(t *testing.T, b *browser, eventID, tt, name string) string {
	t.Helper()
	p := b.submit("/e/"+eventID+"/register", "/e/"+eventID+"/register", url.Values{"name": {name}, "email": {"buyer@example.com"},
		"phone": {"010-1234-5678"}, "qty_" + tt: {"1"}})
	m := orderLinkRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("register: %d to %q\n%s", p.status, p.location(), p.body)
	}
	return m[1]
}

var ttRE = regexp.MustCompile(`name="qty_(tty_[A-Za-z0-9]+)"`)

func TestOrderActions(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	p := org.submit("/app/events/"+id, "/app/events/"+id+"/ticket-types", url.Values{"name": {"Student"}, "price": {"49,000"},
		"currency": {"KRW"}, "quota": {"50"}, "min_per_order": {"1"}, "max_per_order": {"1"}, "requires_verification": {"1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("add student type: %d\n%s", p.status, p.body)
	}
	buyer := newBrowser(t, srv)
	types := ttRE.FindAllStringSubmatch(buyer.get("/e/"+id+"/register").body, -1)
	if len(types) != 2 {
		t.Fatalf("ticket types on the register page: %v", types)
	}
	general, student := types[0][1], types[1][1]
	held := register(t, buyer, id, general, "Held Buyer")
	pending := register(t, buyer, id, student, "Student Buyer")
	other := register(t, buyer, id, general, "Other Buyer")
	page := "/app/orders/" + held

	// The list links to the order page, which shows the buyer's phone in
	// E.164 and the actions a held order allows.
	if p := org.get("/app/events/" + id + "/orders"); !strings.Contains(p.body, `href="`+page+`"`) {
		t.Errorf("the list does not link to %s", page)
	}
	p = org.get(page)
	if p.status != http.StatusOK || !strings.Contains(p.text(), "+821012345678") || !strings.Contains(p.body, `id="order-mark-paid"`) ||
		!strings.Contains(p.body, `id="order-cancel"`) || strings.Contains(p.body, `id="order-approve"`) {
		t.Fatalf("held order page: %d\n%s", p.status, p.body)
	}
	if !strings.Contains(p.body, `data-confirm="Cancel this order?`) {
		t.Error("cancelling asks for no confirmation")
	}

	// A post without the page's token changes nothing.
	if p := org.post(page+"/mark-paid", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("mark paid without a token: %d", p.status)
	}
	// Marked paid by hand: tickets are issued.
	p = org.submit(page, page+"/mark-paid", url.Values{})
	if p.status != http.StatusSeeOther || p.location() != page+"?done=paid" {
		t.Fatalf("mark paid: %d to %q\n%s", p.status, p.location(), p.body)
	}
	p = org.get(p.location())
	if !strings.Contains(p.body, "Marked paid") || !strings.Contains(p.body, "status-paid") || !strings.Contains(p.body, "Bank transfer") ||
		!strings.Contains(p.body, "/v1/public/tickets/tkt_") {
		t.Fatalf("paid order page:\n%s", p.body)
	}
	// The list names the payment method, not a pointer.
	if p := org.get("/app/events/" + id + "/orders?status=paid"); !strings.Contains(p.body, `<span class="badge">Bank transfer</span>`) {
		t.Errorf("the list shows no payment method:\n%s", p.body)
	}
	// Cancelled: the ticket is revoked, and no action is offered any more.
	if p := org.submit(page, page+"/cancel", url.Values{}); p.status != http.StatusSeeOther || p.location() != page+"?done=cancelled" {
		t.Fatalf("cancel: %d to %q\n%s", p.status, p.location(), p.body)
	}
	p = org.get(page)
	if !strings.Contains(p.body, "status-cancelled") || !strings.Contains(p.body, "Revoked") || strings.Contains(p.body, `id="order-actions"`) {
		t.Fatalf("cancelled order page:\n%s", p.body)
	}
	// A stale form (the order moved on meanwhile) is a 409 with a message
	// on the order page, never a 500.
	p = org.submit(page, page+"/mark-paid", url.Values{})
	if p.status != http.StatusConflict || !strings.Contains(p.text(), "does not allow that now") || !strings.Contains(p.body, "status-cancelled") {
		t.Fatalf("mark a cancelled order paid: %d\n%s", p.status, p.body)
	}
	if p := org.submit(page, page+"/approve", url.Values{}); p.status != http.StatusConflict {
		t.Errorf("approve a cancelled order: %d", p.status)
	}

	// A student order waits for its proof: it cannot be marked paid yet.
	spage := "/app/orders/" + pending
	p = org.get(spage)
	if !strings.Contains(p.body, "status-pending_verification") || !strings.Contains(p.body, `id="order-approve"`) || strings.Contains(p.body, `id="order-mark-paid"`) {
		t.Fatalf("pending order page:\n%s", p.body)
	}
	p = org.submit(spage, spage+"/mark-paid", url.Values{})
	if p.status != http.StatusConflict || !strings.Contains(p.text(), "Approve the proof before") {
		t.Fatalf("mark a pending order paid: %d\n%s", p.status, p.body)
	}
	if p := org.submit(spage, spage+"/approve", url.Values{}); p.status != http.StatusSeeOther || p.location() != spage+"?done=approved" {
		t.Fatalf("approve: %d to %q", p.status, p.location())
	}
	if p := org.get(spage); !strings.Contains(p.body, "status-held") || !strings.Contains(p.body, `id="order-mark-paid"`) {
		t.Fatalf("approved order page:\n%s", p.body)
	}
	// Rejecting needs a pending order; the reject of another one works.
	if p := org.submit(spage, spage+"/reject", url.Values{}); p.status != http.StatusConflict {
		t.Errorf("reject an approved order: %d", p.status)
	}
	second := register(t, buyer, id, student, "Second Student")
	if p := org.submit("/app/orders/"+second, "/app/orders/"+second+"/reject", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("reject: %d\n%s", p.status, p.body)
	}
	if p := org.get("/app/orders/" + second); !strings.Contains(p.body, "status-rejected") {
		t.Errorf("rejected order page:\n%s", p.body)
	}

	// Unknown orders and other organizations' orders are not found.
	if p := org.get("/app/orders/ord_nope"); p.status != http.StatusNotFound {
		t.Errorf("unknown order: %d", p.status)
	}
	if p := org.submit(page, "/app/orders/ord_nope/cancel", url.Values{}); p.status != http.StatusNotFound {
		t.Errorf("cancel an unknown order: %d", p.status)
	}
	stranger := newBrowser(t, srv)
	stranger.lang = "en"
	stranger.signup("Other Org", "other@example.com")
	if p := stranger.get("/app/orders/" + other); p.status != http.StatusNotFound {
		t.Errorf("another tenant's order page: %d", p.status)
	}
	if p := stranger.submit("/app/customers", "/app/orders/"+other+"/cancel", url.Values{}); p.status != http.StatusNotFound {
		t.Errorf("another tenant cancels: %d", p.status)
	}
	if p := org.get("/app/orders/" + other); !strings.Contains(p.body, "status-held") {
		t.Errorf("the other tenant changed the order:\n%s", p.body)
	}
}

// A viewer sees the order but is offered no action and may not post one.
func TestOrderActionsNeedStaff(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	buyer := newBrowser(t, srv)
	tt := ttRE.FindStringSubmatch(buyer.get("/e/" + id + "/register").body)[1]
	orderID := register(t, buyer, id, tt, "Buyer")

	p := org.submit("/app/settings/users", "/app/settings/users/invite", url.Values{"email": {"viewer@example.com"}, "role": {"viewer"}})
	m := inviteRE.FindStringSubmatch(p.body)
	if p.status != http.StatusCreated || m == nil {
		t.Fatalf("invite: %d\n%s", p.status, p.body)
	}
	viewer := newBrowser(t, srv)
	viewer.lang = "en"
	if p := viewer.submit(m[1], m[1], url.Values{"name": {"Vera"}, "password": {strongPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("accept: %d", p.status)
	}
	page := "/app/orders/" + orderID
	p = viewer.get(page)
	if p.status != http.StatusOK || strings.Contains(p.body, `id="order-actions"`) {
		t.Fatalf("viewer's order page: %d\n%s", p.status, p.body)
	}
	p = viewer.post(page+"/cancel", url.Values{"csrf_token": {csrfToken(t, p.body)}})
	if p.status != http.StatusForbidden {
		t.Fatalf("viewer cancels: %d", p.status)
	}
	if p := org.get(page); !strings.Contains(p.body, "status-held") {
		t.Errorf("the viewer changed the order:\n%s", p.body)
	}
}
