package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestWebhooksThroughTheServer registers an endpoint over the API, pays an
// order, and waits for the background work to deliver order.paid to it,
// signed with the secret the API showed once; the delivery log tells the
// same. Bad input is refused with stable codes.
func TestWebhooksThroughTheServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d, func(c *app.Config) { c.WebhookAllowPrivate = true })
		var mu sync.Mutex
		var got []struct {
			h    http.Header
			body []byte
		}
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, struct {
				h    http.Header
				body []byte
			}{r.Header.Clone(), raw})
			mu.Unlock()
		}))
		defer recv.Close()
		b.app.StartBackground()

		own := b.signup("Hook Org", "hooks@hooks.example")
		staff := b.do("POST", "/v1/api-keys", own.Access, map[string]any{"name": "staff", "role": "staff"})
		b.want(staff, 201, "")
		b.want(b.do("POST", "/v1/webhooks", staff.str("key"), map[string]any{"url": recv.URL}), 403, "forbidden")
		b.want(b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": "gopher://x"}), 422, "webhook_url_not_allowed")
		b.want(b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": recv.URL, "events": []string{"order.teleported"}}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": 42}), 422, "")
		kinds := b.do("GET", "/v1/webhooks/event-types", own.Access, nil)
		b.want(kinds, 200, "")
		if l, _ := kinds.Body["data"].([]any); len(l) < 10 {
			t.Errorf("event types: %s", kinds.Raw)
		}

		hook := b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": recv.URL + "/usher", "events": []string{"order.paid"}, "description": "CRM"})
		b.want(hook, 201, "")
		secret := hook.str("secret")
		listed := b.do("GET", "/v1/webhooks", own.Access, nil)
		b.want(listed, 200, "")
		if secret == "" || bytes.Contains(listed.Raw, []byte(secret)) || !bytes.Contains(listed.Raw, []byte(hook.str("id"))) {
			t.Fatalf("created %s; listed %s (the secret must show only once)", hook.Raw, listed.Raw)
		}

		ev := b.do("POST", "/v1/events", own.Access, validEvent("웹훅 콘서트"))
		b.want(ev, 201, "")
		tt := b.do("POST", "/v1/events/"+ev.str("id")+"/ticket-types", own.Access, map[string]any{"name": "R", "price": 1000, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		b.want(b.do("POST", "/v1/events/"+ev.str("id")+"/publish", own.Access, nil), 200, "")
		cus := b.do("POST", "/v1/customers", own.Access, map[string]any{"email": "buyer@hooks.example", "name": "김하늘"})
		b.want(cus, 201, "")
		b.want(b.do("POST", "/v1/customers/"+cus.str("id")+"/wallet/charge", own.Access, map[string]any{"amount": 5000}), 200, "")
		ord := b.do("POST", "/v1/events/"+ev.str("id")+"/orders", own.Access, map[string]any{
			"customer_id": cus.str("id"), "buyer": map[string]any{"name": "김하늘", "email": "buyer@hooks.example"},
			"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}},
		})
		b.want(ord, 201, "")
		b.want(b.do("POST", "/v1/orders/"+ord.str("id")+"/pay", own.Access, map[string]any{"method": "wallet"}), 200, "")

		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 {
			t.Fatalf("the endpoint received %d deliveries, want 1 (order.paid only)", len(got))
		}
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(got[0].body, got[0].h); err != nil {
			t.Fatalf("signature: %v", err)
		}
		var body struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(got[0].body, &body); err != nil || body.Type != "order.paid" || body.Data["order_id"] != ord.str("id") {
			t.Fatalf("body %s (%v)", got[0].body, err)
		}

		var ds *response
		for range 100 { // the attempt is recorded just after the answer
			ds = b.do("GET", "/v1/webhooks/"+hook.str("id")+"/deliveries?status=succeeded", own.Access, nil)
			if l, _ := ds.Body["data"].([]any); len(l) == 1 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		l, _ := ds.Body["data"].([]any)
		if len(l) != 1 {
			t.Fatalf("succeeded deliveries: %s", ds.Raw)
		}
		did := l[0].(map[string]any)["id"].(string)
		if did != got[0].h.Get("webhook-id") {
			t.Errorf("the log's delivery %s is not the webhook-id %s", did, got[0].h.Get("webhook-id"))
		}
		one := b.do("GET", "/v1/webhooks/"+hook.str("id")+"/deliveries/"+did, own.Access, nil)
		b.want(one, 200, "")
		if log, _ := one.Body["attempt_log"].([]any); len(log) != 1 {
			t.Errorf("attempt log: %s", one.Raw)
		}
		b.want(b.do("GET", "/v1/webhooks/"+hook.str("id")+"/deliveries?status=lost", own.Access, nil), 422, "")
		b.want(b.do("PATCH", "/v1/webhooks/"+hook.str("id"), own.Access, map[string]any{"url": "http://[::1"}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/webhooks/whk_missing/ping", own.Access, nil), 404, "not_found")
		b.want(b.do("DELETE", "/v1/webhooks/"+hook.str("id"), own.Access, nil), 204, "")
		b.want(b.do("GET", "/v1/webhooks/"+hook.str("id"), own.Access, nil), 404, "not_found")
	})
}
