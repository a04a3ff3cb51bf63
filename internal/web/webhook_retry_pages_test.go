package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-events/usher/internal/app"
)

// TestWebhookPagesShowTheNextAttempt runs the background work against a
// receiver that fails and one that answers 410 Gone, on a clock that stands
// still: a queued delivery is due now, a failed one that will be retried
// shows the time of its next attempt (the API's next_attempt_at, to the
// second, in UTC like the page's other times) on the endpoint's page and
// its own, and one that gave up says it will not be retried, in English
// and Korean, and on a phone's screen.
func TestWebhookPagesShowTheNextAttempt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", WebhookAllowPrivate: true, Clock: clock}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close(ctx)
	})
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	t.Cleanup(failing.Close)
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	t.Cleanup(gone.Close)

	b := newBrowser(t, srv)
	b.lang = "en"
	const email = "next-attempt@example.com"
	b.signup("Next Attempt Org", email)
	token := apiCall(t, srv, "POST", "/v1/auth/login", "", map[string]any{"email": email, "password": strongPassword}, 200)["access_token"].(string)
	const list = "/app/settings/webhooks"
	endpoint := func(u string) string {
		t.Helper()
		p := b.submit(list, list, url.Values{"url": {u}})
		if p.status != http.StatusCreated {
			t.Fatalf("create %s: %d\n%s", u, p.status, p.body)
		}
		return endpointRE.FindStringSubmatch(p.body)[1]
	}
	failingID, goneID := endpoint(failing.URL+"/usher"), endpoint(gone.URL+"/usher")
	hook, goneHook := "/app/settings/webhooks/"+failingID, "/app/settings/webhooks/"+goneID
	for _, h := range []string{hook, goneHook} {
		if p := b.submit(h, h+"/ping", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("ping %s: %d", h, p.status)
		}
	}
	delivery := deliveryRE.FindStringSubmatch(b.get(hook).body)[1]
	goneDelivery := deliveryRE.FindStringSubmatch(b.get(goneHook).body)[1]

	// Queued, before the background work runs: due now.
	wantPage(t, "queued", b.get(hook), http.StatusOK, `status-pending">Pending<`, `next-attempt">Due now<`)
	wantPage(t, "queued delivery", b.get(delivery), http.StatusOK, "Next attempt", `id="next-attempt">Due now<`)
	b.lang = "ko"
	wantPage(t, "Korean queued", b.get(hook), http.StatusOK, `next-attempt">곧 보냅니다<`)
	b.lang = "en"

	a.StartBackground()
	waitFor(t, "the first attempts", func() bool {
		return strings.Contains(b.get(delivery).body, `status-retrying">Retrying<`) &&
			strings.Contains(b.get(goneDelivery).body, `status-failed">Failed<`)
	})
	apiDelivery := apiCall(t, srv, "GET", "/v1/webhooks/"+failingID+"/deliveries/"+delivery[strings.LastIndex(delivery, "/")+1:], token, nil, 200)
	next, err := time.Parse(time.RFC3339Nano, apiDelivery["next_attempt_at"].(string))
	if err != nil || !next.After(now) {
		t.Fatalf("the API's next_attempt_at %v (%v), now %v", apiDelivery["next_attempt_at"], err, now)
	}
	shown := next.UTC().Format("2006-01-02 15:04:05") + " UTC"

	wantPage(t, "retrying", b.get(hook), http.StatusOK, `next-attempt">Next attempt `+shown+`<`)
	wantPage(t, "retrying delivery", b.get(delivery), http.StatusOK, "<dt>Next attempt</dt>", `id="next-attempt">`+shown+`<`, "502")
	wantPage(t, "gave up", b.get(goneHook), http.StatusOK, `status-failed">Failed<`, `next-attempt">Will not be retried<`)
	wantPage(t, "gave up delivery", b.get(goneDelivery), http.StatusOK, `id="next-attempt">Will not be retried<`)
	b.lang = "ko"
	wantPage(t, "Korean retrying", b.get(hook), http.StatusOK, `next-attempt">다음 시도 `+shown+`<`)
	wantPage(t, "Korean retrying delivery", b.get(delivery), http.StatusOK, "<dt>다음 시도</dt>", `id="next-attempt">`+shown+`<`)
	wantPage(t, "Korean gave up", b.get(goneHook), http.StatusOK, `next-attempt">다시 시도하지 않습니다<`)
	wantPage(t, "Korean gave up delivery", b.get(goneDelivery), http.StatusOK, `id="next-attempt">다시 시도하지 않습니다<`)

	// On a phone the pages keep to the screen's width.
	tab := headless(t)
	console := watchConsole(tab)
	signInOnPhone(t, tab, srv.URL, email)
	step(t, tab, "open the endpoint", chromedp.Navigate(srv.URL+hook), chromedp.WaitVisible(chromedp.ID("delivery-table")))
	if got := read(t, tab, "next attempt", chromedp.Text(chromedp.CSS("#delivery-table .next-attempt"))); !strings.Contains(got, shown) {
		t.Errorf("the phone shows %q as the next attempt, want %q", got, shown)
	}
	fitsPhone(t, tab, "endpoint page with a retrying delivery")
	step(t, tab, "scroll to the deliveries", chromedp.ScrollIntoView(chromedp.ID("deliveries")))
	screenshot(t, tab, "webhook-next-attempt-phone")
	step(t, tab, "open the delivery", chromedp.Navigate(srv.URL+delivery), chromedp.WaitVisible(chromedp.ID("next-attempt")))
	fitsPhone(t, tab, "retrying delivery's page")
	screenshot(t, tab, "webhook-delivery-next-attempt-phone")
	step(t, tab, "open the delivery that gave up", chromedp.Navigate(srv.URL+goneDelivery), chromedp.WaitVisible(chromedp.ID("next-attempt")))
	fitsPhone(t, tab, "page of a delivery that gave up")
	console.check(t)
}
