package app_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestGateRows drives the API.md rows for gates and check-in.
func TestGateRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Gate Org", "gate@example.com")
		eid, general, vip, tickets := b.gateEvent(own.Access, "Gate Fest", 6)
		vipTickets := b.buyTickets(own.Access, eid, vip, 1)
		key := b.gateKey(own.Access)

		main := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Main 1", "kind": "main"})
		b.want(main, 201, "")
		if main.str("id") == "" || main.str("kind") != "main" {
			t.Fatalf("gate = %s", main.Raw)
		}
		vipGate := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "VIP", "kind": "vip", "ticket_type_ids": []string{vip}})
		b.want(vipGate, 201, "")
		b.want(b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "X", "kind": "side"}), 422, "validation_failed")
		b.want(b.do("POST", "/v1/events/evt_nope/gates", own.Access, map[string]any{"name": "X", "kind": "main"}), 404, "not_found")
		list := b.do("GET", "/v1/events/"+eid+"/gates", key, nil)
		b.want(list, 200, "")
		if n := len(list.Body["data"].([]any)); n != 2 {
			t.Fatalf("gates = %s", list.Raw)
		}
		b.want(b.do("GET", "/v1/gates/"+main.str("id"), key, nil), 200, "")
		renamed := b.do("PATCH", "/v1/gates/"+main.str("id"), own.Access, map[string]any{"name": "Main gate 1"})
		b.want(renamed, 200, "")
		if renamed.str("name") != "Main gate 1" {
			t.Fatalf("patched gate = %s", renamed.Raw)
		}

		scan := func(token, code, gateID string, extra ...any) *response {
			body := map[string]any{"code": code, "gate_id": gateID}
			for i := 0; i+1 < len(extra); i += 2 {
				body[extra[i].(string)] = extra[i+1]
			}
			return b.do("POST", "/v1/checkins", token, body)
		}
		ok := scan(key, tickets[0].Code, main.str("id"), "scan_id", "dev1-0001", "device_id", "dev1")
		b.want(ok, 200, "")
		if ok.str("result") != "admitted" || ok.obj("ticket")["id"] != tickets[0].ID || ok.obj("ticket")["attendee_name"] != "Kim Minji" ||
			ok.obj("ticket")["ticket_type_name"] != "General" {
			t.Fatalf("admitted = %s", ok.Raw)
		}
		// The same scan again: the first answer, counted once.
		again := scan(key, tickets[0].Code, main.str("id"), "scan_id", "dev1-0001", "device_id", "dev1")
		b.want(again, 200, "")
		if again.str("checkin_id") != ok.str("checkin_id") || again.Body["replayed"] != true {
			t.Fatalf("replay = %s", again.Raw)
		}
		b.want(scan(key, tickets[0].Code, main.str("id"), "scan_id", "dev1-0002"), 409, "already_checked_in")
		// A refusal replays as the same refusal.
		b.want(scan(key, tickets[0].Code, main.str("id"), "scan_id", "dev1-0002"), 409, "already_checked_in")
		b.want(scan(key, tickets[1].Code, vipGate.str("id")), 403, "wrong_gate")
		b.want(scan(key, vipTickets[0].Code, vipGate.str("id")), 200, "")
		b.want(scan(key, "1NOTATICKET", main.str("id")), 422, "invalid_ticket")
		b.want(scan(key, tickets[1].Code[:len(tickets[1].Code)-2]+"AA", main.str("id")), 422, "invalid_ticket")
		b.want(scan(key, tickets[1].Code, "gat_nope"), 404, "not_found")
		b.want(scan(key, tickets[1].Code, main.str("id"), "direction", "sideways"), 422, "validation_failed")

		// Revoked: the order is cancelled.
		rev := b.buyTickets(own.Access, eid, general, 1)
		b.want(b.do("POST", "/v1/orders/"+rev[0].OrderID+"/cancel", own.Access, nil), 200, "")
		b.want(scan(key, rev[0].Code, main.str("id")), 410, "ticket_revoked")

		// Not valid yet: a ticket of an event next year.
		later, _ := b.publishedEvent(own.Access, "Next Year", 5)
		tts := b.do("GET", "/v1/events/"+later+"/ticket-types", own.Access, nil)
		laterTT := tts.Body["data"].([]any)[0].(map[string]any)["id"].(string)
		future := b.buyTickets(own.Access, later, laterTT, 1)
		laterGate := b.do("POST", "/v1/events/"+later+"/gates", own.Access, map[string]any{"name": "Main", "kind": "main"})
		b.want(laterGate, 201, "")
		b.want(scan(key, future[0].Code, laterGate.str("id")), 422, "not_valid_yet")
		// A ticket of another event at this event's gate is not ours.
		b.want(scan(key, future[0].Code, main.str("id")), 422, "invalid_ticket")

		// Roles: a viewer may not scan.
		viewer := b.do("POST", "/v1/api-keys", own.Access, map[string]any{"name": "v", "role": "viewer"})
		b.want(scan(viewer.str("key"), tickets[2].Code, main.str("id")), 403, "forbidden")
		b.want(scan("", tickets[2].Code, main.str("id")), 401, "unauthorized")

		// Opening hours.
		b.want(b.do("PATCH", "/v1/gates/"+main.str("id"), own.Access, map[string]any{"opens_at": "2099-01-01T00:00:00Z"}), 200, "")
		b.want(scan(key, tickets[2].Code, main.str("id")), 403, "gate_closed")
		b.want(b.do("PATCH", "/v1/gates/"+main.str("id"), own.Access, map[string]any{"clear_hours": true}), 200, "")
		b.want(scan(key, tickets[2].Code, main.str("id")), 200, "")

		stats := b.do("GET", "/v1/events/"+eid+"/checkins/stats", key, nil)
		b.want(stats, 200, "")
		if stats.Body["inside"] != float64(3) || stats.Body["admitted"] != float64(3) {
			t.Fatalf("stats = %s", stats.Raw)
		}
		perGate := stats.Body["per_gate"].([]any)
		if len(perGate) != 2 {
			t.Fatalf("per_gate = %s", stats.Raw)
		}
		g0 := perGate[0].(map[string]any)
		if g0["gate_id"] != main.str("id") || g0["admitted"] != float64(2) || g0["per_minute"].(float64) <= 0 {
			t.Fatalf("per_gate[0] = %v", g0)
		}

		// In/out re-entry.
		b.want(b.do("PUT", "/v1/events/"+eid+"/gate-settings", own.Access, map[string]any{"reentry": "inout"}), 200, "")
		b.want(scan(key, tickets[0].Code, main.str("id"), "direction", "out"), 200, "")
		b.want(scan(key, tickets[0].Code, main.str("id"), "direction", "out"), 409, "not_inside")
		b.want(scan(key, tickets[0].Code, main.str("id")), 200, "")
		b.want(scan(key, tickets[0].Code, main.str("id")), 409, "already_checked_in")
		if s := b.do("GET", "/v1/events/"+eid+"/checkins/stats", key, nil); s.Body["inside"] != float64(3) {
			t.Fatalf("inside after out and in = %s", s.Raw)
		}

		// Staff badges: the VIP type becomes a badge type; a staff gate
		// then admits only badges.
		b.want(b.do("PUT", "/v1/events/"+eid+"/gate-settings", own.Access, map[string]any{"reentry": "single", "staff_ticket_type_ids": []string{vip}}), 200, "")
		staffGate := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Staff", "kind": "staff"})
		b.want(staffGate, 201, "")
		b.want(scan(key, tickets[3].Code, staffGate.str("id")), 403, "wrong_gate")
	})
}

