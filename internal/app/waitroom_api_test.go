package app_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// publishedEvent makes a published event with one ticket type and returns
// their ids.
func (b *bundle) publishedEvent(token, name string, quota int) (eventID, ticketTypeID string) {
	b.t.Helper()
	ev := b.do("POST", "/v1/events", token, validEvent(name))
	b.want(ev, 201, "")
	tt := b.do("POST", "/v1/events/"+ev.str("id")+"/ticket-types", token, map[string]any{
		"name": "General", "price": 1000, "currency": "KRW", "quota": quota,
		"sales_start": "2020-01-01T00:00:00Z", "sales_end": "2099-01-01T00:00:00Z"})
	b.want(tt, 201, "")
	b.want(b.do("POST", "/v1/events/"+ev.str("id")+"/publish", token, nil), 200, "")
	return ev.str("id"), tt.str("id")
}

func TestWaitingRoomRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Queue Co", "queue@example.com")
		eid, ttid := b.publishedEvent(ten.Access, "Flash", 10)
		order := func(token string) map[string]any {
			o := map[string]any{
				"buyer": map[string]any{"name": "Lee", "email": "lee@example.com", "phone": "010-2222-3333"},
				"items": []any{map[string]any{"ticket_type_id": ttid, "quantity": 1}},
			}
			if token != "" {
				o["queue_token"] = token
			}
			return o
		}
		// Without a room, orders need no token and joining says active.
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order("")), 201, "")

		room := b.do("PUT", "/v1/events/"+eid+"/waiting-room", ten.Access, map[string]any{
			"enabled": true, "admit_per_minute": 60000, "max_active": 1, "active_ttl_seconds": 600})
		b.want(room, 200, "")
		if room.Body["enabled"] != true || room.Body["max_active"] != float64(1) {
			t.Fatalf("room = %s", room.Raw)
		}
		b.want(b.do("PUT", "/v1/events/"+eid+"/waiting-room", ten.Access, map[string]any{
			"enabled": true, "admit_per_minute": 0, "max_active": 1, "active_ttl_seconds": 600}), 422, "validation_failed")

		first := b.do("POST", "/v1/public/events/"+eid+"/queue", "", nil, "X-Client-Id", "browser-1")
		b.want(first, 201, "")
		if first.str("status") != "active" || first.str("token") == "" {
			t.Fatalf("first arrival = %s", first.Raw)
		}
		second := b.do("POST", "/v1/public/events/"+eid+"/queue", "", map[string]any{"client_id": "browser-2"})
		b.want(second, 201, "")
		if second.str("status") != "waiting" || second.Body["position"] != float64(1) || second.Body["eta_seconds"] == float64(0) {
			t.Fatalf("second arrival = %s", second.Raw)
		}
		again := b.do("POST", "/v1/public/events/"+eid+"/queue", "", nil, "X-Client-Id", "browser-2")
		if again.str("token") != second.str("token") {
			t.Fatalf("joining again gave another token")
		}
		st := b.do("GET", "/v1/public/queue/"+second.str("token"), "", nil)
		b.want(st, 200, "")
		if st.str("status") != "waiting" {
			t.Fatalf("status = %s", st.Raw)
		}
		b.want(b.do("GET", "/v1/public/queue/not-a-token", "", nil), 404, "not_found")

		b.want(b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order("")), 403, "queue_token_required")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order(second.str("token"))), 403, "queue_token_invalid")
		b.want(b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order("forged.token")), 403, "queue_token_invalid")
		held := b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, order(first.str("token")))
		b.want(held, 201, "")

		// Paying frees the slot: the second arrival is admitted at once.
		b.want(b.do("POST", "/v1/orders/"+held.str("id")+"/pay", ten.Access, map[string]any{"method": "manual"}), 200, "")
		if st := b.do("GET", "/v1/public/queue/"+second.str("token"), "", nil); st.str("status") != "active" {
			t.Fatalf("after the first buyer paid, the second is %s", st.Raw)
		}
		stats := b.do("GET", "/v1/events/"+eid+"/waiting-room", ten.Access, nil)
		b.want(stats, 200, "")
		if stats.Body["joined"] != float64(2) {
			t.Fatalf("room stats = %s", stats.Raw)
		}
		b.want(b.do("POST", "/v1/public/events/evt_nope/queue", "", nil), 404, "not_found")
	})
}

