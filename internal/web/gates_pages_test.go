package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// apiCall sends a JSON request to the API with a bearer token and decodes
// the answer, failing the test on another status than want.
func apiCall(t *testing.T, srv *httptest.Server, method, path, token string, body any, want int) map[string]any {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %v", method, path, resp.StatusCode, want, out)
	}
	return out
}

// gateFixture is an event happening now with a "VIP" ticket type, two paid
// tickets, a gate and a gate key, made through the API for the browser's
// organization.
type gateFixture struct {
	event, ticketType, gate, key string
	codes                        []string
}

func newGateFixture(t *testing.T, srv *httptest.Server, email string) gateFixture {
	t.Helper()
	tok := apiCall(t, srv, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": strongPassword}, 200)["access_token"].(string)
	now := time.Now().UTC()
	var f gateFixture
	f.event = apiCall(t, srv, "POST", "/v1/events", tok, map[string]any{"name": "Gate Night", "starts_at": now.Add(-time.Hour),
		"ends_at": now.Add(6 * time.Hour), "timezone": "Asia/Seoul", "venue": "Hall", "capacity": 100}, 201)["id"].(string)
	f.ticketType = apiCall(t, srv, "POST", "/v1/events/"+f.event+"/ticket-types", tok, map[string]any{"name": "VIP", "price": 0,
		"currency": "KRW", "quota": 10, "max_per_order": 10}, 201)["id"].(string)
	apiCall(t, srv, "POST", "/v1/events/"+f.event+"/publish", tok, nil, 200)
	ord := apiCall(t, srv, "POST", "/v1/events/"+f.event+"/orders", tok, map[string]any{
		"buyer": map[string]any{"name": "Lee Sora", "email": "sora@example.com"},
		"items": []any{map[string]any{"ticket_type_id": f.ticketType, "quantity": 2}}}, 201)
	paid := apiCall(t, srv, "POST", "/v1/orders/"+ord["id"].(string)+"/pay", tok, map[string]any{"method": "manual"}, 200)
	for _, tk := range paid["tickets"].([]any) {
		f.codes = append(f.codes, tk.(map[string]any)["code"].(string))
	}
	f.gate = apiCall(t, srv, "POST", "/v1/events/"+f.event+"/gates", tok, map[string]any{"name": "North", "kind": "main"}, 201)["id"].(string)
	f.key = apiCall(t, srv, "POST", "/v1/api-keys", tok, map[string]any{"name": "gate", "role": "gate"}, 201)["key"].(string)
	return f
}

// TestGatePagesFormsAndRoles sets gates up through the pages: good forms
// redirect with a note, bad ones show the form again with a 4xx, a viewer
// may watch but not change anything, and nobody signed out sees anything.
func TestGatePagesFormsAndRoles(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.lang = "en"
	owner.signup("Gate Pages Org", "gates-owner@example.com")
	f := newGateFixture(t, srv, "gates-owner@example.com")
	base := "/app/events/" + f.event + "/gates"

	p := owner.get("/app/events/" + f.event)
	if p.status != http.StatusOK || !strings.Contains(p.body, `href="/app/events/`+f.event+`/gates/live"`) {
		t.Fatalf("event page has no link to the dashboard: %d", p.status)
	}
	if p = owner.get("/app/gates"); p.status != http.StatusOK || !strings.Contains(p.body, "Gate Night") {
		t.Fatalf("gates index: %d\n%s", p.status, p.body)
	}
	p = owner.get(base)
	if p.status != http.StatusOK || !strings.Contains(p.body, "North") || !strings.Contains(p.body, "Single entry") {
		t.Fatalf("gates page: %d\n%s", p.status, p.body)
	}

	// A VIP gate with hours, the in/out policy, a beacon, a pairing code.
	p = owner.submit(base, base, url.Values{"name": {"VIP door"}, "kind": {"vip"}, "ticket_type_ids": {f.ticketType},
		"opens_at": {"2031-05-01T09:00"}, "closes_at": {"2031-05-01T18:00"}})
	if p.status != http.StatusSeeOther || !strings.HasSuffix(p.location(), "?done=gate") {
		t.Fatalf("create gate: %d\n%s", p.status, p.body)
	}
	p = owner.submit(base, base+"/settings", url.Values{"reentry": {"inout"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("settings: %d\n%s", p.status, p.body)
	}
	p = owner.submit(base, base+"/beacons", url.Values{"name": {"B1"}, "location": {"North hall"}, "gate_id": {f.gate}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("beacon: %d\n%s", p.status, p.body)
	}
	p = owner.submit(base, base+"/pairing-codes", url.Values{"gate_id": {f.gate}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="pairing-value"`) {
		t.Fatalf("pairing code: %d\n%s", p.status, p.body)
	}
	p = owner.get(base)
	for _, want := range []string{"VIP door", "2031-05-01 09:00", "In and out", "B1", "North hall"} {
		if !strings.Contains(p.text(), want) {
			t.Errorf("gates page lacks %q", want)
		}
	}

	// Bad input: the form again with a message and a 4xx, never a 500.
	for _, tc := range []struct {
		action string
		form   url.Values
		status int
		msg    string
	}{
		{base, url.Values{"name": {"X"}, "kind": {"side"}}, 422, "Pick a gate kind"},
		{base, url.Values{"name": {""}, "kind": {"main"}}, 422, "Enter a gate name"},
		{base, url.Values{"name": {"X"}, "kind": {"main"}, "opens_at": {"tomorrow"}}, 422, "Check the opening time"},
		{base, url.Values{"name": {"X"}, "kind": {"main"}, "opens_at": {"2031-05-01T18:00"}, "closes_at": {"2031-05-01T09:00"}}, 422, "closing time must be after"},
		{base, url.Values{"name": {"X"}, "kind": {"main"}, "ticket_type_ids": {"ttp_other"}}, 422, "only ticket types of this event"},
		{base + "/settings", url.Values{"reentry": {"sometimes"}}, 422, "re-entry policy"},
		{base + "/beacons", url.Values{"name": {""}}, 422, "beacon name"},
		{base + "/beacons", url.Values{"name": {"B2"}, "gate_id": {"gat_nope"}}, 422, "gate of this event"},
		{base + "/pairing-codes", url.Values{"gate_id": {"gat_nope"}}, 422, "gate of this event"},
		{"/app/events/evt_nope/gates", url.Values{"name": {"X"}, "kind": {"main"}}, 404, ""},
	} {
		p := owner.submit(base, tc.action, tc.form)
		if p.status != tc.status || !strings.Contains(p.text(), tc.msg) {
			t.Errorf("POST %s %v: %d, want %d with %q\n%s", tc.action, tc.form, p.status, tc.status, tc.msg, p.body)
		}
	}
	for _, path := range []string{"/app/events/evt_nope/gates", "/app/events/evt_nope/gates/live", "/app/events/evt_nope/gates/live/stream"} {
		if p := owner.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, p.status)
		}
	}
	// A form without its token is refused.
	if p := owner.post(base, url.Values{"name": {"X"}, "kind": {"main"}}); p.status != http.StatusForbidden {
		t.Errorf("post without CSRF token: %d", p.status)
	}

	// A viewer watches but does not change anything.
	p = owner.submit("/app/settings/users", "/app/settings/users/invite", url.Values{"email": {"gates-viewer@example.com"}, "role": {"viewer"}})
	m := inviteRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no invitation link: %d", p.status)
	}
	viewer := newBrowser(t, srv)
	viewer.lang = "en"
	if p = viewer.submit(m[1], m[1], url.Values{"name": {"Vera"}, "password": {strongPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("accept invite: %d", p.status)
	}
	if p = viewer.get(base); p.status != http.StatusOK || strings.Contains(p.body, `id="add-gate"`) {
		t.Errorf("viewer's gates page: %d, form shown: %v", p.status, strings.Contains(p.body, `id="add-gate"`))
	}
	if p = viewer.get(base + "/live"); p.status != http.StatusOK {
		t.Errorf("viewer's dashboard: %d", p.status)
	}
	if p = viewer.submit(base, base, url.Values{"name": {"Sneaky"}, "kind": {"main"}}); p.status != http.StatusForbidden {
		t.Errorf("viewer creates a gate: %d", p.status)
	}
	if p = viewer.submit(base, base+"/pairing-codes", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("viewer makes a pairing code: %d", p.status)
	}

	// Signed out: to the login page, for the stream too.
	guest := newBrowser(t, srv)
	for _, path := range []string{base, base + "/live", base + "/live/stream"} {
		if p := guest.get(path); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
			t.Errorf("signed out GET %s: %d %q", path, p.status, p.location())
		}
	}
	// Another organization's event is not found.
	other := newBrowser(t, srv)
	other.signup("Other Gate Org", "gates-other@example.com")
	for _, path := range []string{base, base + "/live", base + "/live/stream"} {
		if p := other.get(path); p.status != http.StatusNotFound {
			t.Errorf("other tenant GET %s: %d", path, p.status)
		}
	}
}

// TestGatesLiveStream reads the dashboard's page-session stream: the board
// at once, then a new board after a scan, with the count gone up.
func TestGatesLiveStream(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.lang = "ko"
	owner.signup("Live Gate Org", "gates-live@example.com")
	f := newGateFixture(t, srv, "gates-live@example.com")

	p := owner.get("/app/events/" + f.event + "/gates/live")
	if p.status != http.StatusOK || !strings.Contains(p.body, `data-gates-live="/app/events/`+f.event+`/gates/live/stream"`) ||
		!strings.Contains(p.body, "현재 입장 인원") || !strings.Contains(p.body, `<dd id="stat-inside" data-stat="inside">0</dd>`) {
		t.Fatalf("dashboard: %d\n%s", p.status, p.body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/app/events/"+f.event+"/gates/live/stream", nil)
	resp, err := owner.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, ct)
	}
	boards := make(chan string)
	go func() {
		defer close(boards)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		var cur []string
		for sc.Scan() {
			line := sc.Text()
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				cur = append(cur, data)
			} else if line == "" && cur != nil {
				select {
				case boards <- strings.Join(cur, "\n"):
				case <-ctx.Done():
					return
				}
				cur = nil
			}
		}
	}()
	inside := func(n string) string { return `<dd id="stat-inside" data-stat="inside">` + n + `</dd>` }
	if first := <-boards; !strings.Contains(first, inside("0")) || !strings.Contains(first, "North") {
		t.Fatalf("first board:\n%s", first)
	}
	scan := apiCall(t, srv, "POST", "/v1/checkins", f.key, map[string]any{"code": f.codes[0], "gate_id": f.gate}, 200)
	if tk := scan["ticket"].(map[string]any); tk["ticket_type_name"] != "VIP" || tk["attendee_name"] != "Lee Sora" {
		t.Fatalf("scan = %v", scan)
	}
	// Heartbeat boards may come first; the scan's board follows.
	for b := range boards {
		if strings.Contains(b, inside("1")) {
			return
		}
	}
	t.Fatal("the stream ended without a board showing the scan")
}
