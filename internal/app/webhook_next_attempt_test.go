package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestWebhookNextAttemptThroughTheServer lets the background work send to a
// receiver that fails: after each failed attempt the delivery's
// next_attempt_at (RFC 3339, in the OpenAPI schema) is the time the job
// layer scheduled the retry for, and moving the clock there brings the
// next attempt, no earlier. A delivery that will not be tried again (the
// receiver answered 410 Gone, or the endpoint was switched off) has none.
func TestWebhookNextAttemptThroughTheServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		var mu sync.Mutex
		var ahead time.Duration
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(ahead) }
		moveTo := func(at time.Time) { mu.Lock(); defer mu.Unlock(); ahead = time.Until(at) + time.Millisecond }
		b := setup(t, d, func(c *app.Config) { c.Clock = clock; c.WebhookAllowPrivate = true })
		var hits atomic.Int32
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
		}))
		defer failing.Close()
		gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
		defer gone.Close()

		own := b.signup("Retry Org", "retry@hooks.example")
		hook := b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": failing.URL})
		b.want(hook, 201, "")
		deliveries := "/v1/webhooks/" + hook.str("id") + "/deliveries"

		// Queued and not tried yet (the background work is not running):
		// due since it was queued.
		ping := b.do("POST", "/v1/webhooks/"+hook.str("id")+"/ping", own.Access, nil)
		b.want(ping, 202, "")
		did := ping.str("id")
		if next := timeField(t, ping.Body, "next_attempt_at"); next == nil || next.After(clock()) {
			t.Fatalf("a queued ping: next_attempt_at %v, want a time not after now: %s", next, ping.Raw)
		}
		b.app.StartBackground()

		// retryingAfter waits for the delivery to show n attempts and a
		// next attempt, and returns it, checked against the list.
		retryingAfter := func(n int) (next time.Time, lastAttempt time.Time) {
			t.Helper()
			var one *response
			waitFor(t, func() bool {
				one = b.do("GET", deliveries+"/"+did, own.Access, nil)
				a, _ := one.Body["attempts"].(float64)
				return int(a) == n && one.str("status") == "retrying" && timeField(t, one.Body, "next_attempt_at") != nil
			})
			log, _ := one.Body["attempt_log"].([]any)
			if len(log) != n {
				t.Fatalf("attempt log after %d attempts: %s", n, one.Raw)
			}
			last := timeField(t, log[n-1].(map[string]any), "at")
			next = *timeField(t, one.Body, "next_attempt_at")
			if !next.After(*last) {
				t.Fatalf("attempt %d at %v, next attempt %v", n, last, next)
			}
			// The schedule the job layer runs the retry by.
			var runAt []time.Time
			if err := b.app.DB().Read(context.Background(), func(tx *db.Tx) error {
				return tx.Global().Select(&runAt, `SELECT run_at FROM jobs WHERE kind = 'webhook.deliver' AND status = 'pending' AND payload LIKE ?`, "%"+did+"%")
			}); err != nil {
				t.Fatal(err)
			}
			if len(runAt) != 1 || !runAt[0].Equal(next) {
				t.Fatalf("after attempt %d: next_attempt_at %v, the job's pending runs %v", n, next, runAt)
			}
			list := b.do("GET", deliveries+"?status=retrying", own.Access, nil)
			b.want(list, 200, "")
			rows, _ := list.Body["data"].([]any)
			if len(rows) != 1 || !timeField(t, rows[0].(map[string]any), "next_attempt_at").Equal(next) {
				t.Fatalf("the list disagrees with the delivery's next attempt %v: %s", next, list.Raw)
			}
			return next, *last
		}

		next, _ := retryingAfter(1)
		moveTo(next)
		next2, second := retryingAfter(2)
		if second.Before(next) {
			t.Errorf("the second attempt ran at %v, before the announced %v", second, next)
		}
		if !next2.After(next) {
			t.Errorf("the next attempt did not move on: %v, then %v", next, next2)
		}
		if n := hits.Load(); n != 2 {
			t.Errorf("the receiver got %d attempts, want 2", n)
		}

		// Switched off, the delivery is cancelled and has no next attempt.
		b.want(b.do("PATCH", "/v1/webhooks/"+hook.str("id"), own.Access, map[string]any{"active": false}), 200, "")
		one := b.do("GET", deliveries+"/"+did, own.Access, nil)
		if _, ok := one.Body["next_attempt_at"]; ok || one.str("status") != "cancelled" {
			t.Errorf("switched off: %s", one.Raw)
		}

		// Gone: failed at once, never to be tried again.
		gh := b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": gone.URL})
		b.want(gh, 201, "")
		gp := b.do("POST", "/v1/webhooks/"+gh.str("id")+"/ping", own.Access, nil)
		b.want(gp, 202, "")
		var g *response
		waitFor(t, func() bool {
			g = b.do("GET", "/v1/webhooks/"+gh.str("id")+"/deliveries/"+gp.str("id"), own.Access, nil)
			return g.str("status") == "failed"
		})
		if _, ok := g.Body["next_attempt_at"]; ok {
			t.Errorf("a delivery that gave up shows a next attempt: %s", g.Raw)
		}

		// The field is in the OpenAPI schema, as a date-time.
		doc := b.do("GET", "/openapi.json", "", nil)
		b.want(doc, 200, "")
		var spec struct {
			Components struct {
				Schemas map[string]struct {
					Properties map[string]struct {
						Type        any    `json:"type"`
						Format      string `json:"format"`
						Description string `json:"description"`
					} `json:"properties"`
				} `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(doc.Raw, &spec); err != nil {
			t.Fatal(err)
		}
		p, ok := spec.Components.Schemas["WebhookDelivery"].Properties["next_attempt_at"]
		if !ok || p.Format != "date-time" || p.Description == "" {
			t.Errorf("OpenAPI WebhookDelivery.next_attempt_at = %+v (present %v)", p, ok)
		}
	})
}

// timeField reads an RFC 3339 time from a JSON object; nil when absent or
// null.
func timeField(t *testing.T, m map[string]any, key string) *time.Time {
	t.Helper()
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s = %v, not RFC 3339: %v", key, v, err)
	}
	return &at
}
