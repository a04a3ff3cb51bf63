package app_test

import (
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A draft event's waiting room hands out no tokens (the event is not public
// yet: 404, as without a room), and does once the event is published; the
// opening of a room buyers have joined cannot move (409), while the rest of
// its settings can.
func TestWaitingRoomDraftsAndOpening(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tok := b.signup("Room Rules", "owner@room-rules.example").Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Not yet public"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		b.want(b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "General", "price": 1000, "currency": "KRW", "quota": 10}), 201, "")
		room := map[string]any{"enabled": true, "admit_per_minute": 60, "max_active": 10, "active_ttl_seconds": 600}
		b.want(b.do("PUT", "/v1/events/"+eid+"/waiting-room", tok, room), 200, "")
		join := func() *response {
			return b.do("POST", "/v1/public/events/"+eid+"/queue", "", map[string]any{"client_id": "early-bird"})
		}
		b.want(join(), 404, "not_found")
		if r := b.do("GET", "/v1/events/"+eid+"/waiting-room", tok, nil); r.Body["joined"] != float64(0) {
			t.Fatalf("a refused join was counted: %s", r.Raw)
		}
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")
		j := join()
		b.want(j, 201, "")
		if j.str("status") != "active" {
			t.Fatalf("the first buyer after publishing: %s", j.Raw)
		}

		room["opens_at"] = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		b.want(b.do("PUT", "/v1/events/"+eid+"/waiting-room", tok, room), 409, "invalid_transition")
		delete(room, "opens_at")
		room["max_active"] = 20
		r := b.do("PUT", "/v1/events/"+eid+"/waiting-room", tok, room)
		b.want(r, 200, "")
		if r.Body["max_active"] != float64(20) {
			t.Fatalf("room after the change: %s", r.Raw)
		}
		if st := b.do("GET", "/v1/public/queue/"+j.str("token"), "", nil); st.str("status") != "active" {
			t.Fatalf("the admitted buyer after the room changed: %s", st.Raw)
		}
	})
}
