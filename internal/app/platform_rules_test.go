package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestAuditStatusWithIdempotencyKey checks that the audit log records the
// status a call was answered with also when it carried an Idempotency-Key
// (whose layer records the answer on the way out).
func TestAuditStatusWithIdempotencyKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Audited keys", "audit-keys@example.com")
		ok := b.do("POST", "/v1/events", ten.Access, validEvent("Keyed"), "Idempotency-Key", "audit-1")
		b.want(ok, 201, "")
		bad := validEvent("Keyed, bad")
		bad["capacity"] = -1
		b.want(b.do("POST", "/v1/events", ten.Access, bad, "Idempotency-Key", "audit-2"), 422, "validation_failed")
		b.app.FlushAudit(context.Background())

		log := b.do("GET", "/v1/audit-log?action=create-event", ten.Access, nil)
		b.want(log, 200, "")
		var statuses []float64
		for _, e := range log.Body["data"].([]any) {
			statuses = append(statuses, e.(map[string]any)["status"].(float64))
		}
		// Newest first: the refused call, then the created event.
		if len(statuses) != 2 || statuses[0] != 422 || statuses[1] != 201 {
			t.Fatalf("audited statuses = %v, want [422 201]: %s", statuses, log.Raw)
		}
	})
}

// TestValidationProblemsNameTheirFields checks the problems of the schema
// validation layer: a missing required property is named as the field,
// and like every other problem the answer carries the request id and is
// not cached.
func TestValidationProblemsNameTheirFields(t *testing.T) {
	b := setup(t, db.SQLite)
	ten := b.signup("Fields", "fields@example.com")
	r := b.do("POST", "/v1/events", ten.Access, map[string]any{"name": "No times"})
	b.want(r, 422, "validation_failed")
	var fields []string
	for _, e := range r.Body["errors"].([]any) {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	for _, want := range []string{"starts_at", "ends_at", "timezone", "capacity"} {
		if !strings.Contains(","+strings.Join(fields, ",")+",", ","+want+",") {
			t.Errorf("errors name fields %q, want %s among them: %s", fields, want, r.Raw)
		}
	}
	if r.str("request_id") == "" || r.str("request_id") != r.Header.Get("X-Request-Id") {
		t.Errorf("request_id = %q, X-Request-Id = %q", r.str("request_id"), r.Header.Get("X-Request-Id"))
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}

	// A nested object's missing property is named with its path.
	ev := b.do("POST", "/v1/events", ten.Access, validEvent("Nested"))
	b.want(ev, 201, "")
	o := b.do("POST", "/v1/events/"+ev.str("id")+"/orders", ten.Access, map[string]any{"buyer": map[string]any{"name": "Kim"}})
	if o.Status != 422 || !strings.Contains(string(o.Raw), `"field":"buyer.email"`) {
		t.Errorf("order without a buyer email: %d %s", o.Status, o.Raw)
	}
}

// TestUnauthorizedSaysHowToAuthenticate checks that a 401 carries the
// WWW-Authenticate challenge HTTP asks of it.
func TestUnauthorizedSaysHowToAuthenticate(t *testing.T) {
	b := setup(t, db.SQLite)
	for _, token := range []string{"", "not-a-token"} {
		r := b.do("GET", "/v1/events", token, nil)
		b.want(r, 401, "")
		if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("token %q: WWW-Authenticate = %q, want a Bearer challenge", token, got)
		}
	}
}

