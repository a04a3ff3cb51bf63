package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-events/usher/internal/gate"
)

// TestScannerKeepsQueuedScanThroughServerErrors: a scan queued while
// offline stays queued when the check-in answers 503 (a proxy in front of a
// server that is restarting), and is sent again, with its scan_id, once the
// server answers.
func TestScannerKeepsQueuedScanThroughServerErrors(t *testing.T) {
	var up atomic.Bool
	var mu sync.Mutex
	var tries int
	var admitted []string
	mux := http.NewServeMux()
	mux.Handle("/scan/", gate.ScannerPage("/scan"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	mux.HandleFunc("POST /v1/checkins", func(w http.ResponseWriter, r *http.Request) {
		var in gate.ScanInput
		json.NewDecoder(r.Body).Decode(&in)
		mu.Lock()
		defer mu.Unlock()
		tries++
		if !up.Load() {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status":503,"code":"unavailable","detail":"restarting"}`))
			return
		}
		admitted = append(admitted, in.ScanID)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"result":"admitted","scan_id":"` + in.ScanID + `","ticket":{"attendee_name":"Kim"}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tab := headless(t)
	step(t, tab, "open the scanner", chromedp.Navigate(srv.URL+"/scan/"))
	read(t, tab, "queue a scan taken offline", chromedp.Evaluate[bool](`
		localStorage.setItem("usher.scan.cfg", JSON.stringify({token: "k", event: "evt_1", gate: "gat_1", device: "web-1"}));
		localStorage.setItem("usher.scan.queue", JSON.stringify([{code: "C", gate_id: "gat_1", direction: "in", scan_id: "queued-1", device_id: "web-1", scanned_at: new Date().toISOString()}]));
		true`))
	step(t, tab, "reload", chromedp.Navigate(srv.URL+"/scan/"))
	seen := func() int { mu.Lock(); defer mu.Unlock(); return tries }
	for start := time.Now(); seen() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > time.Minute {
			t.Fatal("the page never sent the queued scan")
		}
	}
	if n := read(t, tab, "queue after a 503", chromedp.Evaluate[int](`JSON.parse(localStorage.getItem("usher.scan.queue") || "[]").length`)); n != 1 {
		t.Fatalf("queued scans after a 503 = %d, want 1 (the scan was dropped)", n)
	}
	up.Store(true)
	read(t, tab, "the queue empties once the server answers", chromedp.Poll[bool](`JSON.parse(localStorage.getItem("usher.scan.queue") || "[]").length === 0`))
	mu.Lock()
	defer mu.Unlock()
	if len(admitted) != 1 || admitted[0] != "queued-1" {
		t.Fatalf("admitted scans = %v, want [queued-1]", admitted)
	}
}
