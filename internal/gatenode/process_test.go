package gatenode_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOfflineNodesSurviveKillAndSync is the gate's drill with real
// processes: two gate nodes sync an event, the server goes away, node A
// scans 1,000 tickets (and is killed with SIGKILL half-way, then restarted),
// node B scans some of the same tickets and some others, the server comes
// back, and then every answered scan is on the server exactly once and each
// ticket admitted at both nodes is listed as a conflict.
func TestOfflineNodesSurviveKillAndSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the usher binary")
	}
	bin := filepath.Join(t.TempDir(), "usher")
	build := exec.Command("go", "build", "-o", bin, "github.com/usher-events/usher/cmd/usher")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	serverAddr := freeAddr(t)
	serverURL := "http://" + serverAddr
	serverDir := t.TempDir()
	startServer := func() *exec.Cmd {
		return start(t, bin, "serve", "--addr", serverAddr, "--data-dir", serverDir)
	}
	server := startServer()
	waitFor(t, "server", func() bool { return get(serverURL+"/healthz", "", nil) == 200 })

	// An event with 1,050 paid tickets, two gates and a gate key.
	c := &client{base: serverURL, t: t}
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	c.must("POST", "/v1/signup", map[string]any{"organization": "Drill", "email": "drill@example.com", "password": "drill password 1"}, &signup, 201)
	c.token = signup.AccessToken
	var key, ev, tt, gateA, gateB struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	c.must("POST", "/v1/api-keys", map[string]any{"name": "gate nodes", "role": "gate"}, &key, 201)
	now := time.Now().UTC()
	c.must("POST", "/v1/events", map[string]any{"name": "Drill", "starts_at": now.Add(-time.Hour), "ends_at": now.Add(6 * time.Hour),
		"timezone": "Asia/Seoul", "venue": "Hall", "capacity": 2000}, &ev, 201)
	c.must("POST", "/v1/events/"+ev.ID+"/ticket-types", map[string]any{"name": "General", "price": 0, "currency": "KRW", "quota": 1100, "max_per_order": 100}, &tt, 201)
	c.must("POST", "/v1/events/"+ev.ID+"/publish", nil, nil, 200)
	c.must("POST", "/v1/events/"+ev.ID+"/gates", map[string]any{"name": "North", "kind": "main"}, &gateA, 201)
	c.must("POST", "/v1/events/"+ev.ID+"/gates", map[string]any{"name": "South", "kind": "main"}, &gateB, 201)
	type tk struct{ ID, Code string }
	var tickets []tk
	for len(tickets) < 1050 {
		var ord struct{ ID string }
		c.must("POST", "/v1/events/"+ev.ID+"/orders", map[string]any{"buyer": map[string]any{"name": "Drill Guest", "email": "guest@example.com"},
			"items": []any{map[string]any{"ticket_type_id": tt.ID, "quantity": 100}}}, &ord, 201)
		var paid struct{ Tickets []tk }
		c.must("POST", "/v1/orders/"+ord.ID+"/pay", map[string]any{"method": "manual"}, &paid, 200)
		tickets = append(tickets, paid.Tickets...)
	}

	// Two nodes sync while the server is up.
	type node struct {
		name, addr, dir string
		cmd             *exec.Cmd
	}
	startNode := func(n *node) {
		n.cmd = start(t, bin, "gate", "--server", serverURL, "--token", key.Key, "--event", ev.ID, "--data-dir", n.dir,
			"--addr", n.addr, "--sync-interval", "100ms", "--max-backoff", "500ms")
	}
	status := func(n *node) (st struct {
		Online  bool `json:"online"`
		Pending int  `json:"pending"`
		Tickets int  `json:"tickets"`
		Keys    int  `json:"keys"`
		Gates   int  `json:"gates"`
	}) {
		get("http://"+n.addr+"/status", "", &st)
		return st
	}
	a := &node{name: "A", addr: freeAddr(t), dir: t.TempDir()}
	b := &node{name: "B", addr: freeAddr(t), dir: t.TempDir()}
	for _, n := range []*node{a, b} {
		startNode(n)
		waitFor(t, "node "+n.name+" synced", func() bool {
			st := status(n)
			return st.Online && st.Tickets == len(tickets) && st.Keys > 0 && st.Gates == 2
		})
	}

	// The server goes away.
	stop(t, server)
	for _, n := range []*node{a, b} {
		waitFor(t, "node "+n.name+" offline", func() bool { return !status(n).Online })
	}

	answered := map[string]bool{}
	admitted := map[string]int{} // ticket id → admissions across nodes
	scan := func(n *node, gateID string, k int, scanID string) bool {
		var out struct {
			Result   string `json:"result"`
			Replayed bool   `json:"replayed"`
		}
		st := post("http://"+n.addr+"/v1/checkins", key.Key, map[string]any{"code": tickets[k].Code, "gate_id": gateID, "scan_id": scanID, "device_id": "tablet-" + n.name}, &out)
		if st == 0 {
			return false
		}
		if st != 200 && st != 409 {
			t.Fatalf("scan %s at node %s: status %d", scanID, n.name, st)
		}
		if !answered[scanID] && st == 200 {
			admitted[tickets[k].ID]++
		}
		answered[scanID] = true
		return true
	}
	// Node A: 1,000 tickets, killed with SIGKILL after 500.
	for k := 0; k < 500; k++ {
		scan(a, gateA.ID, k, fmt.Sprintf("A-%04d", k))
	}
	if err := a.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	a.cmd.Wait()
	startNode(a)
	waitFor(t, "node A back", func() bool { return get("http://"+a.addr+"/healthz", "", nil) == 200 })
	// The journal survived: the last answer before the kill replays, and
	// its ticket is still inside.
	// The restarted node, still offline, names the ticket type from its
	// journal.
	var replay struct {
		Replayed bool `json:"replayed"`
		Ticket   struct {
			TicketTypeName string `json:"ticket_type_name"`
		} `json:"ticket"`
	}
	if st := post("http://"+a.addr+"/v1/checkins", key.Key, map[string]any{"code": tickets[499].Code, "gate_id": gateA.ID, "scan_id": "A-0499"}, &replay); st != 200 || !replay.Replayed || replay.Ticket.TicketTypeName != "General" {
		t.Fatalf("replay after kill: %d %+v", st, replay)
	}
	if st := post("http://"+a.addr+"/v1/checkins", key.Key, map[string]any{"code": tickets[499].Code, "gate_id": gateA.ID, "scan_id": "A-again"}, nil); st != 409 {
		t.Fatalf("rescan after kill: %d, want 409", st)
	}
	answered["A-again"] = true
	for k := 500; k < 1000; k++ {
		scan(a, gateA.ID, k, fmt.Sprintf("A-%04d", k))
	}
	// Node B: 40 tickets A also admitted, and 50 nobody else saw.
	for k := 960; k < 1050; k++ {
		scan(b, gateB.ID, k, fmt.Sprintf("B-%04d", k))
	}
	if n := status(a).Pending + status(b).Pending; n != len(answered) {
		t.Fatalf("pending at the nodes = %d, answered %d", n, len(answered))
	}

	// The server comes back; the nodes push by themselves.
	server = startServer()
	waitFor(t, "server back", func() bool { return get(serverURL+"/healthz", "", nil) == 200 })
	for _, n := range []*node{a, b} {
		waitFor(t, "node "+n.name+" pushed", func() bool { st := status(n); return st.Online && st.Pending == 0 })
	}

	// Every answered scan is on the server exactly once.
	seen := map[string]int{}
	cursor := ""
	for {
		var page struct {
			Data []struct {
				ScanID   string `json:"scan_id"`
				Result   string `json:"result"`
				Conflict bool   `json:"conflict"`
			} `json:"data"`
			NextCursor string `json:"next_cursor"`
		}
		c.must("GET", "/v1/events/"+ev.ID+"/checkins?limit=200&cursor="+cursor, nil, &page, 200)
		for _, r := range page.Data {
			seen[r.ScanID]++
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != len(answered) {
		t.Fatalf("server has %d scans, the nodes answered %d", len(seen), len(answered))
	}
	for id := range answered {
		if seen[id] != 1 {
			t.Fatalf("scan %s is on the server %d times", id, seen[id])
		}
	}
	var conflicts struct {
		Data []struct {
			TicketID string `json:"ticket_id"`
		} `json:"data"`
	}
	c.must("GET", "/v1/events/"+ev.ID+"/checkins/conflicts?limit=200", nil, &conflicts, 200)
	want := map[string]bool{}
	for id, n := range admitted {
		if n > 1 {
			want[id] = true
		}
	}
	if len(want) != 40 || len(conflicts.Data) != len(want) {
		t.Fatalf("conflicts = %d, want %d (tickets admitted at both nodes)", len(conflicts.Data), len(want))
	}
	for _, cf := range conflicts.Data {
		if !want[cf.TicketID] {
			t.Fatalf("conflict on %s, which only one node admitted", cf.TicketID)
		}
	}
	var stats struct {
		Admitted int `json:"admitted"`
	}
	c.must("GET", "/v1/events/"+ev.ID+"/checkins/stats", nil, &stats, 200)
	if stats.Admitted != 1050 {
		t.Fatalf("admitted tickets = %d, want 1050", stats.Admitted)
	}
}

// start runs the binary until the test ends.
func start(t *testing.T, bin string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--log-level", "warn"}, args...)...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%s %v:\n%s", filepath.Base(bin), args[0], logs.String())
		}
	})
	return cmd
}

// stop ends a process gracefully.
func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func do(method, url, token string, body, out any) int {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil {
		json.Unmarshal(raw, out)
	}
	return res.StatusCode
}

func get(url, token string, out any) int        { return do("GET", url, token, nil, out) }
func post(url, token string, body, out any) int { return do("POST", url, token, body, out) }

type client struct {
	base, token string
	t           *testing.T
}

func (c *client) must(method, path string, body, out any, want int) {
	c.t.Helper()
	if st := do(method, c.base+path, c.token, body, out); st != want {
		c.t.Fatalf("%s %s: status %d, want %d", method, path, st, want)
	}
}
