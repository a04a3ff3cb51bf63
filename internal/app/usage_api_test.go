package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// line returns the quantity of a metric in a statement answer.
func line(r *response, metric string) float64 {
	for _, l := range r.Body["lines"].([]any) {
		if m := l.(map[string]any); m["metric"] == metric {
			return m["quantity"].(float64)
		}
	}
	return -1
}

// TestUsageThroughTheServer sells, pays, checks in and takes part through
// the API with the background work running, and finds each in the month's
// usage, priced under the tenant's tier; a budget the month already passes
// raises its alert as a webhook.
func TestUsageThroughTheServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d, func(c *app.Config) { c.WebhookAllowPrivate = true })
		var mu sync.Mutex
		var alerts []string
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			if strings.Contains(string(raw), "usage.budget_alert") {
				mu.Lock()
				alerts = append(alerts, string(raw))
				mu.Unlock()
			}
		}))
		defer recv.Close()
		b.app.StartBackground()
		own := b.signup("Usage Org", "owner@usage.example")
		// The owner reads English; an admin who joins keeps Korean.
		me := b.do("PATCH", "/v1/me", own.Access, map[string]any{"locale": "en"})
		b.want(me, 200, "")
		if me.str("locale") != "en" {
			t.Fatalf("PATCH /v1/me: %s", me.Raw)
		}
		b.want(b.do("PATCH", "/v1/me", own.Access, map[string]any{"locale": "fr"}), 422, "validation_failed")
		key := b.do("POST", "/v1/api-keys", own.Access, map[string]any{"name": "k", "role": "admin"})
		b.want(key, 201, "")
		b.want(b.do("PATCH", "/v1/me", key.str("key"), map[string]any{"locale": "en"}), 403, "forbidden")
		inv := b.do("POST", "/v1/users/invites", own.Access, map[string]any{"email": "admin@usage.example", "role": "admin"})
		b.want(inv, 201, "")
		b.want(b.do("POST", "/v1/public/invites/accept", "", map[string]any{"token": inv.str("token"), "password": "admin member pw"}), 201, "")
		b.want(b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": recv.URL, "events": []string{"usage.*"}}), 201, "")

		eid, general, _, tickets := b.gateEvent(own.Access, "사용량 공연", 3)
		g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Main", "kind": "main"})
		b.want(g, 201, "")
		b.want(b.do("POST", "/v1/checkins", own.Access, map[string]any{"code": tickets[0].Code, "gate_id": g.str("id")}), 200, "")
		// A hold left unpaid counts as a hold, and issues nothing.
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", own.Access, map[string]any{
			"buyer": map[string]any{"name": "Lee", "email": "lee@usage.example"},
			"items": []any{map[string]any{"ticket_type_id": general, "quantity": 1}}}), 201, "")
		cmp := b.do("POST", "/v1/campaigns", own.Access, campaignBody("사용량 캠페인", map[string]any{"type": "none"}, "auto"))
		b.want(cmp, 201, "")
		for _, phone := range []string{"010-5555-0001", "010-5555-0002"} {
			b.want(b.do("POST", "/v1/public/campaigns/"+cmp.str("id")+"/participations", "", map[string]any{"name": "참가자", "phone": phone, "consent": true}), 201, "")
		}

		var u *response
		waitFor(t, func() bool {
			u = b.do("GET", "/v1/usage", own.Access, nil)
			return u.Status == 200 && line(u, "checkins") == 1 && line(u, "participations") == 2 && line(u, "emails") >= 1 && line(u, "sms") == 2
		})
		for metric, want := range map[string]float64{"holds": 2, "tickets_issued": 3, "checkins": 1, "participations": 2} {
			if got := line(u, metric); got != want {
				t.Errorf("%s = %v, want %v (%s)", metric, got, want, u.Raw)
			}
		}
		// Every call above with the owner's token counted, this one too.
		if calls := line(u, "api_calls"); calls < 10 {
			t.Errorf("api_calls = %v", calls)
		}
		// Basic includes no text messages: the participants' two cost 20 each.
		if u.str("tier") != "basic" || u.str("currency") != "KRW" || line(u, "sms") != 2 || u.Body["total"].(float64) != 40 {
			t.Errorf("statement on basic: %s", u.Raw)
		}

		b.want(b.do("GET", "/v1/usage?period=2026-13", own.Access, nil), 422, "validation_failed")
		b.want(b.do("GET", "/v1/usage?period=1999-01", own.Access, nil), 422, "validation_failed")
		b.want(b.do("PUT", "/v1/settings/budget", own.Access, map[string]any{"monthly_budget": -5}), 422, "validation_failed")
		tiers := b.do("GET", "/v1/tiers", own.Access, nil)
		b.want(tiers, 200, "")
		if len(tiers.Body["data"].([]any)) != 3 {
			t.Errorf("tiers: %s", tiers.Raw)
		}
		staff := b.do("POST", "/v1/api-keys", own.Access, map[string]any{"name": "staff", "role": "staff"})
		b.want(b.do("GET", "/v1/usage", staff.str("key"), nil), 403, "forbidden")

		// On professional the fee alone (99,000) is 99 % of a 100,000
		// budget: the 80 % alert is raised at once, and only once.
		if err := b.app.SetTier(t.Context(), own.ID, "professional"); err != nil {
			t.Fatal(err)
		}
		bud := b.do("PUT", "/v1/settings/budget", own.Access, map[string]any{"monthly_budget": 100000})
		b.want(bud, 200, "")
		if a, _ := bud.Body["alerts"].([]any); len(a) != 1 || a[0].(map[string]any)["threshold_percent"].(float64) != 80 {
			t.Fatalf("alerts: %s", bud.Raw)
		}
		b.want(b.do("PUT", "/v1/settings/budget", own.Access, map[string]any{"monthly_budget": 100000}), 200, "")
		u = b.do("GET", "/v1/usage", own.Access, nil)
		if u.str("tier") != "professional" || u.Body["used_percent"].(float64) != 99 {
			t.Errorf("statement on professional: %s", u.Raw)
		}
		waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(alerts) == 1 })
		// The owner and the admin get it by email too, each in their language.
		waitFor(t, func() bool {
			return count(t, b, `SELECT COUNT(*) FROM messages WHERE kind = 'budget_alert'`) == 2
		})
		for addr, want := range map[string]string{"owner@usage.example": "of your monthly budget", "admin@usage.example": "월 예산"} {
			body := texts(t, b, `SELECT body FROM messages WHERE kind = 'budget_alert' AND to_addr = '`+addr+`'`)
			if len(body) != 1 || !strings.Contains(body[0], "80%") || !strings.Contains(body[0], "/app/settings/usage?period=") || !strings.Contains(body[0], want) {
				t.Errorf("budget alert email to %s: %q, want it to say %q", addr, body, want)
			}
		}
		var hook struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(alerts[0]), &hook); err != nil || hook.Type != "usage.budget_alert" || hook.Data["threshold_percent"] != float64(80) {
			t.Errorf("alert webhook: %s (%v)", alerts[0], err)
		}
		h := b.do("GET", "/v1/usage/statements", own.Access, nil)
		b.want(h, 200, "")
		if l, _ := h.Body["data"].([]any); len(l) != 1 {
			t.Errorf("statements: %s", h.Raw)
		}
	})
}

// TestTierRateLimits runs a server with the limits on: a basic tenant's
// burst of calls gets 429 rate_limited with Retry-After past its tier's
// burst, while another tenant is not slowed; on enterprise it has no limit.
func TestTierRateLimits(t *testing.T) {
	b := setup(t, db.SQLite, func(c *app.Config) { c.TierLimits = true })
	own := b.signup("Busy Org", "owner@busy.example")
	other := b.signup("Calm Org", "owner@calm.example")
	limited := 0
	for range 300 {
		r := b.do("GET", "/v1/me", own.Access, nil)
		if r.Status == 429 {
			b.want(r, 429, "rate_limited")
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("a 429 without Retry-After")
			}
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("300 calls at once on basic were never limited")
	}
	b.want(b.do("GET", "/v1/me", other.Access, nil), 200, "")
	// Public calls are not the tenant's API calls.
	b.want(b.do("GET", "/v1/public/rankings?tenant="+own.ID, "", nil), 200, "")
	if err := b.app.SetTier(t.Context(), own.ID, "enterprise"); err != nil {
		t.Fatal(err)
	}
	for range 300 {
		b.want(b.do("GET", "/v1/me", own.Access, nil), 200, "")
	}
}
