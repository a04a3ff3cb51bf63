package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/gate"
	"github.com/usher-events/usher/internal/gatenode"
)

// TestOnlineNodeRefusesTicketAdmittedElsewhere: a gate node that is
// online learns the admissions made at the server and at other nodes, so a
// shared ticket is refused at the second place instead of admitted twice.
func TestOnlineNodeRefusesTicketAdmittedElsewhere(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Node Org", "node@example.com")
		eid, _, _, tickets := b.gateEvent(own.Access, "Node Fest", 3)
		key := b.gateKey(own.Access)
		gateID := b.mainGate(own.Access, eid)
		b.want(b.do("POST", "/v1/checkins", key, map[string]any{"code": tickets[0].Code, "gate_id": gateID}), 200, "")

		ctx := context.Background()
		open := func() *gatenode.Node {
			return b.syncedNode(t, eid, key)
		}
		scan := func(n *gatenode.Node, code string) error {
			_, err := n.Scan(ctx, gate.ScanInput{Code: code, GateID: gateID})
			return err
		}
		a, other := open(), open()
		if err := scan(a, tickets[0].Code); !fault.Is(err, fault.AlreadyCheckedIn) {
			t.Fatalf("ticket admitted at the server, scanned at an online node: %v, want already_checked_in", err)
		}
		if err := scan(a, tickets[1].Code); err != nil {
			t.Fatalf("fresh ticket at node a: %v", err)
		}
		if err := a.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if err := other.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if err := scan(other, tickets[1].Code); !fault.Is(err, fault.AlreadyCheckedIn) {
			t.Fatalf("ticket admitted at node a, scanned at node b after both synced: %v, want already_checked_in", err)
		}
		if err := scan(other, tickets[2].Code); err != nil {
			t.Fatalf("fresh ticket at node b: %v", err)
		}
		cf := b.do("GET", "/v1/events/"+eid+"/checkins/conflicts", key, nil)
		b.want(cf, 200, "")
		if n := len(cf.Body["data"].([]any)); n != 0 {
			t.Fatalf("conflicts = %s", cf.Raw)
		}
	})
}

// TestScanIDReusedForAnotherTicket: a scan_id sent again with another
// ticket (a scanner whose counter restarted) must not replay the first
// ticket's "admitted"; the same scan sent again still replays.
func TestScanIDReusedForAnotherTicket(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Reuse Org", "reuse@example.com")
		eid, _, _, tickets := b.gateEvent(own.Access, "Reuse Fest", 2)
		key := b.gateKey(own.Access)
		gateID := b.mainGate(own.Access, eid)
		first := map[string]any{"code": tickets[0].Code, "gate_id": gateID, "scan_id": "scanner-1"}
		b.want(b.do("POST", "/v1/checkins", key, first), 200, "")
		again := b.do("POST", "/v1/checkins", key, first)
		b.want(again, 200, "")
		if again.Body["replayed"] != true {
			t.Fatalf("same scan again = %s", again.Raw)
		}
		other := b.do("POST", "/v1/checkins", key, map[string]any{"code": tickets[1].Code, "gate_id": gateID, "scan_id": "scanner-1"})
		b.want(other, 422, "idempotency_key_reused")
		b.want(b.do("POST", "/v1/checkins", key, map[string]any{"code": "garbage", "gate_id": gateID, "scan_id": "scanner-1"}), 422, "idempotency_key_reused")

		ctx := context.Background()
		n := b.syncedNode(t, eid, key)
		if _, err := n.Scan(ctx, gate.ScanInput{Code: tickets[1].Code, GateID: gateID, ScanID: "tablet-1"}); err != nil {
			t.Fatal(err)
		}
		if r, err := n.Scan(ctx, gate.ScanInput{Code: tickets[1].Code, GateID: gateID, ScanID: "tablet-1"}); err != nil || !r.Replayed {
			t.Fatalf("same scan again at the node = %+v, %v", r, err)
		}
		if _, err := n.Scan(ctx, gate.ScanInput{Code: tickets[0].Code, GateID: gateID, ScanID: "tablet-1"}); !fault.Is(err, fault.IdempotencyRe) {
			t.Fatalf("another ticket with a used scan_id at the node: %v, want idempotency_key_reused", err)
		}
	})
}

// TestFutureScannedAtCountsAsNow: a tablet whose clock is years ahead
// must not leave its scans in the dashboard's "last minutes" for good (the
// per-minute rate and the arrival curve), online or pushed by a node.
func TestFutureScannedAtCountsAsNow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Clock Org", "clock@example.com")
		eid, _, _, tickets := b.gateEvent(own.Access, "Clock Fest", 2)
		key := b.gateKey(own.Access)
		gateID := b.mainGate(own.Access, eid)
		ok := b.do("POST", "/v1/checkins", key, map[string]any{"code": tickets[0].Code, "gate_id": gateID, "scanned_at": "9999-12-31T23:59:59Z"})
		b.want(ok, 200, "")
		push := b.do("POST", "/v1/events/"+eid+"/checkins/batch", key, map[string]any{"source": "node:test", "scans": []any{
			map[string]any{"scan_id": "n-1", "code": tickets[1].Code, "gate_id": gateID, "direction": "in", "scanned_at": "9999-12-31T23:59:59Z", "result": "admitted"},
		}})
		b.want(push, 200, "")
		latest := time.Now().Add(gate.MaxClockSkew)
		all := b.do("GET", "/v1/events/"+eid+"/checkins", key, nil)
		b.want(all, 200, "")
		for _, raw := range all.Body["data"].([]any) {
			at, err := time.Parse(time.RFC3339Nano, raw.(map[string]any)["scanned_at"].(string))
			if err != nil || at.After(latest) {
				t.Fatalf("recorded scanned_at %v (%v), want at most now: %s", at, err, all.Raw)
			}
		}
		st := b.do("GET", "/v1/events/"+eid+"/checkins/stats", key, nil)
		for _, raw := range st.Body["arrivals"].([]any) {
			at, _ := time.Parse(time.RFC3339, raw.(map[string]any)["minute"].(string))
			if at.After(latest) {
				t.Fatalf("arrival curve has a point at %v: %s", at, st.Raw)
			}
		}
	})
}

