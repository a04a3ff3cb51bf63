package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestPersonalDataExportAndErasure gives a person an order (paid, with
// tickets, messages and a webhook delivery), a campaign participation and a
// customer record, exports it by email and phone, erases it, and checks that
// nothing of theirs is left in any table while the sale's figures are, and
// that another person's data is untouched.
func TestPersonalDataExportAndErasure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		var mu sync.Mutex
		var ahead time.Duration
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(ahead) }
		b := setup(t, d, func(c *app.Config) { c.Clock = clock; c.WebhookAllowPrivate = true })
		own := b.signup("Privacy Org", "owner@privacy.example")
		// A receiver that echoes what it gets: its answers, kept in the
		// delivery log, name the person too.
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(w, r.Body) }))
		t.Cleanup(echo.Close)
		hook := b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": echo.URL})
		b.want(hook, 201, "")
		ev := b.do("POST", "/v1/events", own.Access, validEvent("개인정보 콘서트"))
		b.want(ev, 201, "")
		tt := b.do("POST", "/v1/events/"+ev.str("id")+"/ticket-types", own.Access, map[string]any{"name": "R", "price": 1000, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		b.want(b.do("POST", "/v1/events/"+ev.str("id")+"/publish", own.Access, nil), 200, "")
		buy := func(name, email, phone string) (customerID, orderID string) {
			cus := b.do("POST", "/v1/customers", own.Access, map[string]any{"email": email, "name": name, "phone": phone})
			b.want(cus, 201, "")
			b.want(b.do("POST", "/v1/customers/"+cus.str("id")+"/wallet/charge", own.Access, map[string]any{"amount": 5000}), 200, "")
			ord := b.do("POST", "/v1/events/"+ev.str("id")+"/orders", own.Access, map[string]any{
				"customer_id": cus.str("id"), "buyer": map[string]any{"name": name, "email": email, "phone": phone},
				"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 2}},
			})
			b.want(ord, 201, "")
			b.want(b.do("POST", "/v1/orders/"+ord.str("id")+"/pay", own.Access, map[string]any{"method": "wallet"}), 200, "")
			return cus.str("id"), ord.str("id")
		}
		_, orderID := buy("김지우", "Jiwoo.Kim@privacy.example", "010-2222-3333")
		_, otherOrder := buy("Other Person", "other@privacy.example", "010-4444-5555")
		// The person also bought on the public page, with a retry key: the
		// stored answer (public, and the staff's one) names them too.
		pubBody := map[string]any{"buyer": map[string]any{"name": "김지우", "email": "jiwoo.kim@privacy.example"},
			"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}}}
		pub := b.do("POST", "/v1/public/events/"+ev.str("id")+"/orders", "", pubBody, "Idempotency-Key", "pub-1")
		b.want(pub, 201, "")
		staffBody := map[string]any{"buyer": map[string]any{"name": "김지우", "email": "jiwoo.kim@privacy.example"},
			"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}}}
		b.want(b.do("POST", "/v1/events/"+ev.str("id")+"/orders", own.Access, staffBody, "Idempotency-Key", "staff-1"), 201, "")
		cmp := b.do("POST", "/v1/campaigns", own.Access, campaignBody("개인정보 캠페인", map[string]any{"type": "none"}, "auto"))
		b.want(cmp, 201, "")
		b.want(b.do("POST", "/v1/public/campaigns/"+cmp.str("id")+"/participations", "", map[string]any{"name": "김지우", "phone": "+82 10 2222 3333", "consent": true}), 201, "")
		b.want(b.do("POST", "/v1/public/campaigns/"+cmp.str("id")+"/participations", "", map[string]any{"name": "Other Person", "phone": "01044445555", "consent": true}), 201, "")
		// The outbox feeds messages and webhook deliveries.
		b.app.StartBackground()
		// Every message is recorded before the erasure: one sent while the
		// erasure runs was rendered from what it erased (see the README).
		// The person gets two for the wallet order, one for each other
		// order and a text for the campaign; the other person three.
		waitFor(t, func() bool {
			return count(t, b, `SELECT COUNT(*) FROM webhook_attempts WHERE response_body LIKE '%jiwoo.kim%'`) > 0 &&
				count(t, b, `SELECT COUNT(*) FROM messages`) == 8
		})

		b.want(b.do("POST", "/v1/personal-data/export", own.Access, map[string]any{}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/personal-data/export", own.Access, map[string]any{"phone": "not a phone"}), 422, "validation_failed")
		exp := b.do("POST", "/v1/personal-data/export", own.Access, map[string]any{"email": "JIWOO.KIM@privacy.example", "phone": "01022223333"})
		b.want(exp, 200, "")
		sections := exp.obj("sections")
		for _, s := range []string{"customers", "orders", "tickets", "participations", "messages"} {
			sec, _ := sections[s].(map[string]any)
			if n, _ := sec["count"].(float64); n < 1 {
				t.Errorf("export section %s: %v", s, sections[s])
			}
		}
		if !bytes.Contains(exp.Raw, []byte(orderID)) || bytes.Contains(exp.Raw, []byte(otherOrder)) || bytes.Contains(exp.Raw, []byte("Other Person")) {
			t.Fatalf("export holds the wrong orders: %s", exp.Raw)
		}

		b.want(b.do("POST", "/v1/personal-data/erase", own.Access, map[string]any{"email": "jiwoo.kim@privacy.example"}), 422, "validation_failed")
		er := b.do("POST", "/v1/personal-data/erase", own.Access, map[string]any{"email": "jiwoo.kim@privacy.example", "phone": "+821022223333", "confirm": true})
		b.want(er, 200, "")
		for _, s := range []string{"customers", "orders", "tickets", "participations", "messages", "events", "webhook_deliveries", "stored_answers"} {
			if n, _ := er.obj("erased")[s].(float64); n < 1 {
				t.Errorf("erased %s: %v (answer %s)", s, er.obj("erased")[s], er.Raw)
			}
		}

		// A message rendered before the erasure and recorded after it (here
		// written by hand) is caught by the second erasure a minute later,
		// which also blanks its own job's copy of the person.
		if err := b.app.DB().Write(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Global().Exec(`INSERT INTO messages (tenant_id, id, kind, lang, channel, to_addr, subject, body, status, subject_id, dedupe_key, created_at)
				VALUES (?, 'msg_late', 'confirmation', 'ko', 'email', 'jiwoo.kim@privacy.example', '', '김지우님', 'outbox', ?, 'late', ?)`, own.ID, orderID, time.Now().UTC())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, b, `SELECT COUNT(*) FROM jobs WHERE kind = 'privacy.erase-again' AND status = 'pending'`); n != 1 {
			t.Fatalf("second erasures scheduled: %d", n)
		}
		mu.Lock()
		ahead = 2 * time.Minute
		mu.Unlock()
		waitFor(t, func() bool {
			return count(t, b, `SELECT COUNT(*) FROM jobs WHERE kind = 'privacy.erase-again' AND status = 'done'`) == 1
		})
		if late := texts(t, b, `SELECT to_addr || body FROM messages WHERE id = 'msg_late'`); len(late) != 1 || late[0] != "" {
			t.Errorf("the late message after the second erasure: %q", late)
		}

		// Nothing of the person is left anywhere; the other person is all there.
		for _, q := range []string{
			`SELECT email || name || phone FROM customers`,
			`SELECT buyer_name || buyer_email || buyer_phone || answers || attendees FROM orders`,
			`SELECT attendee_name || attendee_email FROM order_tickets`,
			`SELECT attendee_name || attendee_email FROM tickets`,
			`SELECT name || phone || ip || user_agent FROM participations`,
			`SELECT to_addr || subject || body FROM messages`,
			`SELECT payload FROM outbox`,
			`SELECT payload FROM jobs`,
			`SELECT body FROM webhook_deliveries`,
			`SELECT response_body FROM webhook_attempts`,
			`SELECT CAST(body AS TEXT) FROM idempotency_keys WHERE body IS NOT NULL`,
		} {
			all := strings.ToLower(strings.Join(texts(t, b, q), "\n"))
			for _, gone := range []string{"jiwoo.kim@privacy.example", "+821022223333", "김지우"} {
				if strings.Contains(all, strings.ToLower(gone)) {
					t.Errorf("%q is still in %s: %s", gone, q, all)
				}
			}
		}
		for q, want := range map[string]string{
			`SELECT buyer_email FROM orders`:      "other@privacy.example",
			`SELECT phone FROM participations`:    "+821044445555",
			`SELECT to_addr FROM messages`:        "other@privacy.example",
			`SELECT email || name FROM customers`: "other@privacy.exampleother person",
		} {
			if all := strings.ToLower(strings.Join(texts(t, b, q), "\n")); !strings.Contains(all, want) {
				t.Errorf("%s lost the other person (%q): %s", q, want, all)
			}
		}
		// A retry replays the blanked answer, not the person.
		again := b.do("POST", "/v1/public/events/"+ev.str("id")+"/orders", "", pubBody, "Idempotency-Key", "pub-1")
		b.want(again, 201, "")
		if again.str("id") != pub.str("id") || bytes.Contains(again.Raw, []byte("jiwoo.kim")) {
			t.Errorf("replayed public answer: %s", again.Raw)
		}
		// The sale still adds up: the erased order keeps its status and total.
		o := b.do("GET", "/v1/orders/"+orderID, own.Access, nil)
		b.want(o, 200, "")
		if o.str("status") != "paid" || o.Body["total"].(float64) != 2000 {
			t.Errorf("erased order: %s", o.Raw)
		}
		after := b.do("POST", "/v1/personal-data/export", own.Access, map[string]any{"email": "jiwoo.kim@privacy.example", "phone": "010-2222-3333"})
		b.want(after, 200, "")
		if len(after.obj("sections")) != 0 {
			t.Errorf("export after erasure: %s", after.Raw)
		}
		// Staff may not do either.
		staff := b.do("POST", "/v1/api-keys", own.Access, map[string]any{"name": "staff", "role": "staff"})
		b.want(b.do("POST", "/v1/personal-data/export", staff.str("key"), map[string]any{"email": "other@privacy.example"}), 403, "forbidden")
	})
}

// count runs a COUNT query on the server's database (unscoped).
func count(t *testing.T, b *bundle, q string) int {
	t.Helper()
	var n int
	if err := b.app.DB().Read(context.Background(), func(tx *db.Tx) error { return tx.Get(&n, q) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// texts runs a query of one text column on the server's database.
func texts(t *testing.T, b *bundle, q string) []string {
	t.Helper()
	var out []string
	if err := b.app.DB().Read(context.Background(), func(tx *db.Tx) error { return tx.Select(&out, q) }); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for range 400 {
		if ok() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("gave up waiting")
}

// TestRetentionPurge sets a 30-day retention period, moves the clock past
// an event's end and a campaign's end by more than that, and checks that the
// purge erased the personal data of their orders, tickets and entries and
// the old copies in messages, jobs, the outbox and webhook deliveries, left
// a later event's order and a running campaign's entries alone, and keeps
// every amount.
func TestRetentionPurge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		var mu sync.Mutex
		now := time.Now().UTC()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		b := setup(t, d, func(c *app.Config) { c.Clock = clock; c.WebhookAllowPrivate = true })
		own := b.signup("Retention Org", "owner@retention.example")
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("thanks old@retention.example")) }))
		t.Cleanup(receiver.Close)
		b.want(b.do("POST", "/v1/webhooks", own.Access, map[string]any{"url": receiver.URL}), 201, "")

		sell := func(ev map[string]any, buyer string) string {
			e := b.do("POST", "/v1/events", own.Access, ev)
			b.want(e, 201, "")
			tt := b.do("POST", "/v1/events/"+e.str("id")+"/ticket-types", own.Access, map[string]any{"name": "R", "price": 1000, "currency": "KRW", "quota": 10})
			b.want(tt, 201, "")
			b.want(b.do("POST", "/v1/events/"+e.str("id")+"/publish", own.Access, nil), 200, "")
			o := b.do("POST", "/v1/events/"+e.str("id")+"/orders", own.Access, map[string]any{
				"buyer": map[string]any{"name": buyer + " 님", "email": buyer + "@retention.example", "phone": "010-7777-8888"},
				"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}}})
			b.want(o, 201, "")
			b.want(b.do("POST", "/v1/orders/"+o.str("id")+"/pay", own.Access, map[string]any{"method": "manual"}), 200, "")
			return o.str("id")
		}
		oldOrder := sell(validEvent("지난 공연"), "old")
		later := validEvent("먼 공연")
		later["starts_at"], later["ends_at"] = "2031-03-01T10:00:00+09:00", "2031-03-01T18:00:00+09:00"
		newOrder := sell(later, "new")
		endedCampaign := b.do("POST", "/v1/campaigns", own.Access, campaignBody("끝날 캠페인", map[string]any{"type": "none"}, "auto"))
		b.want(endedCampaign, 201, "")
		running := campaignBody("계속 캠페인", map[string]any{"type": "none"}, "auto")
		running["ends_at"] = "2031-01-01T00:00:00Z"
		runningCampaign := b.do("POST", "/v1/campaigns", own.Access, running)
		b.want(runningCampaign, 201, "")
		for _, c := range []string{endedCampaign.str("id"), runningCampaign.str("id")} {
			b.want(b.do("POST", "/v1/public/campaigns/"+c+"/participations", "", map[string]any{"name": "참가자", "phone": "010-3333-4444", "consent": true}), 201, "")
		}
		b.app.StartBackground()
		waitFor(t, func() bool {
			return count(t, b, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded'`) > 0 &&
				count(t, b, `SELECT COUNT(*) FROM messages`) >= 2
		})

		// The hourly jobs (the purge, the budget check) ran once at start
		// and wait for the next hour.
		for _, kind := range []string{"privacy.purge", "meter.budgets"} {
			waitFor(t, func() bool {
				return count(t, b, `SELECT COUNT(*) FROM jobs WHERE kind = '`+kind+`' AND status = 'done'`) == 1 &&
					count(t, b, `SELECT COUNT(*) FROM jobs WHERE kind = '`+kind+`' AND status = 'pending'`) == 1
			})
		}

		// Bad periods change nothing.
		for _, days := range []any{-1, 7, 3651, "30"} {
			r := b.do("PUT", "/v1/settings/privacy", own.Access, map[string]any{"retention_days": days})
			if r.Status != 422 && r.Status != 400 {
				t.Errorf("retention %v: %d %s", days, r.Status, r.Raw)
			}
		}
		if s := b.do("GET", "/v1/settings/privacy", own.Access, nil); s.Body["retention_days"].(float64) != 0 {
			t.Fatalf("settings after refused changes: %s", s.Raw)
		}
		set := b.do("PUT", "/v1/settings/privacy", own.Access, map[string]any{"retention_days": 30})
		b.want(set, 200, "")
		if set.Body["retention_days"].(float64) != 30 {
			t.Fatalf("settings: %s", set.Raw)
		}

		// Nothing is due yet.
		if rep, err := b.app.Purge(context.Background()); err != nil || len(rep) != 0 {
			t.Fatalf("purge before the end: %v %v", rep, err)
		}
		// Two months after the event (and the first campaign) ended. The
		// background work stops first, so that the jobs the jump makes due
		// (reminders, the next hourly purge) do not run between the two.
		if err := b.app.StopBackground(context.Background()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
		mu.Unlock()
		rep, err := b.app.Purge(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		erased := rep[own.ID]
		for _, s := range []string{"orders", "tickets", "participations", "messages", "events", "jobs", "webhook_deliveries"} {
			if erased[s] < 1 {
				t.Errorf("purge erased no %s: %v", s, rep)
			}
		}
		for _, q := range []string{
			`SELECT buyer_name || buyer_email || buyer_phone FROM orders WHERE id = '` + oldOrder + `'`,
			`SELECT t.attendee_name || t.attendee_email FROM tickets t WHERE t.order_id = '` + oldOrder + `'`,
			`SELECT name || phone FROM participations WHERE campaign_id = '` + endedCampaign.str("id") + `'`,
			`SELECT to_addr || body FROM messages`,
			`SELECT payload FROM outbox`,
			`SELECT body FROM webhook_deliveries WHERE status = 'succeeded'`,
			`SELECT response_body FROM webhook_attempts`,
		} {
			all := strings.Join(texts(t, b, q), "\n")
			for _, gone := range []string{"old@retention.example", "old 님", "+821077778888", "+821033334444"} {
				if strings.Contains(all, gone) {
					t.Errorf("%q is still in %s: %s", gone, q, all)
				}
			}
		}
		for q, want := range map[string]string{
			`SELECT buyer_email FROM orders WHERE id = '` + newOrder + `'`:                             "new@retention.example",
			`SELECT attendee_name FROM tickets WHERE order_id = '` + newOrder + `'`:                    "new 님",
			`SELECT phone FROM participations WHERE campaign_id = '` + runningCampaign.str("id") + `'`: "+821033334444",
			`SELECT status || total FROM orders WHERE id = '` + oldOrder + `'`:                         "paid1000",
		} {
			if got := strings.Join(texts(t, b, q), ""); got != want {
				t.Errorf("%s = %q, want %q", q, got, want)
			}
		}
		// A second run finds nothing more.
		if rep, err := b.app.Purge(context.Background()); err != nil || len(rep) != 0 {
			t.Errorf("second purge: %v %v", rep, err)
		}
	})
}
