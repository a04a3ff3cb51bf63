package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestWebhookRetryAfterThroughTheServer: a receiver that answers 503 with
// Retry-After: 600 is tried again ten minutes after the attempt, not after
// the first backoff's seconds, and next_attempt_at is the time the job is
// scheduled for.
func TestWebhookRetryAfterThroughTheServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d, func(c *app.Config) { c.WebhookAllowPrivate = true })
		busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "600")
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		defer busy.Close()
		own := b.signup("Busy Org", "busy@hooks.example")
		hook := b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": busy.URL})
		b.want(hook, 201, "")
		ping := b.do("POST", "/v1/webhooks/"+hook.str("id")+"/ping", own.Access, nil)
		b.want(ping, 202, "")
		b.app.StartBackground()

		var one *response
		waitFor(t, func() bool {
			one = b.do("GET", "/v1/webhooks/"+hook.str("id")+"/deliveries/"+ping.str("id"), own.Access, nil)
			return one.str("status") == "retrying"
		})
		log, _ := one.Body["attempt_log"].([]any)
		if len(log) != 1 {
			t.Fatalf("attempt log: %s", one.Raw)
		}
		at := timeField(t, log[0].(map[string]any), "at")
		next := timeField(t, one.Body, "next_attempt_at")
		if next == nil || next.Sub(*at) != 10*time.Minute {
			t.Fatalf("attempt at %v, next attempt %v; want ten minutes later: %s", at, next, one.Raw)
		}
		var runAt []time.Time
		if err := b.app.DB().Read(context.Background(), func(tx *db.Tx) error {
			return tx.Global().Select(&runAt, `SELECT run_at FROM jobs WHERE kind = 'webhook.deliver' AND status = 'pending' AND dedupe_key = ?`, "webhook.deliver/"+ping.str("id"))
		}); err != nil {
			t.Fatal(err)
		}
		if len(runAt) != 1 || !runAt[0].Equal(*next) {
			t.Errorf("next_attempt_at %v, the job's run %v", next, runAt)
		}
	})
}
