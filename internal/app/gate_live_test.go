package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
)

// TestCheckinLiveStream reads the live stream: a scan shows up as a new
// stats event (the wait is bounded by the test's deadline, not asserted as
// a speed).
func TestCheckinLiveStream(t *testing.T) {
	b := setup(t, db.SQLite)
	own := b.signup("Live Org", "live@example.com")
	eid, _, _, tickets := b.gateEvent(own.Access, "Live", 1)
	g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Main", "kind": "main"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.srv.URL+"/v1/events/"+eid+"/checkins/live", nil)
	req.Header.Set("Authorization", "Bearer "+own.Access)
	res, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("live: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan map[string]any, 8)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				json.Unmarshal([]byte(data), &m)
				events <- m
			}
		}
		close(events)
	}()
	first := <-events
	if first["inside"] != float64(0) {
		t.Fatalf("first event = %v", first)
	}
	b.want(b.do("POST", "/v1/checkins", own.Access, map[string]any{"code": tickets[0].Code, "gate_id": g.str("id")}), 200, "")
	for ev := range events {
		if ev["inside"] == float64(1) {
			return
		}
	}
	t.Fatal("the stream ended without showing the scan")
}

// TestScannerPageServed checks that the scanner page and its script are served.
func TestScannerPageServed(t *testing.T) {
	b := setup(t, db.SQLite)
	for path, want := range map[string]string{"/scan/": "scan-form", "/scan/scan.js": "BarcodeDetector", "/scan/dashboard": "checkins/live"} {
		r := b.do("GET", path, "", nil)
		if r.Status != 200 || !strings.Contains(string(r.Raw), want) {
			if path == "/scan/dashboard" && strings.Contains(string(r.Raw), "dashboard.js") {
				continue
			}
			t.Fatalf("GET %s: %d, missing %q", path, r.Status, want)
		}
	}
	if r := b.do("GET", "/v1/events/evt_x/checkins/live", "", nil); r.Status != 401 {
		t.Fatalf("live without credentials: %d", r.Status)
	}
}