// TestCheckinConcurrentScansAdmitOnce scans one ticket from many devices at
// once: exactly one admission.
func TestCheckinConcurrentScansAdmitOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Race Org", "race@example.com")
		eid, _, _, tickets := b.gateEvent(own.Access, "Race", 1)
		g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Main", "kind": "main"})
		b.want(g, 201, "")
		var wg sync.WaitGroup
		codes := make([]int, 16)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := b.do("POST", "/v1/checkins", own.Access, map[string]any{"code": tickets[0].Code, "gate_id": g.str("id"), "scan_id": fmt.Sprintf("race-%d", i)})
				codes[i] = r.Status
			}()
		}
		wg.Wait()
		admitted := 0
		for _, c := range codes {
			switch c {
			case 200:
				admitted++
			case 409:
			default:
				t.Fatalf("statuses = %v", codes)
			}
		}
		if admitted != 1 {
			t.Fatalf("admitted %d times: %v", admitted, codes)
		}
	})
}

// TestCheckinBatchAndConflicts pushes offline scans twice (idempotent) and
// an admission that collides with one the server made.
func TestCheckinBatchAndConflicts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Batch Org", "batch@example.com")
		eid, _, _, tickets := b.gateEvent(own.Access, "Batch", 3)
		key := b.gateKey(own.Access)
		g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Main", "kind": "main"})
		b.want(b.do("POST", "/v1/checkins", key, map[string]any{"code": tickets[0].Code, "gate_id": g.str("id")}), 200, "")
		push := map[string]any{"source": "node:test", "scans": []any{
			map[string]any{"scan_id": "n-1", "code": tickets[0].Code, "gate_id": g.str("id"), "direction": "in", "scanned_at": "2026-01-01T10:00:00Z", "result": "admitted"},
			map[string]any{"scan_id": "n-2", "code": tickets[1].Code, "gate_id": g.str("id"), "direction": "in", "scanned_at": "2026-01-01T10:00:01Z", "result": "admitted"},
			map[string]any{"scan_id": "n-3", "code": "garbage", "gate_id": g.str("id"), "direction": "in", "scanned_at": "2026-01-01T10:00:02Z", "result": "invalid_ticket"},
			map[string]any{"scan_id": "n-4", "code": tickets[2].Code, "gate_id": "gat_other", "direction": "in", "scanned_at": "2026-01-01T10:00:03Z", "result": "admitted"},
		}}
		first := b.do("POST", "/v1/events/"+eid+"/checkins/batch", key, push)
		b.want(first, 200, "")
		res := first.Body["results"].([]any)
		status := func(i int) string { return res[i].(map[string]any)["status"].(string) }
		if status(0) != "recorded" || res[0].(map[string]any)["conflict"] != true || status(1) != "recorded" || status(2) != "recorded" || status(3) != "rejected" ||
			res[1].(map[string]any)["ticket_type_name"] != "General" {
			t.Fatalf("first push = %s", first.Raw)
		}
		second := b.do("POST", "/v1/events/"+eid+"/checkins/batch", key, push)
		b.want(second, 200, "")
		for i, r := range second.Body["results"].([]any)[:3] {
			if r.(map[string]any)["status"] != "duplicate" {
				t.Fatalf("second push [%d] = %s", i, second.Raw)
			}
		}
		cf := b.do("GET", "/v1/events/"+eid+"/checkins/conflicts", key, nil)
		b.want(cf, 200, "")
		data := cf.Body["data"].([]any)
		if len(data) != 1 || data[0].(map[string]any)["ticket_id"] != tickets[0].ID {
			t.Fatalf("conflicts = %s", cf.Raw)
		}
		st := b.do("GET", "/v1/events/"+eid+"/checkins/stats", key, nil)
		if st.Body["admitted"] != float64(2) || st.Body["conflicts"] != float64(1) {
			t.Fatalf("stats = %s", st.Raw)
		}
		all := b.do("GET", "/v1/events/"+eid+"/checkins?limit=200", key, nil)
		if n := len(all.Body["data"].([]any)); n != 4 {
			t.Fatalf("checkins = %d: %s", n, all.Raw)
		}
	})
}

