package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// addSession adds a session to the organizer's event through its page.
func addSession(t *testing.T, org *browser, eventID, name, starts, ends, capacity string) {
	t.Helper()
	p := org.submit("/app/events/"+eventID, "/app/events/"+eventID+"/sessions", url.Values{"name": {name}, "track": {"Main"},
		"starts_at": {starts}, "ends_at": {ends}, "capacity": {capacity}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("add session %s: %d\n%s", name, p.status, p.body)
	}
}

// sessionItem is the public event page's entry of the session named name.
func sessionItem(t *testing.T, body, name string) string {
	t.Helper()
	li := regexp.MustCompile(`(?s)<li[^>]*><strong>` + regexp.QuoteMeta(name) + `</strong>.*?</li>`).FindString(body)
	if li == "" {
		t.Fatalf("no session %q on the event page:\n%s", name, body)
	}
	return li
}

// TestPublicEventShowsSessionPlaces: the public event page says how many
// places each session has left, and "매진" / "Sold out" for a full one (a
// live hold takes its place), in Korean and in English. The page used to
// list the sessions with their times only.
func TestPublicEventShowsSessionPlaces(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	id := organizerEvent(t, org)
	addSession(t, org, id, "Keynote", "2031-05-01T09:30", "2031-05-01T10:30", "120")
	addSession(t, org, id, "Workshop", "2031-05-01T11:00", "2031-05-01T12:00", "1")

	buyer := newBrowser(t, srv)
	p := buyer.get("/e/" + id + "/register")
	tt := regexp.MustCompile(`name="qty_(tty_[A-Za-z0-9]+)"`).FindStringSubmatch(p.body)[1]
	sessions := regexp.MustCompile(`name="session" value="(evs_[A-Za-z0-9]+)"`).FindAllStringSubmatch(p.body, -1)
	if len(sessions) != 2 {
		t.Fatalf("sessions on the register page: %d", len(sessions))
	}
	// Both sessions, one place each: the workshop is full, the keynote has 119 left.
	p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"구매자"}, "email": {"buyer@example.com"},
		"qty_" + tt: {"1"}, "session": {sessions[0][1], sessions[1][1]}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("register: %d\n%s", p.status, p.body)
	}

	for _, tc := range []struct{ lang, left, full string }{
		{"ko", "119자리 남음", "매진"},
		{"en", "119 places left", "Sold out"},
	} {
		visitor := newBrowser(t, srv)
		visitor.lang = tc.lang
		p := visitor.get("/e/" + id)
		if p.status != http.StatusOK {
			t.Fatalf("%s event page: %d", tc.lang, p.status)
		}
		keynote, workshop := sessionItem(t, p.body, "Keynote"), sessionItem(t, p.body, "Workshop")
		if !strings.Contains(keynote, tc.left) || strings.Contains(keynote, tc.full) {
			t.Errorf("%s: the keynote does not say %q:\n%s", tc.lang, tc.left, keynote)
		}
		if !strings.Contains(workshop, tc.full) || !strings.Contains(workshop, `class="small soldout"`) {
			t.Errorf("%s: the full workshop does not say %q:\n%s", tc.lang, tc.full, workshop)
		}
	}
}

// TestMyTicketsShowsSessionsAndRevokedTickets: "my tickets" lists the
// sessions the buyer chose with their times in the event's time zone; once
// staff cancel the paid order, it shows each ticket as revoked, without
// its QR, PDF or calendar links. The page used to show no sessions, and a
// cancelled order's tickets not at all.
func TestMyTicketsShowsSessionsAndRevokedTickets(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	// 09:30 in Seoul is 00:30 UTC: the page must show the event's time.
	addSession(t, org, id, "Keynote: Go at scale", "2031-05-01T09:30", "2031-05-01T10:30", "100")
	addSession(t, org, id, "Not chosen", "2031-05-01T13:00", "2031-05-01T14:00", "100")

	buyer := newBrowser(t, srv)
	buyer.lang = "en"
	p := buyer.get("/e/" + id + "/register")
	tt := regexp.MustCompile(`name="qty_(tty_[A-Za-z0-9]+)"`).FindStringSubmatch(p.body)[1]
	ses := regexp.MustCompile(`name="session" value="(evs_[A-Za-z0-9]+)"`).FindStringSubmatch(p.body)[1]
	p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"구매자"}, "email": {"buyer@example.com"},
		"qty_" + tt: {"2"}, "session": {ses}})
	m := orderLinkRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("register: %d to %q\n%s", p.status, p.location(), p.body)
	}
	link, orderID := p.location(), m[1]
	sessionsRE := regexp.MustCompile(`(?s)<dd id="order-sessions">.*?</dd>`)
	p = buyer.get(link)
	got := sessionsRE.FindString(p.body)
	if !strings.Contains(got, "Keynote: Go at scale") || !strings.Contains(got, "2031-05-01 09:30 – 10:30") || strings.Contains(got, "Not chosen") {
		t.Fatalf("held order's sessions: %q\n%s", got, p.body)
	}

	page := "/app/orders/" + orderID
	if p := org.submit(page, page+"/mark-paid", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("mark paid: %d\n%s", p.status, p.body)
	}
	p = buyer.get(link)
	if strings.Count(p.body, `class="qr" src="/v1/public/tickets/tkt_`) != 2 || !strings.Contains(sessionsRE.FindString(p.body), "Keynote: Go at scale") {
		t.Fatalf("paid order: %d\n%s", p.status, p.body)
	}
	if p := org.submit(page, page+"/cancel", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d\n%s", p.status, p.body)
	}
	for _, lang := range []string{"en", "ko"} {
		buyer.lang = lang
		p = buyer.get(link)
		want := map[string]string{"en": "This ticket was cancelled", "ko": "취소된 티켓입니다"}[lang]
		revoked := regexp.MustCompile(`(?s)<article class="card ticket revoked" id="ticket-tkt_[A-Za-z0-9]+">.*?</article>`).FindAllString(p.body, -1)
		if p.status != http.StatusOK || len(revoked) != 2 {
			t.Fatalf("%s cancelled order: %d, %d revoked tickets\n%s", lang, p.status, len(revoked), p.body)
		}
		for _, a := range revoked {
			if !strings.Contains(a, want) {
				t.Errorf("%s: a revoked ticket does not say %q:\n%s", lang, want, a)
			}
		}
		for _, gone := range []string{"/qr.png", "ticket.pdf", "ticket.ics"} {
			if strings.Contains(p.body, gone) {
				t.Errorf("%s: the cancelled order's page still links %s", lang, gone)
			}
		}
	}
}