// TestQueueStatusStream reads a waiting token's status stream: a status
// event at once, then the admission pushed when the slot ahead frees, and
// the end of the stream; a made-up token is a 404 problem, not a stream.
// It runs on the in-process rooms and, where configured, on Redis.
func TestQueueStatusStream(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		var opts []func(*app.Config)
		if d == db.Postgres && dbtest.RedisURL() != "" {
			opts = append(opts, func(c *app.Config) { c.RedisURL = dbtest.RedisURL() })
		}
		b := setup(t, d, opts...)
		ten := b.signup("Stream Co", "stream@example.com")
		eid, ttid := b.publishedEvent(ten.Access, "Streamed", 10)
		b.want(b.do("PUT", "/v1/events/"+eid+"/waiting-room", ten.Access, map[string]any{
			"enabled": true, "admit_per_minute": 60000, "max_active": 1, "active_ttl_seconds": 600}), 200, "")
		first := b.do("POST", "/v1/public/events/"+eid+"/queue", "", map[string]any{"client_id": "stream-1"})
		second := b.do("POST", "/v1/public/events/"+eid+"/queue", "", map[string]any{"client_id": "stream-2"})
		if first.str("status") != "active" || second.str("status") != "waiting" {
			t.Fatalf("arrivals: %s / %s", first.Raw, second.Raw)
		}

		b.want(b.do("GET", "/v1/public/queue/not-a-token/events", "", nil), 404, "not_found")

		res, err := http.Get(b.srv.URL + "/v1/public/queue/" + second.str("token") + "/events")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("stream answered %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		events := make(chan map[string]any)
		go func() {
			defer close(events)
			sc := bufio.NewScanner(res.Body)
			name := ""
			for sc.Scan() {
				line := sc.Text()
				if v, ok := strings.CutPrefix(line, "event: "); ok {
					name = v
				}
				if v, ok := strings.CutPrefix(line, "data: "); ok {
					var st map[string]any
					if err := json.Unmarshal([]byte(v), &st); err != nil || name != "status" {
						st = map[string]any{"broken": line, "event": name}
					}
					events <- st
				}
			}
		}()
		next := func() map[string]any {
			t.Helper()
			select {
			case st, ok := <-events:
				if !ok {
					t.Fatal("the stream ended early")
				}
				return st
			case <-time.After(time.Minute):
				t.Fatal("no event in a minute")
			}
			return nil
		}
		if st := next(); st["status"] != "waiting" || st["position"] != float64(1) {
			t.Fatalf("first event %v", st)
		}

		// Paying the first buyer's order frees the one slot.
		held := b.do("POST", "/v1/events/"+eid+"/orders", ten.Access, map[string]any{
			"buyer": map[string]any{"name": "Kim", "email": "kim@example.com"},
			"items": []any{map[string]any{"ticket_type_id": ttid, "quantity": 1}}, "queue_token": first.str("token")})
		b.want(held, 201, "")
		b.want(b.do("POST", "/v1/orders/"+held.str("id")+"/pay", ten.Access, map[string]any{"method": "manual"}), 200, "")
		if st := next(); st["status"] != "active" || st["expires_at"] == nil {
			t.Fatalf("after the slot freed: %v", st)
		}
		select {
		case st, ok := <-events:
			if ok {
				t.Fatalf("the stream went on after admission: %v", st)
			}
		case <-time.After(time.Minute):
			t.Fatal("the stream did not end after admission")
		}
	})
}