// TestNodePushShrinksARefusedBatch journals hundreds of scans whose codes
// are long runs of control characters (each written as six bytes in JSON),
// so that one batch of them is over the server's 1 MiB, then a real
// ticket: the push sends smaller batches instead of trying the one refused
// batch for ever, and the ticket's scan reaches the server.
func TestNodePushShrinksARefusedBatch(t *testing.T) {
	b := setup(t, db.SQLite)
	own := b.signup("Push Org", "push@example.com")
	eid, _, _, tickets := b.gateEvent(own.Access, "Push Fest", 1)
	key := b.gateKey(own.Access)
	gateID := b.mainGate(own.Access, eid)
	ctx := context.Background()
	n := b.syncedNode(t, eid, key)
	junk := strings.Repeat("\x01", 990)
	for i := range 300 {
		n.Scan(ctx, gate.ScanInput{Code: fmt.Sprintf("%s%04d", junk, i), GateID: gateID}) // refused at the node, journaled
	}
	if _, err := n.Scan(ctx, gate.ScanInput{Code: tickets[0].Code, GateID: gateID}); err != nil {
		t.Fatal(err)
	}
	if st := n.Status(ctx); st.Pending != 301 {
		t.Fatalf("pending before the push: %d, want 301", st.Pending)
	}
	if err := n.SyncOnce(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if st := n.Status(ctx); st.Pending != 0 || st.Refused != 0 {
		t.Fatalf("after the push: %d pending, %d refused", st.Pending, st.Refused)
	}
	stats := b.do("GET", "/v1/events/"+eid+"/checkins/stats", key, nil)
	b.want(stats, 200, "")
	if stats.Body["admitted"] != float64(1) {
		t.Fatalf("the server has %v admitted, want the ticket scanned after the junk: %s", stats.Body["admitted"], stats.Raw)
	}
}

// TestGateTicketTypesMustBeTheEvents: a gate, a change of its ticket types
// and the staff badge types name only ticket types of the event (422 per
// field otherwise), since a mistyped id would make the gate refuse every
// ticket.
func TestGateTicketTypesMustBeTheEvents(t *testing.T) {
	b := setup(t, db.SQLite)
	own := b.signup("Types Org", "types@example.com")
	eid, own1, _, _ := b.gateEvent(own.Access, "Types Fest", 1)
	_, foreign, _, _ := b.gateEvent(own.Access, "Other Fest", 1)

	bad := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "VIP", "kind": "vip", "ticket_type_ids": []string{own1, foreign}})
	b.want(bad, 422, "validation_failed")
	if !strings.Contains(string(bad.Raw), `"field":"ticket_type_ids[1]"`) {
		t.Fatalf("the refusal does not name the field: %s", bad.Raw)
	}
	g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "VIP", "kind": "vip", "ticket_type_ids": []string{own1}})
	b.want(g, 201, "")
	b.want(b.do("PATCH", "/v1/gates/"+g.str("id"), own.Access, map[string]any{"ticket_type_ids": []string{"tty_typo"}}), 422, "validation_failed")
	b.want(b.do("PUT", "/v1/events/"+eid+"/gate-settings", own.Access, map[string]any{"reentry": "single", "staff_ticket_type_ids": []string{foreign}}), 422, "validation_failed")
	b.want(b.do("PUT", "/v1/events/"+eid+"/gate-settings", own.Access, map[string]any{"reentry": "single", "staff_ticket_type_ids": []string{own1}}), 200, "")
	got := b.do("GET", "/v1/gates/"+g.str("id"), own.Access, nil)
	if ids, _ := got.Body["ticket_type_ids"].([]any); len(ids) != 1 || ids[0] != own1 {
		t.Fatalf("the refused change changed the gate: %s", got.Raw)
	}
}

// TestNodeListsGatesInOrder: a gate node lists the event's gates as the
// server does (by id, their creation order), on every load.
func TestNodeListsGatesInOrder(t *testing.T) {
	b := setup(t, db.SQLite)
	own := b.signup("Order Org", "gates-order@example.com")
	eid, _, _, _ := b.gateEvent(own.Access, "Order Fest", 1)
	key := b.gateKey(own.Access)
	var want []string
	for _, name := range []string{"Main 1", "Main 2", "Main 3", "VIP", "Staff", "Exit A", "Exit B"} {
		g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": name, "kind": "main"})
		b.want(g, 201, "")
		want = append(want, g.str("id"))
	}
	n := b.syncedNode(t, eid, key)
	node := httptest.NewServer(n.Handler())
	defer node.Close()
	for range 10 {
		req, _ := http.NewRequest("GET", node.URL+"/v1/events/"+eid+"/gates", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Data []struct{ ID string } `json:"data"`
		}
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		var got []string
		for _, g := range out.Data {
			got = append(got, g.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("the node lists %v, want %v", got, want)
		}
	}
}