// TestDevicesBeaconsAlerts pairs a device, sends heartbeats and reads the
// alerts they raise.
func TestDevicesBeaconsAlerts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Device Org", "device@example.com")
		eid, _, _, tickets := b.gateEvent(own.Access, "Devices", 1)
		g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Main", "kind": "main"})
		pc := b.do("POST", "/v1/devices/pairing-codes", own.Access, map[string]any{"gate_id": g.str("id")})
		b.want(pc, 201, "")
		paired := b.do("POST", "/v1/public/devices/pair", "", map[string]any{"code": pc.str("code"), "name": "Tablet 1"})
		b.want(paired, 201, "")
		b.want(b.do("POST", "/v1/public/devices/pair", "", map[string]any{"code": pc.str("code"), "name": "Tablet 2"}), 404, "not_found")
		tok, dev := paired.str("token"), paired.str("device_id")
		if paired.str("gate_id") != g.str("id") || tok == "" {
			t.Fatalf("paired = %s", paired.Raw)
		}
		b.want(b.do("POST", "/v1/checkins", tok, map[string]any{"code": tickets[0].Code, "gate_id": g.str("id"), "device_id": dev}), 200, "")
		b.want(b.do("POST", "/v1/devices/"+dev+"/heartbeat", tok, map[string]any{"battery_pct": 15, "app_state": "scanning"}), 204, "")
		b.want(b.do("POST", "/v1/devices/"+dev+"/heartbeat", tok, map[string]any{"battery_pct": 14}), 204, "")
		b.want(b.do("POST", "/v1/devices/"+dev+"/heartbeat", tok, map[string]any{"battery_pct": 101}), 422, "validation_failed")
		// A device or beacon the tenant never registered joins with its
		// first heartbeat; another tenant's stays not found.
		b.want(b.do("POST", "/v1/devices/tablet-07/heartbeat", tok, map[string]any{"battery_pct": 50}), 204, "")
		b.want(b.do("POST", "/v1/beacons/beacon-9/heartbeat", tok, map[string]any{"battery_pct": 50, "rssi": -60}), 204, "")
		stranger := b.signup("Other gates", "other-gates@example.com")
		b.want(b.do("POST", "/v1/devices/"+dev+"/heartbeat", stranger.Access, map[string]any{"battery_pct": 50}), 404, "not_found")
		b.want(b.do("POST", "/v1/devices/tablet-07/heartbeat", stranger.Access, map[string]any{"battery_pct": 50}), 404, "not_found")
		bc := b.do("POST", "/v1/events/"+eid+"/beacons", own.Access, map[string]any{"name": "B1", "location": "Gate 1 pillar", "gate_id": g.str("id")})
		b.want(bc, 201, "")
		b.want(b.do("POST", "/v1/beacons/"+bc.str("id")+"/heartbeat", tok, map[string]any{"battery_pct": 80, "rssi": -120, "tx_power": -4}), 204, "")
		al := b.do("GET", "/v1/events/"+eid+"/alerts", own.Access, nil)
		b.want(al, 200, "")
		rules := map[string]bool{}
		for _, a := range al.Body["data"].([]any) {
			rules[a.(map[string]any)["rule"].(string)] = true
		}
		if len(al.Body["data"].([]any)) != 2 || !rules["battery_low"] || !rules["rssi_out_of_range"] {
			t.Fatalf("alerts = %s", al.Raw)
		}
		// Back in range closes the episode.
		b.want(b.do("POST", "/v1/devices/"+dev+"/heartbeat", tok, map[string]any{"battery_pct": 90}), 204, "")
		if al := b.do("GET", "/v1/events/"+eid+"/alerts", own.Access, nil); len(al.Body["data"].([]any)) != 1 {
			t.Fatalf("alerts after recharge = %s", al.Raw)
		}
		var n int
		b.app.DB().Read(t.Context(), func(tx *db.Tx) error {
			return tx.Get(&n, `SELECT COUNT(*) FROM outbox WHERE kind = 'device.alert'`)
		})
		if n != 2 {
			t.Fatalf("device.alert events = %d, want one per episode (2)", n)
		}
	})
}
