package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestWebhookDeadJobThroughTheServer: two deliveries whose node stopped
// during their last attempt (their jobs are left running under a lock that
// ran out) become dead letters once the background work runs, and the API
// shows them failed, saying why, with no next attempt. One is replayed from
// /v1/admin/dead-jobs: it is pending again while it is sent, leaves the
// dead letters, and succeeds. The other is redelivered like any failed
// delivery, which takes its job out of the dead letters too.
func TestWebhookDeadJobThroughTheServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d, func(c *app.Config) { c.WebhookAllowPrivate = true })
		var hits atomic.Int32
		release := make(chan struct{})
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			<-release
		}))
		defer recv.Close()
		defer func() {
			select {
			case <-release:
			default:
				close(release)
			}
		}()

		own := b.signup("Dead Job Org", "dead@hooks.example")
		hook := b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": recv.URL})
		b.want(hook, 201, "")
		deliveries := "/v1/webhooks/" + hook.str("id") + "/deliveries"
		var ids []string
		for range 2 {
			p := b.do("POST", "/v1/webhooks/"+hook.str("id")+"/ping", own.Access, nil)
			b.want(p, 202, "")
			ids = append(ids, p.str("id"))
		}
		replayed, redelivered := ids[0], ids[1]
		if err := b.app.DB().Write(context.Background(), func(tx *db.Tx) error {
			for _, id := range ids {
				if err := tx.Global().ExecOne(`UPDATE jobs SET status = 'running', attempts = max_attempts, locked_by = 'a stopped node', locked_until = ?
					WHERE kind = 'webhook.deliver' AND dedupe_key = ?`, time.Now().Add(-time.Minute), "webhook.deliver/"+id); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		b.app.StartBackground()

		get := func(id string) *response { return b.do("GET", deliveries+"/"+id, own.Access, nil) }
		for _, id := range ids {
			var one *response
			waitFor(t, func() bool { one = get(id); return one.str("status") == "failed" })
			if _, ok := one.Body["next_attempt_at"]; ok || !strings.Contains(one.str("last_error"), "stopped before it finished") {
				t.Fatalf("a delivery whose job died: %s", one.Raw)
			}
		}
		listed := func(status string) int {
			l := b.do("GET", deliveries+"?status="+status, own.Access, nil)
			b.want(l, 200, "")
			rows, _ := l.Body["data"].([]any)
			return len(rows)
		}
		if f, p := listed("failed"), listed("pending"); f != 2 || p != 0 {
			t.Errorf("listed failed %d, pending %d; want 2 and 0", f, p)
		}
		dead := b.do("GET", "/v1/admin/dead-jobs", own.Access, nil)
		b.want(dead, 200, "")
		jobs, _ := dead.Body["data"].([]any)
		var jobID string
		for _, j := range jobs {
			if p, _ := j.(map[string]any)["payload"].(map[string]any); p["delivery_id"] == replayed {
				jobID, _ = j.(map[string]any)["id"].(string)
			}
		}
		if len(jobs) != 2 || jobID == "" {
			t.Fatalf("dead jobs: %s", dead.Raw)
		}

		// Replayed: waiting again, and sent (the receiver holds its answer).
		b.want(b.do("POST", "/v1/admin/dead-jobs/"+jobID+"/replay", own.Access, nil), 200, "")
		waitFor(t, func() bool { return hits.Load() == 1 })
		one := get(replayed)
		if next := timeField(t, one.Body, "next_attempt_at"); one.str("status") != "pending" || next == nil || next.After(time.Now()) {
			t.Errorf("replayed and being sent: %s", one.Raw)
		}
		b.want(b.do("POST", deliveries+"/"+replayed+"/redeliver", own.Access, nil), 409, "conflict")
		if f, p := listed("failed"), listed("pending"); f != 1 || p != 1 {
			t.Errorf("after the replay: listed failed %d, pending %d; want 1 and 1", f, p)
		}

		// Redelivered: the other dead letter goes too.
		b.want(b.do("POST", deliveries+"/"+redelivered+"/redeliver", own.Access, nil), 202, "")
		dead = b.do("GET", "/v1/admin/dead-jobs", own.Access, nil)
		if jobs, _ := dead.Body["data"].([]any); len(jobs) != 0 {
			t.Errorf("dead jobs after the replay and the redelivery: %s", dead.Raw)
		}
		close(release)
		for _, id := range ids {
			waitFor(t, func() bool { return get(id).str("status") == "succeeded" })
		}
	})
}
