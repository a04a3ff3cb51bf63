package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The organizer opens a ticket type from the event page, changes its price,
// quota and sale window, and sees a refusal (quota below what is held) on the
// same form, with nothing changed.
func TestEditTicketTypePage(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/ticket-types", url.Values{"name": {"Early bird"}, "price": {"9,000"},
		"currency": {"KRW"}, "quota": {"50"}, "sales_end": {"2031-04-01T00:00"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add ticket type: %d\n%s", p.status, p.body)
	}
	buyer := newBrowser(t, srv)
	types := ttRE.FindAllStringSubmatch(buyer.get("/e/"+id+"/register").body, -1)
	if len(types) != 2 {
		t.Fatalf("ticket types on the register page: %v", types)
	}
	tid := types[1][1] // the event's first type is organizerEvent's own
	register(t, buyer, id, tid, "Early Buyer")

	page := "/app/events/" + id + "/ticket-types/" + tid
	if p := org.get("/app/events/" + id); !strings.Contains(p.body, `href="`+page+`"`) {
		t.Fatalf("the event page does not link to the ticket type:\n%s", p.body)
	}
	p := org.get(page)
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="9,000"`) || !strings.Contains(p.body, `value="2031-04-01T00:00"`) ||
		!strings.Contains(p.body, `name="currency" value="KRW" readonly`) || !strings.Contains(p.text(), "1 held") {
		t.Fatalf("edit page: %d\n%s", p.status, p.body)
	}
	form := url.Values{"name": {"Regular"}, "price": {"12,000"}, "currency": {"USD"}, "quota": {"0"}, "sales_end": {""}}
	p = org.submit(page, page, form)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), "below what is held and sold") {
		t.Fatalf("quota below the holds: %d\n%s", p.status, p.text())
	}
	form.Set("quota", "40")
	p = org.submit(page, page, form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/app/events/"+id+"?done=ticket_type_saved") {
		t.Fatalf("save: %d to %q\n%s", p.status, p.location(), p.body)
	}
	p = org.get(p.location())
	if !strings.Contains(p.text(), "Ticket type saved.") || !strings.Contains(p.text(), "Regular") || !strings.Contains(p.text(), "₩12,000") ||
		!strings.Contains(p.text(), "39 / 40") {
		t.Fatalf("event page after the change:\n%s", p.text())
	}
	if p := org.get(page); strings.Contains(p.body, `value="2031-04-01T00:00"`) || !strings.Contains(p.body, `name="currency" value="KRW" readonly`) {
		t.Errorf("after the change the sale end is still set, or the currency moved:\n%s", p.body)
	}
	if p := org.get("/app/events/" + id + "/ticket-types/tty_nope"); p.status != http.StatusNotFound {
		t.Errorf("an unknown ticket type: %d", p.status)
	}
	stranger := newBrowser(t, srv)
	stranger.signup("Other Org", "other@example.com")
	if p := stranger.get(page); p.status != http.StatusNotFound {
		t.Errorf("another organization's ticket type: %d", p.status)
	}
}