// TestMetricsIgnoreMadeUpMethods checks that a client cannot grow the
// metrics without bound by sending requests with methods of its own
// invention: each would otherwise be a new set of time series.
func TestMetricsIgnoreMadeUpMethods(t *testing.T) {
	b := setup(t, db.SQLite)
	for _, m := range []string{"BREW", "WHEN", "X-MADE-UP"} {
		req, err := http.NewRequest(m, b.srv.URL+"/v1/events", nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /v1/events: %d, want 405", m, res.StatusCode)
		}
	}
	res, err := b.srv.Client().Get(b.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	text, _ := io.ReadAll(res.Body)
	for _, m := range []string{"BREW", "WHEN", "X-MADE-UP"} {
		if strings.Contains(string(text), `method="`+m+`"`) {
			t.Errorf("the metrics have a series for the method %s", m)
		}
	}
	if !strings.Contains(string(text), `method="other"`) {
		t.Errorf("the made-up methods are not counted as other")
	}
}

// TestAccessTokensFollowTheUser checks that an access token carries its
// user's current standing rather than the one it was signed with: a role
// taken away, or the user removed, applies to tokens already handed out.
func TestAccessTokensFollowTheUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Standing", "standing@example.com")
		adminID, admin := b.member(ten.Access, "admin2@example.com", "admin")
		b.want(b.do("GET", "/v1/users", admin, nil), 200, "")

		b.want(b.do("PATCH", "/v1/users/"+adminID, ten.Access, map[string]any{"role": "viewer"}), 200, "")
		b.want(b.do("GET", "/v1/users", admin, nil), 403, "forbidden")
		b.want(b.do("POST", "/v1/events", admin, validEvent("Not any more")), 403, "forbidden")
		b.want(b.do("GET", "/v1/events", admin, nil), 200, "")
		if me := b.do("GET", "/v1/me", admin, nil); me.str("role") != "viewer" {
			t.Errorf("GET /v1/me role = %q, want viewer", me.str("role"))
		}

		b.want(b.do("DELETE", "/v1/users/"+adminID, ten.Access, nil), 204, "")
		b.want(b.do("GET", "/v1/events", admin, nil), 401, "unauthorized")
		// The owner's own token is untouched.
		b.want(b.do("GET", "/v1/users", ten.Access, nil), 200, "")
	})
}

// TestLogoutEndsTheLogin checks POST /v1/auth/logout: the refresh token
// given, and the others of its login, stop working, while another login of
// the same person goes on; signing out again, or with a token that is no
// token, is answered the same.
func TestLogoutEndsTheLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Leaving", "leaving@example.com")
		other := b.do("POST", "/v1/auth/login", "", map[string]any{"email": "leaving@example.com", "password": "correct horse battery"})
		b.want(other, 200, "")
		rotated := b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": ten.Refresh})
		b.want(rotated, 200, "")

		b.want(b.do("POST", "/v1/auth/logout", "", map[string]any{"refresh_token": rotated.str("refresh_token")}), 204, "")
		b.want(b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": rotated.str("refresh_token")}), 401, "invalid_token")
		b.want(b.do("POST", "/v1/auth/logout", "", map[string]any{"refresh_token": rotated.str("refresh_token")}), 204, "")
		b.want(b.do("POST", "/v1/auth/logout", "", map[string]any{"refresh_token": "urt_nothing"}), 204, "")
		b.want(b.do("POST", "/v1/auth/logout", "", map[string]any{"refresh_token": "not a token"}), 204, "")

		b.want(b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": other.str("refresh_token")}), 200, "")
		b.app.FlushAudit(context.Background())
		log := b.do("GET", "/v1/audit-log?action=logout", ten.Access, nil)
		b.want(log, 200, "")
		if n := len(log.Body["data"].([]any)); n != 1 {
			t.Errorf("audited logouts = %d, want 1: %s", n, log.Raw)
		}
	})
}

// TestIdempotentReplayIsTheCallersOwn checks that a stored answer is
// replayed only to whoever made the first request: another member of the
// organization sending the same key and body (here one whose role may not
// make API keys at all) must not receive the admin's new API key.
func TestIdempotentReplayIsTheCallersOwn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Replays", "replays@example.com")
		_, staff := b.member(ten.Access, "staff-replay@example.com", "staff")

		body := map[string]any{"name": "deploy", "role": "admin"}
		first := b.do("POST", "/v1/api-keys", ten.Access, body, "Idempotency-Key", "deploy-1")
		b.want(first, 201, "")
		again := b.do("POST", "/v1/api-keys", ten.Access, body, "Idempotency-Key", "deploy-1")
		b.want(again, 201, "")
		if again.str("key") != first.str("key") || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the owner's retry was not replayed: %s", again.Raw)
		}

		other := b.do("POST", "/v1/api-keys", staff, body, "Idempotency-Key", "deploy-1")
		if strings.Contains(string(other.Raw), first.str("key")) {
			t.Fatalf("a staff member got the admin key by replaying the request: %d %s", other.Status, other.Raw)
		}
		b.want(other, 422, "idempotency_key_reused")
	})
}
