package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-events/usher/internal/app"
)

// TestBrowserQueueMovesOnWhenPushed puts a phone's browser in an event's
// queue behind one active buyer, frees that buyer's slot (a paid order) and
// checks that the waiting page moves on to registration by itself, told by
// the server's status stream: it opened the stream and never polled.
func TestBrowserQueueMovesOnWhenPushed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string // the waiting room's public requests, in order
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/public/queue/") {
			mu.Lock()
			seen = append(seen, r.URL.Path)
			mu.Unlock()
		}
		a.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		a.Close(ctx)
	})
	tab := headless(t)
	console := watchConsole(tab)

	tok := apiCall(t, srv, "POST", "/v1/signup", "", map[string]any{"organization": "Queue Push", "email": "queue@example.com", "password": strongPassword}, 201)["access_token"].(string)
	start := time.Now().Add(24 * time.Hour).UTC()
	ev := apiCall(t, srv, "POST", "/v1/events", tok, map[string]any{"name": "대기열 콘서트", "starts_at": start, "ends_at": start.Add(3 * time.Hour),
		"timezone": "Asia/Seoul", "venue": "Hall", "capacity": 100}, 201)["id"].(string)
	tt := apiCall(t, srv, "POST", "/v1/events/"+ev+"/ticket-types", tok, map[string]any{"name": "R", "price": 1000, "currency": "KRW", "quota": 50}, 201)["id"].(string)
	apiCall(t, srv, "POST", "/v1/events/"+ev+"/publish", tok, nil, 200)
	apiCall(t, srv, "PUT", "/v1/events/"+ev+"/waiting-room", tok, map[string]any{"enabled": true, "admit_per_minute": 6000, "max_active": 1, "active_ttl_seconds": 600}, 200)

	// The one active slot goes to a buyer who joined first.
	first := apiCall(t, srv, "POST", "/v1/public/events/"+ev+"/queue", "", map[string]any{"client_id": "first-buyer"}, 201)
	if first["status"] != "active" {
		t.Fatalf("the first to join is %v", first)
	}

	step(t, tab, "join on a phone",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(srv.URL+"/e/"+ev+"/queue"),
		chromedp.WaitVisible(chromedp.ID("queue-position")),
	)
	if got := read(t, tab, "place", chromedp.Text(chromedp.ID("queue-position"))); got != "1" {
		t.Fatalf("the page shows %q ahead, want 1", got)
	}
	// The page has opened its stream before the slot frees.
	waitFor(t, "the status stream", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) > 0 && strings.HasSuffix(seen[len(seen)-1], "/events")
	})

	o := apiCall(t, srv, "POST", "/v1/events/"+ev+"/orders", tok, map[string]any{"buyer": map[string]any{"name": "First", "email": "first@example.com"},
		"items": []any{map[string]any{"ticket_type_id": tt, "quantity": 1}}, "queue_token": first["token"]}, 201)
	apiCall(t, srv, "POST", "/v1/orders/"+o["id"].(string)+"/pay", tok, map[string]any{"method": "manual"}, 200)

	step(t, tab, "moved on to registration", chromedp.WaitVisible(chromedp.ID("hold")))
	if loc := read(t, tab, "location", chromedp.Location()); !strings.Contains(loc, "/e/"+ev+"/register?t=") {
		t.Errorf("after the queue at %s", loc)
	}
	mu.Lock()
	for _, p := range seen {
		if !strings.HasSuffix(p, "/events") {
			t.Errorf("the page polled %s instead of listening to its stream", p)
		}
	}
	mu.Unlock()
	console.check(t)
}

// waitFor polls cond for up to a minute (a generous bound, not a timing
// claim), failing the test with what it waited for.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited a minute for %s", what)
}
