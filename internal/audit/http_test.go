package audit_test

import (
	"context"
	"encoding/json"
	"github.com/danielgtaylor/huma/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/audit"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
)

// tokens maps the bearer tokens of the HTTP tests to their principals.
type tokens map[string]api.Principal

func (ts tokens) Authenticate(_ context.Context, cred string) (api.Principal, error) {
	p, ok := ts[cred]
	if !ok {
		return api.Principal{}, fault.New(fault.Unauthorized, "unknown token")
	}
	return p, nil
}

var testTokens = tokens{
	"admin-a": {TenantID: "ten_a", ActorID: "usr_admin", Kind: "user", Role: api.RoleAdmin},
	"staff-a": {TenantID: "ten_a", ActorID: "usr_staff", Kind: "user", Role: api.RoleStaff},
	"admin-b": {TenantID: "ten_b", ActorID: "usr_b", Kind: "user", Role: api.RoleAdmin},
}

type httpBundle struct {
	svc    *audit.Service
	server *api.Server
}

// serve sends a request through every layer of the server and returns the
// recorder.
func (b httpBundle) serve(method, target, token string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = "192.0.2.7:5555"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	b.server.ServeHTTP(w, r)
	return w
}

// TestHTTP drives GET /v1/audit-log and RecordLogin through the real HTTP
// layers.
func TestHTTP(t *testing.T) {
	t.Parallel()
	// api.New installs huma's error hook, a package variable, so the servers
	// are built one after the other before any request runs.
	bundles := map[db.Dialect]httpBundle{}
	for _, d := range dbtest.Dialects() {
		svc := audit.NewService(dbtest.Open(t, d), nil, func() time.Time { return base })
		t.Cleanup(func() { svc.Close(context.Background()) })
		server := api.New(api.Config{}, api.Deps{Auth: testTokens, Auditor: svc})
		api.Register(server.API(), api.Admin, huma.Operation{OperationID: "list-audit-log", Method: http.MethodGet, Path: "/v1/audit-log"}, svc.ListHandler)
		// A stand-in for the login handler of the tenant domain.
		server.Mux().HandleFunc("POST /test/login", func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			svc.RecordLogin(r.Context(), q.Get("tenant"), q.Get("user"), q.Get("ok") == "true")
			w.WriteHeader(http.StatusNoContent)
		})
		bundles[d] = httpBundle{svc: svc, server: server}
	}
	for d, b := range bundles {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			testHTTP(t, b)
		})
	}
}

func testHTTP(t *testing.T, b httpBundle) {
	logins := []struct{ tenant, user, ok string }{
		{"ten_a", "usr_1", "true"},
		{"ten_a", "usr_1", "false"},
		{"", "", "false"},
	}
	for i, l := range logins {
		q := url.Values{"tenant": {l.tenant}, "user": {l.user}, "ok": {l.ok}}
		w := b.serve("POST", "/test/login?"+q.Encode(), "", map[string]string{"X-Request-Id": "req_login_" + strconv.Itoa(i)})
		if w.Code != http.StatusNoContent {
			t.Fatalf("login %d: status %d", i, w.Code)
		}
	}
	// A mutating call by a signed-in user, recorded by the HTTP layer. The
	// route does not exist, so its action is the mux's fallback pattern.
	if w := b.serve("POST", "/v1/nothing-here/evt_1", "admin-a", nil); w.Code != http.StatusNotFound {
		t.Fatalf("POST to a missing route: status %d", w.Code)
	}
	flush(t, b.svc)

	tests := []struct {
		name    string
		query   string
		token   string
		status  int
		code    string
		actions []string
	}{
		{"admin sees the tenant's entries", "", "admin-a", 200, "", []string{"POST /", "auth.login_failed", "auth.login"}},
		{"filter by action", "?action=auth.login_failed", "admin-a", 200, "", []string{"auth.login_failed"}},
		{"filter by actor", "?actor=usr_1&limit=1", "admin-a", 200, "", []string{"auth.login_failed"}},
		{"since and until", "?since=2026-05-01T09:00:00Z&until=2026-05-01T18:00:01%2B09:00", "admin-a", 200, "", []string{"auth.login_failed", "auth.login"}},
		{"other tenant", "", "admin-b", 200, "", []string{}},
		{"staff may not", "", "staff-a", 403, "forbidden", nil},
		{"no credentials", "", "", 401, "unauthorized", nil},
		{"bad since", "?since=yesterday", "admin-a", 422, "validation_failed", nil},
		{"until before since", "?since=2026-05-02T00:00:00Z&until=2026-05-01T00:00:00Z", "admin-a", 422, "validation_failed", nil},
		{"bad cursor", "?cursor=%21%21", "admin-a", 422, "validation_failed", nil},
		{"limit too large", "?limit=1000", "admin-a", 422, "validation_failed", nil},
	}
	for _, tt := range tests {
		w := b.serve("GET", "/v1/audit-log"+tt.query, tt.token, nil)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, w.Code, tt.status, w.Body)
			continue
		}
		if tt.code != "" {
			var p struct{ Code string }
			json.Unmarshal(w.Body.Bytes(), &p)
			if p.Code != tt.code {
				t.Errorf("%s: code %q, want %q: %s", tt.name, p.Code, tt.code, w.Body)
			}
			continue
		}
		var body struct {
			Data       []map[string]any `json:"data"`
			NextCursor string           `json:"next_cursor"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v: %s", tt.name, err, w.Body)
		}
		var actions []string
		for _, e := range body.Data {
			a, _ := e["action"].(string)
			actions = append(actions, a)
		}
		if actions == nil {
			actions = []string{}
		}
		if !slices.Equal(actions, tt.actions) {
			t.Errorf("%s: actions %v, want %v", tt.name, actions, tt.actions)
		}
	}

	// The JSON shape of an entry, and what RecordLogin takes from the request.
	w := b.serve("GET", "/v1/audit-log?action=auth.login", "admin-a", nil)
	var body struct {
		Data []map[string]any `json:"data"`
	}
	json.Unmarshal(w.Body.Bytes(), &body)
	if len(body.Data) != 1 {
		t.Fatalf("successful logins: %s", w.Body)
	}
	want := map[string]any{
		"at": "2026-05-01T09:00:00Z", "actor": "usr_1", "actor_kind": "user", "action": "auth.login",
		"target": "", "status": float64(200), "request_id": "req_login_0", "ip": "192.0.2.7",
	}
	got := body.Data[0]
	for k, v := range want {
		if got[k] != v {
			t.Errorf("entry[%q] = %v, want %v", k, got[k], v)
		}
	}
	if id, _ := got["id"].(string); len(id) < 5 || id[:4] != "aud_" {
		t.Errorf("entry id = %v", got["id"])
	}
	if len(got) != len(want)+1 {
		t.Errorf("entry has fields %v, want exactly id and %v", got, want)
	}
}
