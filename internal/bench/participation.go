package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/ratelimit"
)

// ParticipationConfig describes one campaign-burst rehearsal.
type ParticipationConfig struct {
	// Target is a running server's loopback URL; empty serves one
	// in-process on a temporary SQLite folder.
	Target string
	// Participants is how many submissions are sent in all.
	Participants int
	// Concurrency is how many submissions are in flight at once.
	Concurrency int
	// DuplicatePct is the share (0–100) of submissions that repeat an
	// earlier person in another spelling of their phone number.
	DuplicatePct int
	// SpreadAddresses sends each submission with its own X-Forwarded-For
	// address, so that the per-address limit does not throttle a bench
	// that comes from one machine. It only has an effect on a server that
	// trusts the proxy header (usher serve --trust-proxy); the in-process
	// server raises its limit instead.
	SpreadAddresses bool
	// Logger receives the in-process server's logs.
	Logger *slog.Logger
}

// ParticipationResult is what one rehearsal measured.
type ParticipationResult struct {
	Target        string
	Participants  int
	Concurrency   int
	Accepted      int64 // answered 201
	Duplicates    int64 // answered 409 duplicate_participation
	Limited       int64 // answered 429
	Errors        int64 // anything else
	Elapsed       time.Duration
	PerSec        float64
	P50, P95, P99 time.Duration
	// People is how many distinct people were sent.
	People int
	// TwiceAccepted counts people accepted more than once: it must be 0.
	TwiceAccepted int64
	// Stored is the campaign's participant count as the server reports it;
	// it must equal Accepted.
	Stored int
}

// Print writes the result for people.
func (r *ParticipationResult) Print(w io.Writer) {
	fmt.Fprintf(w, "campaign participations against %s (%d submissions, %d people, %d concurrent)\n", r.Target, r.Participants, r.People, r.Concurrency)
	fmt.Fprintf(w, "  accepted (201):          %d\n", r.Accepted)
	fmt.Fprintf(w, "  duplicates (409):        %d\n", r.Duplicates)
	fmt.Fprintf(w, "  rate limited (429):      %d\n", r.Limited)
	fmt.Fprintf(w, "  other answers:           %d\n", r.Errors)
	fmt.Fprintf(w, "  elapsed:                 %s\n", r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  participations/s:       %.0f (submissions answered per second, duplicate check included)\n", r.PerSec)
	fmt.Fprintf(w, "  latency p50/p95/p99:     %s / %s / %s\n", r.P50.Round(10*time.Microsecond), r.P95.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond))
	fmt.Fprintf(w, "  stored participants:     %d\n", r.Stored)
	fmt.Fprintf(w, "  accepted twice (must be 0): %d\n", r.TwiceAccepted)
}

// OK reports whether the correctness counters hold: nobody accepted twice,
// every accepted submission stored, and no unexplained answers.
func (r *ParticipationResult) OK() bool {
	return r.TwiceAccepted == 0 && int64(r.Stored) == r.Accepted && r.Errors == 0
}

// spellings are the ways one Korean mobile number gets typed; the server
// must see one person in all of them.
func spellings(n int) []string {
	// The middle block starts at 2000: every such number is a valid
	// Korean mobile number, so no submission fails for its digits.
	mid, last := fmt.Sprintf("%04d", 2000+n/10000%8000), fmt.Sprintf("%04d", n%10000)
	return []string{
		"010-" + mid + "-" + last,
		"010" + mid + last,
		"+82 10 " + mid + " " + last,
		"+8210" + mid + last,
		"010 " + mid + " " + last,
		"(010) " + mid + "-" + last,
	}
}

