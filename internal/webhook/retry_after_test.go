package webhook

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// Retry-After counts on 429 and 503 answers, in seconds or as an HTTP date,
// up to an hour; anything else asks for nothing.
func TestRetryAfterIsReadOn429And503(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		code   int
		header string
		want   time.Duration
	}{
		{503, "120", 2 * time.Minute},
		{429, " 30 ", 30 * time.Second},
		{503, "0", 0},
		{503, "3600", time.Hour},
		{503, "3601", time.Hour},
		{429, "99999999999999999999999", time.Hour},
		{503, now.Add(20 * time.Minute).Format(http.TimeFormat), 20 * time.Minute},
		{429, now.Add(20 * time.Minute).Format(time.RFC850), 20 * time.Minute},
		{503, now.Add(48 * time.Hour).Format(http.TimeFormat), time.Hour},
		{503, now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{503, "", 0},
		{503, "-5", 0},
		{503, "+5", 0},
		{503, "1.5", 0},
		{503, "soon", 0},
		{500, "120", 0},
		{502, "120", 0},
		{200, "120", 0},
		{301, "120", 0},
	} {
		if got := retryAfter(c.code, c.header, now); got != c.want {
			t.Errorf("%d with Retry-After %q: %v, want %v", c.code, c.header, got, c.want)
		}
	}
}

// A receiver that answers 429 or 503 with Retry-After is tried again no
// sooner than it asked, but never sooner than the usual backoff and never
// more than an hour on; the delivery's next_attempt_at is the time the job
// is scheduled for, and the attempt runs then, not a microsecond before.
func TestRetryAfterPutsTheNextAttemptOff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		var mu sync.Mutex
		var code int
		var header string
		answer := func(c int, h string) { mu.Lock(); defer mu.Unlock(); code, header = c, h }
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if header != "" {
				w.Header().Set("Retry-After", header)
			}
			w.WriteHeader(code)
		}))
		t.Cleanup(receiver.Close)
		e := r.create(Input{URL: ptr(receiver.URL)})
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		if _, err := r.disp.DispatchOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		id := r.deliveries(e.ID)[0].ID

		// attempt makes the next attempt, answered so, and returns when it
		// ran and the next attempt it announced, which it checks is when the
		// job runs.
		attempt := func(n int, c int, h string) (at, next time.Time) {
			t.Helper()
			answer(c, h)
			if ran := r.runDue(); ran != 1 {
				t.Fatalf("attempt %d: %d jobs ran", n, ran)
			}
			x := r.one(e.ID, id)
			if x.Status != StatusRetrying || x.Attempts != n || x.NextAttemptAt == nil {
				t.Fatalf("after attempt %d: status %s, attempts %d, next attempt %v", n, x.Status, x.Attempts, x.NextAttemptAt)
			}
			at, next = x.AttemptLog[n-1].At, *x.NextAttemptAt
			r.clock.Store(next.Add(-time.Microsecond).UnixNano())
			if ran := r.runDue(); ran != 0 {
				t.Fatalf("attempt %d ran before its next_attempt_at %v", n+1, next)
			}
			r.clock.Store(next.UnixNano())
			return at, next
		}

		at, next := attempt(1, http.StatusServiceUnavailable, "1800")
		if next.Sub(at) != 30*time.Minute {
			t.Errorf("503 with Retry-After: 1800: next attempt %v after the attempt, want 30m", next.Sub(at))
		}
		date := r.svc.Now().Add(20 * time.Minute).Truncate(time.Second).Add(time.Second)
		at, next = attempt(2, http.StatusTooManyRequests, date.Format(http.TimeFormat))
		if !next.Equal(date) {
			t.Errorf("429 with Retry-After: %s: next attempt %v, want that time", date.Format(http.TimeFormat), next)
		}
		at, next = attempt(3, http.StatusServiceUnavailable, "86400")
		if next.Sub(at) != maxRetryAfter {
			t.Errorf("503 with Retry-After: 86400: next attempt %v after the attempt, want the cap %v", next.Sub(at), maxRetryAfter)
		}
		// Asking for less than the backoff (from 40 s to 80 s before the
		// fifth attempt) gets the backoff.
		at, next = attempt(4, http.StatusServiceUnavailable, "1")
		if wait := next.Sub(at); wait < 40*time.Second || wait > 80*time.Second {
			t.Errorf("503 with Retry-After: 1: next attempt %v after the attempt, want the backoff of 40 s to 80 s", wait)
		}
		// Another answer's Retry-After is not about retrying.
		at, next = attempt(5, http.StatusInternalServerError, "1800")
		if wait := next.Sub(at); wait < 80*time.Second || wait > 160*time.Second {
			t.Errorf("500 with Retry-After: 1800: next attempt %v after the attempt, want the backoff of 80 s to 160 s", wait)
		}
		x := r.one(e.ID, id)
		if got := x.AttemptLog[0].Error; got != "the endpoint answered 503 with Retry-After: waiting at least 30m0s" {
			t.Errorf("the first attempt's error: %q", got)
		}
		if got := x.AttemptLog[4].Error; got != "the endpoint answered 500" {
			t.Errorf("the fifth attempt's error: %q", got)
		}
	})
}
