package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

var seatRE = regexp.MustCompile(`name="seat" value="(seat_[A-Za-z0-9]+)" aria-label="Section Floor, row ([A-Z]), seat (\d+)"( checked)?( disabled)?`)

// The organizer lays out seats on the event page; buyers pick seats on the
// registration page (or let the server pick), a seat someone else got first
// sends the buyer back to a fresh map, and seated types are not sold by
// quantity.
func TestSeatPages(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/ticket-types", url.Values{"name": {"Reserved"}, "price": {"50,000"},
		"currency": {"KRW"}, "quota": {"50"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add ticket type: %d\n%s", p.status, p.body)
	}
	reserved := regexp.MustCompile(`<option value="(tty_[A-Za-z0-9]+)">Reserved`).FindStringSubmatch(org.get("/app/events/" + id).body)
	if reserved == nil {
		t.Fatal("the seat form offers no Reserved type")
	}
	for _, bad := range []url.Values{
		{"section": {"Floor"}, "rows": {"J-A"}, "from": {"1"}, "to": {"4"}},
		{"section": {"Floor"}, "rows": {"A, A"}, "from": {"1"}, "to": {"4"}},
		{"section": {"Floor"}, "rows": {"A-B"}, "from": {"5"}, "to": {"4"}},
		{"section": {""}, "rows": {"A-B"}, "from": {"1"}, "to": {"4"}},
	} {
		bad.Set("ticket_type_id", reserved[1])
		if p := org.submit("/app/events/"+id, "/app/events/"+id+"/seats", bad); p.status != http.StatusUnprocessableEntity {
			t.Errorf("seats %v: %d", bad, p.status)
		}
	}
	p := org.submit("/app/events/"+id, "/app/events/"+id+"/seats", url.Values{"section": {"Floor"}, "rows": {"A-B"}, "from": {"1"}, "to": {"4"}, "ticket_type_id": {reserved[1]}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("add seats: %d\n%s", p.status, p.body)
	}
	if p := org.get(p.location()); !strings.Contains(p.text(), "Seats added.") || !strings.Contains(p.body, `<td><strong>Floor</strong></td><td class="num">2</td><td class="num">8</td>`) {
		t.Fatalf("event page after adding seats:\n%s", p.body)
	}

	buyer := newBrowser(t, srv)
	buyer.lang = "en"
	if p := buyer.get("/e/" + id); !strings.Contains(p.body, `Floor <span class="muted">8 seats left</span>`) {
		t.Errorf("the event page does not show the seats left:\n%s", p.text())
	}
	reg := buyer.get("/e/" + id + "/register")
	seats := seatRE.FindAllStringSubmatch(reg.body, -1)
	if len(seats) != 8 || strings.Contains(reg.body, `name="qty_`+reserved[1]+`"`) || !strings.Contains(reg.body, `name="qty_`) {
		t.Fatalf("register page: %d seats, or the seated type sold by quantity:\n%s", len(seats), reg.body)
	}
	a1, a2 := seats[0][1], seats[1][1]
	form := func(extra url.Values) url.Values {
		v := url.Values{"name": {"Seat Buyer"}, "email": {"seat@example.com"}}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", form(url.Values{"seat": {a1, a2}}))
	if orderLinkRE.FindStringSubmatch(p.location()) == nil {
		t.Fatalf("register with seats: %d to %q\n%s", p.status, p.location(), p.body)
	}
	if o := buyer.get(p.location()); !strings.Contains(o.text(), "Reserved × 2") || !strings.Contains(o.body, `<dd id="order-seats">Floor A-1, Floor A-2</dd>`) {
		t.Fatalf("order page:\n%s", o.text())
	}
	oid := orderLinkRE.FindStringSubmatch(p.location())[1]
	if o := org.get("/app/orders/" + oid); !strings.Contains(o.body, "Floor A-1, Floor A-2") {
		t.Fatalf("the staff order page does not name the seats:\n%s", o.text())
	}
	// The organizer's seat map draws every seat and links the held ones to
	// their order; the buyers' map never names an order.
	ev := org.get("/app/events/" + id)
	if n := strings.Count(ev.body, `<a class="seat-cell held" href="/app/orders/`+oid+`"`); n != 2 {
		t.Fatalf("the organizer's map links %d seats to the order, want 2:\n%s", n, ev.body)
	}
	if n := strings.Count(ev.body, `<span class="seat-cell available"`); n != 6 {
		t.Fatalf("the organizer's map shows %d free seats, want 6", n)
	}
	if strings.Contains(buyer.get("/e/"+id+"/register").body, oid) || strings.Contains(buyer.get("/v1/public/events/"+id+"/seats").body, oid) {
		t.Fatal("a buyer's seat map names an order")
	}

	// A second buyer whose page still shows A2 free.
	late := newBrowser(t, srv)
	late.lang = "en"
	p = late.submit("/e/"+id+"/register", "/e/"+id+"/register", form(url.Values{"seat": {a2, seats[2][1]}}))
	if p.status != http.StatusConflict || !strings.Contains(p.text(), "Someone else got one of those seats first") {
		t.Fatalf("a taken seat: %d\n%s", p.status, p.text())
	}
	for _, m := range seatRE.FindAllStringSubmatch(p.body, -1) {
		if (m[1] == a1 || m[1] == a2) && m[5] == "" {
			t.Fatalf("the map shown again offers %s row %s seat %s", m[1], m[2], m[3])
		}
	}
	p = late.submit("/e/"+id+"/register", "/e/"+id+"/register", form(url.Values{"seat": {seats[2][1]}, "best_count": {"2"}}))
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("seats and best-available together: %d", p.status)
	}
	p = late.submit("/e/"+id+"/register", "/e/"+id+"/register", form(url.Values{"best_count": {"2"}}))
	if orderLinkRE.FindStringSubmatch(p.location()) == nil {
		t.Fatalf("best available: %d to %q\n%s", p.status, p.location(), p.text())
	}
	if got := seatRE.FindAllStringSubmatch(buyer.get("/e/"+id+"/register").body, -1); strings.Count(strings.Join(flat(got), " "), " disabled") != 4 {
		t.Errorf("after two orders of two seats the map shows %v", got)
	}

	// Row B (free) is sold as another type from now on; the section as a
	// whole is not, while row A's seats are held.
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/ticket-types", url.Values{"name": {"Balcony"}, "price": {"30,000"},
		"currency": {"KRW"}, "quota": {"50"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add the Balcony type: %d", p.status)
	}
	balcony := regexp.MustCompile(`<option value="(tty_[A-Za-z0-9]+)">Balcony`).FindStringSubmatch(org.get("/app/events/" + id).body)
	if balcony == nil {
		t.Fatal("the retype form offers no Balcony type")
	}
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/seats/retype", url.Values{"section": {"Floor"}, "ticket_type_id": {balcony[1]}}); p.status != http.StatusConflict {
		t.Fatalf("retype a section with held seats: %d", p.status)
	}
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/seats/retype", url.Values{"section": {"Floor"}, "row": {"B"}, "ticket_type_id": {"tty_nope"}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("retype to a stranger type: %d", p.status)
	}
	p = org.submit("/app/events/"+id, "/app/events/"+id+"/seats/retype", url.Values{"section": {"Floor"}, "row": {"B"}, "ticket_type_id": {balcony[1]}})
	if p.status != http.StatusSeeOther || !strings.Contains(org.get(p.location()).text(), "The seats' ticket type was changed.") {
		t.Fatalf("retype row B: %d", p.status)
	}
	var public struct {
		Data []struct {
			Row          string `json:"row"`
			TicketTypeID string `json:"ticket_type_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(buyer.get("/v1/public/events/"+id+"/seats").body), &public); err != nil {
		t.Fatal(err)
	}
	for _, st := range public.Data {
		want := reserved[1]
		if st.Row == "B" {
			want = balcony[1]
		}
		if st.TicketTypeID != want {
			t.Fatalf("row %s seat sold as %s, want %s", st.Row, st.TicketTypeID, want)
		}
	}

	// A section with orders stays; a new one without can be removed.
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/seats/remove", url.Values{"section": {"Floor"}}); p.status != http.StatusConflict {
		t.Errorf("remove a section with orders: %d", p.status)
	}
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/seats", url.Values{"section": {"Box"}, "rows": {"1"}, "from": {"1"}, "to": {"2"}, "ticket_type_id": {reserved[1]}}); p.status != http.StatusSeeOther {
		t.Fatalf("add box seats: %d", p.status)
	}
	p = org.submit("/app/events/"+id, "/app/events/"+id+"/seats/remove", url.Values{"section": {"Box"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("remove the box: %d\n%s", p.status, p.text())
	}
	if p := org.get(p.location()); !strings.Contains(p.text(), "Seats removed.") || strings.Contains(p.body, "<strong>Box</strong>") || !strings.Contains(p.body, "<strong>Floor</strong>") {
		t.Fatalf("event page after removing the box:\n%s", p.text())
	}
}

func flat(ms [][]string) []string {
	var out []string
	for _, m := range ms {
		out = append(out, strings.Join(m[1:], ""))
	}
	return out
}

// TestBrowserSeatPicker picks two seats on a phone in Chromium: the seat map
// scrolls inside its section instead of widening the page, a tapped seat is
// picked, and the hold goes through.
func TestBrowserSeatPicker(t *testing.T) {
	t.Parallel()
	srv := server(t)
	tab := headless(t)
	console := watchConsole(tab)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	general := regexp.MustCompile(`<option value="(tty_[A-Za-z0-9]+)">General`).FindStringSubmatch(org.get("/app/events/" + id).body)
	if general == nil {
		t.Fatal("no ticket type to seat")
	}
	if p := org.submit("/app/events/"+id, "/app/events/"+id+"/seats", url.Values{"section": {"Floor"}, "rows": {"A-C"}, "from": {"1"}, "to": {"30"},
		"ticket_type_id": {general[1]}}); p.status != http.StatusSeeOther {
		t.Fatalf("add seats: %d\n%s", p.status, p.body)
	}
	step(t, tab, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	step(t, tab, "open the registration page",
		chromedp.Navigate(srv.URL+"/e/"+id+"/register"),
		chromedp.WaitVisible(chromedp.ID("seatmap")),
		chromedp.Click(chromedp.CSS(`label.seat[title^="Floor B-5 "] span`)),
		chromedp.Click(chromedp.CSS(`label.seat[title^="Floor B-6 "] span`)),
		chromedp.SendKeys(chromedp.ID("name"), "Phone Buyer"),
		chromedp.SendKeys(chromedp.ID("email"), "phone@example.com"),
	)
	if !read(t, tab, "page fits the phone", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the registration page is wider than the phone's screen")
	}
	// The seat rows scroll inside the card; nothing of the form sticks out.
	if !read(t, tab, "seat map inside its card", chromedp.Evaluate[bool](`(() => {
		const card = document.querySelector("section.card").getBoundingClientRect();
		return [...document.querySelectorAll("#seatmap, #seatmap .hint, #best-count")].every(e => e.getBoundingClientRect().right <= card.right);
	})()`)) {
		t.Error("the seat map is wider than its card")
	}
	if n := read(t, tab, "picked seats", chromedp.Evaluate[int](`document.querySelectorAll('input[name=seat]:checked').length`)); n != 2 {
		t.Fatalf("%d seats picked, want 2", n)
	}
	// Another buyer takes C-1 meanwhile: the open page greys it out by
	// itself within a few seconds.
	other := newBrowser(t, srv)
	other.lang = "en"
	var c1 string
	for _, m := range seatRE.FindAllStringSubmatch(other.get("/e/"+id+"/register").body, -1) {
		if m[2] == "C" && m[3] == "1" {
			c1 = m[1]
		}
	}
	if p := other.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"Other"}, "email": {"other@example.com"}, "seat": {c1}}); p.status != http.StatusSeeOther {
		t.Fatalf("the other buyer's hold: %d %s", p.status, p.text())
	}
	read(t, tab, "the taken seat greys out", chromedp.Poll[bool](`document.querySelector('input[value="`+c1+`"]').disabled`))
	screenshot(t, tab, "seat-picker-phone")
	step(t, tab, "hold", follow(chromedp.ID("hold")), chromedp.WaitVisible(chromedp.ID("order-status")))
	if got := read(t, tab, "items", chromedp.Text(chromedp.CSS("dl.facts"))); !strings.Contains(got, "General × 2") {
		t.Fatalf("the order shows %q", got)
	}

	// The organizer, on the phone too, sees the three held seats drawn on
	// the map, each opening its order, and the page still fits the screen.
	step(t, tab, "organizer signs in",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "org@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), strongPassword),
		follow(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.Navigate(srv.URL+"/app/events/"+id),
		chromedp.WaitVisible(chromedp.ID("seats")),
		chromedp.Click(chromedp.CSS(`#seats details.seat-section > summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#seats a.seat-cell.held`)),
	)
	if n := read(t, tab, "held seats drawn", chromedp.Evaluate[int](`document.querySelectorAll('#seats a.seat-cell.held[href^="/app/orders/ord_"]').length`)); n != 3 {
		t.Errorf("%d held seats link to their orders, want 3", n)
	}
	if !read(t, tab, "organizer page fits the phone", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the organizer's event page is wider than the phone's screen")
	}
	screenshot(t, tab, "organizer-seat-map-phone")
	console.check(t)
}