// Participation runs the rehearsal: it creates its own organization and an
// active campaign without a game, then sends the submissions.
func Participation(ctx context.Context, cfg ParticipationConfig) (*ParticipationResult, error) {
	if cfg.Participants < 1 || cfg.Concurrency < 1 {
		return nil, errors.New("participants and concurrency must be at least 1")
	}
	if cfg.DuplicatePct < 0 || cfg.DuplicatePct > 100 {
		return nil, errors.New("the duplicate share must be between 0 and 100")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	target := cfg.Target
	if target == "" {
		url, stop, err := startParticipationServer(ctx, cfg.Logger)
		if err != nil {
			return nil, err
		}
		defer stop()
		target = url
	}
	c := NewClient(target, cfg.Concurrency)
	campaignID, err := prepareCampaign(ctx, c)
	if err != nil {
		return nil, err
	}

	// Submission i is a new person unless it falls in the duplicate
	// share, in which case it repeats person i % people in another
	// spelling. The plan is fixed before the run, so the counters can be
	// checked against it.
	people := cfg.Participants - cfg.Participants*cfg.DuplicatePct/100
	if people < 1 {
		people = 1
	}
	type submission struct{ person, spelling int }
	plan := make([]submission, cfg.Participants)
	for i := range plan {
		if i < people {
			plan[i] = submission{person: i}
		} else {
			plan[i] = submission{person: i % people, spelling: 1 + i/people}
		}
	}
	// Interleave the repeats with the first submissions so that the
	// duplicates race the originals rather than all coming at the end.
	for i := people; i < len(plan); i++ {
		j := (i * 7919) % (i + 1)
		plan[i], plan[j] = plan[j], plan[i]
	}

	res := &ParticipationResult{Target: target, Participants: cfg.Participants, Concurrency: cfg.Concurrency, People: people}
	accepted := make([]atomic.Int32, people)
	var lat Latencies
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	path := "/v1/public/campaigns/" + campaignID + "/participations"
	for range cfg.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(plan) || ctx.Err() != nil {
					return
				}
				s := plan[i]
				sp := spellings(s.person)
				body := fmt.Sprintf(`{"name":"참가자 %d","phone":%q,"channel":"instagram","consent":true}`, s.person, sp[s.spelling%len(sp)])
				var header http.Header
				if cfg.SpreadAddresses {
					header = http.Header{"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}}
				}
				t0 := time.Now()
				status, err := c.raw(ctx, "POST", path, body, header)
				lat.Add(time.Since(t0))
				switch {
				case err != nil:
					atomic.AddInt64(&res.Errors, 1)
				case status == http.StatusCreated:
					atomic.AddInt64(&res.Accepted, 1)
					if accepted[s.person].Add(1) > 1 {
						atomic.AddInt64(&res.TwiceAccepted, 1)
					}
				case status == http.StatusConflict:
					atomic.AddInt64(&res.Duplicates, 1)
				case status == http.StatusTooManyRequests:
					atomic.AddInt64(&res.Limited, 1)
				default:
					atomic.AddInt64(&res.Errors, 1)
				}
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.PerSec = float64(cfg.Participants) / res.Elapsed.Seconds()
	res.P50, res.P95, res.P99 = lat.Percentile(50), lat.Percentile(95), lat.Percentile(99)
	var cmp struct {
		Participants int `json:"participants"`
	}
	if err := c.must(ctx, "GET", "/v1/campaigns/"+campaignID, nil, &cmp); err != nil {
		return nil, err
	}
	res.Stored = cmp.Participants
	return res, nil
}

// raw sends a JSON body with extra headers and returns the status.
func (c *Client) raw(ctx context.Context, method, path, body string, header http.Header) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// prepareCampaign signs up a bench organization and creates an active
// campaign without a game, so each submission is exactly the duplicate
// check, the number and the insert.
func prepareCampaign(ctx context.Context, c *Client) (string, error) {
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	email := "bench-" + strings.ToLower(id.Secret(6)) + "@example.com"
	if err := c.must(ctx, "POST", "/v1/signup", map[string]any{"organization": "Bench " + email, "email": email, "password": "bench password " + id.Secret(8)}, &signup); err != nil {
		return "", err
	}
	c.Token = signup.AccessToken
	now := time.Now().UTC()
	var cmp struct {
		ID string `json:"id"`
	}
	err := c.must(ctx, "POST", "/v1/campaigns", map[string]any{"name": "Bench campaign", "starts_at": now.Add(-time.Minute),
		"ends_at": now.Add(24 * time.Hour), "game": campaign.Game{Type: campaign.GameNone}, "approval": "auto"}, &cmp)
	return cmp.ID, err
}

// startParticipationServer is StartInProcess with the per-address limit on
// public participations raised for this server only: every submission of
// the bench comes from 127.0.0.1, and the rehearsal measures the
// duplicate check, not the limiter. Production servers keep their limit.
func startParticipationServer(ctx context.Context, log *slog.Logger) (string, func(), error) {
	return startWith(ctx, app.Config{ParticipationLimit: ratelimit.Limit{Rate: 1_000_000_000, Period: time.Second}}, log, nil)
}
