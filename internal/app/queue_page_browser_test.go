package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
)

// queueClock is a clock the test moves by hand.
type queueClock struct{ ns atomic.Int64 }

func (c *queueClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *queueClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// TestQueuePageOnAPhone follows the waiting page on a phone's screen, in
// Korean and in English, through a sale's opening: before it, no place is
// shown (places are drawn at the opening) and the opening time is; after it,
// the place and the estimated wait in minutes, under the wait's own label,
// without reloading. A buyer whose admission ran out while the page could
// not tell is offered to queue again.
func TestQueuePageOnAPhone(t *testing.T) {
	tab := phoneTab(t)
	clock := &queueClock{}
	clock.ns.Store(time.Now().UnixNano())
	b := setup(t, db.SQLite, func(c *app.Config) { c.Clock = clock.now })
	// The page's status requests pass a gate the test can close, and its
	// stream can be refused (the page then polls).
	var gate sync.Mutex
	var noStream atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/public/queue/") {
			if noStream.Load() && strings.HasSuffix(r.URL.Path, "/events") {
				http.Error(w, "no streams now", http.StatusServiceUnavailable)
				return
			}
			gate.Lock()
			gate.Unlock()
		}
		b.app.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	owner := b.signup("Queue Page", "owner@queue-page.example")
	key := b.do("POST", "/v1/api-keys", owner.Access, map[string]any{"name": "page test", "role": "owner"}).str("key")
	// sale makes a published event whose room opens in a minute, with five
	// buyers queued before the opening.
	sale := func() string {
		eid, _ := b.publishedEvent(key, "대기열 콘서트", 100)
		b.want(b.do("PUT", "/v1/events/"+eid+"/waiting-room", key, map[string]any{
			"enabled": true, "admit_per_minute": 1, "max_active": 1, "active_ttl_seconds": 10, "opens_at": clock.now().Add(time.Minute)}), 200, "")
		for _, c := range []string{"a", "b", "c", "d", "e"} {
			b.want(b.do("POST", "/v1/public/events/"+eid+"/queue", "", map[string]any{"client_id": "early-" + c}), 201, "")
		}
		return eid
	}

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(id string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("read #%s: %v", id, err)
		}
		return strings.TrimSpace(v)
	}
	wait := func(what, js string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js)); err != nil {
			t.Fatalf("waited a minute for %s: %v", what, err)
		}
	}
	fits := func(when string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || wide {
			t.Fatalf("%s: the page is wider than the phone's screen (%v)", when, err)
		}
	}

	step("choose Korean", chromedp.Navigate(srv.URL+"/"),
		chromedp.Evaluate[chromedp.Void](`document.cookie = "lang=ko; path=/"`))
	// The page polls (its stream refused) so that the test decides when it
	// looks. The opening admits one of the six by lot at once; when that is
	// the page's buyer, the sale is set up again (another event draws
	// another lot) until the page's buyer is left waiting.
	noStream.Store(true)
	var eid, token string
	for try := 0; ; try++ {
		if try == 20 {
			t.Fatal("the page's buyer was admitted at the opening of 20 sales in a row")
		}
		eid = sale()
		step("open the waiting page on a phone",
			chromedp.Navigate(srv.URL+"/e/"+eid+"/queue"),
			chromedp.WaitVisible(chromedp.ID("queue-position")))
		if got := text("queue-position"); got != "–" {
			t.Errorf("before the opening the page shows %q ahead; places are not drawn yet", got)
		}
		if got := text("queue-eta-label"); got != "판매 시작" {
			t.Errorf("before the opening the second figure is %q, want the opening", got)
		}
		if got := text("queue-draw"); !strings.Contains(got, "공정") {
			t.Errorf("the draw is not explained: %q", got)
		}
		fits("before the opening")
		v, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById("queue").getAttribute("data-token")`))
		if err != nil || v == "" {
			t.Fatalf("the page's token: %q %v", v, err)
		}
		token = v
		gate.Lock()
		clock.add(time.Minute + time.Second)
		st := b.do("GET", "/v1/public/queue/"+token, "", nil)
		gate.Unlock()
		if st.str("status") == "waiting" {
			break
		}
	}

	wait("the opening to show", `document.getElementById("queue-eta-label").textContent === "예상 대기"`)
	pos, eta := text("queue-position"), text("queue-eta")
	if pos == "" || strings.Trim(pos, "0123456789") != "" || pos == "0" {
		t.Errorf("after the opening the place is %q", pos)
	}
	if !strings.HasPrefix(eta, "약 ") || !strings.HasSuffix(eta, "분") {
		t.Errorf("the estimated wait reads %q, want minutes (약 N분)", eta)
	}
	if visible, _ := chromedp.Run(tab, chromedp.Evaluate[bool](`!document.getElementById("queue-draw").hidden`)); visible {
		t.Error("the pre-opening draw note stays after the opening")
	}
	fits("after the opening")

	step("the same place in English",
		chromedp.Evaluate[chromedp.Void](`document.cookie = "lang=en; path=/"`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("queue-position")))
	if got := text("queue-eta-label"); got != "Estimated wait" {
		t.Errorf("English label %q", got)
	}
	if got := text("queue-eta"); !strings.HasPrefix(got, "about ") || !strings.HasSuffix(got, " min") {
		t.Errorf("English wait %q, want about N min", got)
	}
	if got := text("queue-position"); got != pos {
		t.Errorf("reloading moved the place from %s to %s", pos, got)
	}

	// The page's admission comes and runs out while it cannot ask (its
	// requests held at the gate): on its next look it says so and offers
	// the queue again.
	noStream.Store(true)
	gate.Lock()
	for range 100 {
		clock.add(11 * time.Second)
		if b.do("GET", "/v1/public/queue/"+token, "", nil).str("status") != "waiting" {
			break
		}
	}
	clock.add(11 * time.Second)
	st := b.do("GET", "/v1/public/queue/"+token, "", nil)
	gate.Unlock()
	if st.str("status") != "expired" {
		t.Fatalf("the page's token after its time ran out: %s", st.Raw)
	}
	wait("the expiry to show", `!document.getElementById("queue-again").hidden`)
	if visible, _ := chromedp.Run(tab, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("queue-figures")).display !== "none"`)); visible {
		t.Error("the place and wait still show after the admission ran out")
	}
	fits("after the expiry")
	step("queue again", chromedp.Click(chromedp.CSS("#queue-again a")))
	// The page is replaced meanwhile: look until the new one answers.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("queueing again led nowhere in a minute")
		}
		loc, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.readyState === "complete" ? location.pathname + location.search : ""`))
		if err == nil && (strings.HasSuffix(loc, "/queue?again=1") || strings.Contains(loc, "/register?t=")) {
			break
		}
	}
}
