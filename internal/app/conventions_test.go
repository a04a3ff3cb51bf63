package app_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

func TestBadInputIsAProblem(t *testing.T) {
	b := setup(t, db.SQLite)
	ten := b.signup("Inputs", "inputs@example.com")
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"malformed json", `{"name": "x",`, 400, "invalid_request"},
		{"not json at all", `hello`, 400, "invalid_request"},
		{"array instead of object", `[1,2,3]`, 422, "validation_failed"},
		{"wrong type", map[string]any{"name": 5, "starts_at": "2027-03-01T10:00:00Z", "ends_at": "2027-03-02T10:00:00Z", "timezone": "UTC", "capacity": "many"}, 422, "validation_failed"},
		{"missing fields", map[string]any{}, 422, "validation_failed"},
		{"invalid time zone", func() map[string]any { e := validEvent("x"); e["timezone"] = "Mars/Olympus"; return e }(), 422, "validation_failed"},
		{"Local is not a zone", func() map[string]any { e := validEvent("x"); e["timezone"] = "Local"; return e }(), 422, "validation_failed"},
		{"negative capacity", func() map[string]any { e := validEvent("x"); e["capacity"] = -5; return e }(), 422, "validation_failed"},
		{"zero capacity", func() map[string]any { e := validEvent("x"); e["capacity"] = 0; return e }(), 422, "validation_failed"},
		{"huge capacity", func() map[string]any { e := validEvent("x"); e["capacity"] = 1e20; return e }(), 422, "validation_failed"},
		{"ends before starts", func() map[string]any { e := validEvent("x"); e["ends_at"] = "2027-02-01T10:00:00Z"; return e }(), 422, "validation_failed"},
		{"bad time", func() map[string]any { e := validEvent("x"); e["starts_at"] = "tomorrow"; return e }(), 422, "validation_failed"},
		{"oversize body", big, 413, "request_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.do("POST", "/v1/events", ten.Access, tt.body)
			b.want(r, tt.status, tt.code)
		})
	}
	// Per-field messages.
	e := validEvent("x")
	e["capacity"] = -1
	e["timezone"] = "Nowhere"
	r := b.do("POST", "/v1/events", ten.Access, e)
	b.want(r, 422, "validation_failed")
	if !strings.Contains(string(r.Raw), "capacity") {
		t.Fatalf("no per-field error for capacity: %s", r.Raw)
	}
	// Nothing was created by any of it.
	list := b.do("GET", "/v1/events", ten.Access, nil)
	if n := len(list.Body["data"].([]any)); n != 0 {
		t.Fatalf("bad input created %d events", n)
	}
	b.want(b.do("GET", "/v1/nothing-here", ten.Access, nil), 404, "not_found")
	r = b.do("PUT", "/v1/events", ten.Access, validEvent("x"))
	b.want(r, 405, "method_not_allowed")
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Fatalf("Allow = %q", allow)
	}
	b.want(b.do("GET", "/v1/events?limit=0", ten.Access, nil), 422, "validation_failed")
	b.want(b.do("GET", "/v1/events?limit=abc", ten.Access, nil), 422, "validation_failed")
}

func TestIdempotencyKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Idem", "idem@example.com")
		first := b.do("POST", "/v1/events", ten.Access, validEvent("Once"), "Idempotency-Key", "k-1")
		b.want(first, 201, "")
		again := b.do("POST", "/v1/events", ten.Access, validEvent("Once"), "Idempotency-Key", "k-1")
		b.want(again, 201, "")
		if again.str("id") != first.str("id") || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay = %s (replayed %q), first = %s", again.Raw, again.Header.Get("Idempotent-Replayed"), first.Raw)
		}
		b.want(b.do("POST", "/v1/events", ten.Access, validEvent("Other body"), "Idempotency-Key", "k-1"), 422, "idempotency_key_reused")
		// The same key in another tenant is another key.
		other := b.signup("Idem 2", "idem2@example.com")
		o := b.do("POST", "/v1/events", other.Access, validEvent("Once"), "Idempotency-Key", "k-1")
		b.want(o, 201, "")
		if o.str("id") == first.str("id") {
			t.Fatal("another tenant got the first tenant's answer")
		}
		// Concurrent retries: one effect.
		var wg sync.WaitGroup
		ids := make([]string, 10)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := b.do("POST", "/v1/events", ten.Access, validEvent("Burst"), "Idempotency-Key", "k-burst")
				if r.Status == 201 {
					ids[i] = r.str("id")
				} else if r.Status != 409 || r.str("code") != "idempotency_key_in_use" {
					t.Errorf("concurrent retry: %d %s", r.Status, r.Raw)
				}
			}()
		}
		wg.Wait()
		distinct := map[string]bool{}
		for _, id := range ids {
			if id != "" {
				distinct[id] = true
			}
		}
		if len(distinct) != 1 {
			t.Fatalf("concurrent retries created %d events, want 1", len(distinct))
		}
		list := b.do("GET", "/v1/events?limit=100", ten.Access, nil)
		if n := len(list.Body["data"].([]any)); n != 2 {
			t.Fatalf("tenant has %d events, want 2", n)
		}
		// A request refused for its form is not kept: the same key runs
		// again once the client has fixed it.
		unfit := validEvent("Fixed")
		unfit["capacity"] = -1
		for range 2 {
			r := b.do("POST", "/v1/events", ten.Access, unfit, "Idempotency-Key", "k-fix")
			b.want(r, 422, "validation_failed")
			if r.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("a refusal was replayed: %s", r.Raw)
			}
		}
		b.want(b.do("POST", "/v1/events", ten.Access, validEvent("Fixed"), "Idempotency-Key", "k-fix"), 201, "")
		// A refusal for the state of things is kept and replayed.
		tt := map[string]any{"name": "R", "price": 1000, "currency": "KRW", "quota": 10}
		b.want(b.do("POST", "/v1/events/evt_missing/ticket-types", ten.Access, tt, "Idempotency-Key", "k-state"), 404, "not_found")
		if r := b.do("POST", "/v1/events/evt_missing/ticket-types", ten.Access, tt, "Idempotency-Key", "k-state"); r.Status != 404 || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("a refusal for the state of things: %d %s (replayed %q)", r.Status, r.Raw, r.Header.Get("Idempotent-Replayed"))
		}
	})
}

func TestPlatformEndpoints(t *testing.T) {
	b := setup(t, db.SQLite)
	b.want(b.do("GET", "/healthz", "", nil), 200, "")
	b.want(b.do("GET", "/readyz", "", nil), 200, "")
	m := b.do("GET", "/metrics", "", nil)
	b.want(m, 200, "")
	for _, want := range []string{"usher_http_requests_total", "go_goroutines", "go_sql_open_connections"} {
		if !strings.Contains(string(m.Raw), want) {
			t.Errorf("metrics miss %s", want)
		}
	}
	doc := b.do("GET", "/openapi.json", "", nil)
	b.want(doc, 200, "")
	var spec struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(doc.Raw, &spec); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.1") {
		t.Fatalf("openapi version %q", spec.OpenAPI)
	}
	for _, p := range []string{"/v1/signup", "/v1/auth/login", "/v1/auth/refresh", "/v1/api-keys", "/v1/api-keys/{id}", "/v1/audit-log", "/v1/events", "/v1/events/{event_id}"} {
		if spec.Paths[p] == nil {
			t.Errorf("OpenAPI misses %s", p)
		}
	}
	docs := b.do("GET", "/docs", "", nil)
	b.want(docs, 200, "")
	if !strings.Contains(string(docs.Raw), "openapi.json") {
		t.Fatalf("/docs does not load the document: %.300s", docs.Raw)
	}
	if id := b.do("GET", "/healthz", "", nil).Header.Get("X-Request-Id"); id == "" {
		t.Fatal("no X-Request-Id")
	}
}
