package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/id"
)

// FlashSaleConfig describes one flash-sale rehearsal.
type FlashSaleConfig struct {
	// Target is a running server's loopback URL, or several nodes' URLs
	// separated by commas (the sale is prepared and the trivial endpoint
	// measured on the first; buyers are spread over all of them); empty
	// serves one in-process on a temporary SQLite folder.
	Target string
	// Buyers is how many distinct buyers take part.
	Buyers int
	// Concurrency is how many requests are in flight at once.
	Concurrency int
	// Seats, when above zero, sells a seat map of that many seats (buyers
	// pick random seats); otherwise Quota tickets of one type are sold.
	Seats int
	Quota int
	// Duration bounds each phase; the sale phase ends sooner when sold out.
	Duration time.Duration
	// Compare is how long the trivial endpoint and the waiting room's
	// status check are measured; zero is Duration, at most 5 s.
	Compare time.Duration
	// Progress receives a line a second while the sale runs; may be nil.
	Progress io.Writer
	// Logger receives the in-process server's logs.
	Logger *slog.Logger
	// Profile, when set, receives a CPU profile of the sale phase alone
	// (client and in-process server), for go tool pprof.
	Profile io.Writer
	// Trace, when set, receives an execution trace of the sale phase, for
	// go tool trace (where the writer waits, and for what).
	Trace io.Writer
	// Allocs and AllocsBase, when set, receive the process's allocation
	// profile at the end and at the start of the sale phase: go tool pprof
	// -base shows the sale's allocations alone.
	Allocs, AllocsBase io.Writer
	// Floor sends the holds to the floor hold instead of the orders API
	// (see floor.go): in-process and quantity only.
	Floor bool
}

// FlashSaleResult is what one rehearsal measured.
type FlashSaleResult struct {
	Target        string
	Mode          string // "quantity" or "seats"
	Stock         int
	Concurrency   int
	Holds         int64 // answered 201
	Refused       int64 // answered 409 (sold out, seat taken)
	Limited       int64 // answered 429 (the tier's rate limit)
	Errors        int64 // anything else
	Elapsed       time.Duration
	HoldsPerSec   float64
	P50, P95, P99 time.Duration
	SoldOutAfter  time.Duration // zero when not sold out within Duration
	Oversold      int64
	HealthzPerSec float64
	// SoldOutPerSec is the rate of answers once the stock is gone (buyers
	// still trying, every one refused with 409), measured after a sale that
	// sold out; zero otherwise. LateHolds counts holds answered 201 then,
	// which must be 0 (they count as oversold too).
	SoldOutPerSec float64
	LateHolds     int64
	// QueuePerSec is the rate of waiting-room status checks
	// (GET /v1/public/queue/{token}), measured before the sale.
	QueuePerSec float64
	// Confirmations counts the confirmation messages (one per hold) the
	// in-process server had recorded when the sale phase ended: whether
	// its background work keeps up with the holds. -1 against --target.
	Confirmations int64
	// HealthzCPU and HoldCPU are the process's CPU time (user and system)
	// per trivial request and per hold: with an in-process server they
	// cover the server, its background work and the load generator, and
	// explain the ratio (on a saturated machine the rates go as their
	// inverses). Zero against --target or where not measured.
	HealthzCPU, HoldCPU time.Duration
}

// Ratio is the hold rate as a share of the trivial-endpoint rate.
func (r *FlashSaleResult) Ratio() float64 {
	if r.HealthzPerSec == 0 {
		return 0
	}
	return r.HoldsPerSec / r.HealthzPerSec
}

// Print writes the result for people.
func (r *FlashSaleResult) Print(w io.Writer) {
	fmt.Fprintf(w, "flash sale against %s (%s, stock %d, %d concurrent)\n", r.Target, r.Mode, r.Stock, r.Concurrency)
	fmt.Fprintf(w, "  holds answered 201:   %d (409: %d, other: %d) in %s\n", r.Holds, r.Refused, r.Errors+r.Limited, r.Elapsed.Round(time.Millisecond))
	if r.Limited > 0 {
		fmt.Fprintf(w, "  rate limited (429):   %d: the server holds the organization to its tier's rate; start it without --tier-limits for rehearsals\n", r.Limited)
	}
	fmt.Fprintf(w, "  holds/s:              %.0f\n", r.HoldsPerSec)
	fmt.Fprintf(w, "  latency p50/p95/p99:  %s / %s / %s\n", r.P50.Round(10*time.Microsecond), r.P95.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond))
	if r.SoldOutAfter > 0 {
		fmt.Fprintf(w, "  sold out after:       %s\n", r.SoldOutAfter.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "  sold out after:       not within the duration\n")
	}
	fmt.Fprintf(w, "  oversold:             %d\n", r.Oversold)
	if r.Confirmations >= 0 && r.Holds > 0 {
		fmt.Fprintf(w, "  confirmations:        %d recorded by the sale's end (%.0f %% of holds)\n", r.Confirmations, 100*float64(r.Confirmations)/float64(r.Holds))
	}
	fmt.Fprintf(w, "  GET /healthz/s:       %.0f (same run, same concurrency)\n", r.HealthzPerSec)
	fmt.Fprintf(w, "  holds / healthz:      %.1f %%\n", 100*r.Ratio())
	if r.SoldOutPerSec > 0 && r.HealthzPerSec > 0 {
		fmt.Fprintf(w, "  after selling out:    %.0f refusals/s (%.1f %% of healthz), %d more holds (must be 0)\n",
			r.SoldOutPerSec, 100*r.SoldOutPerSec/r.HealthzPerSec, r.LateHolds)
	}
	if r.HoldCPU > 0 && r.HealthzCPU > 0 {
		fmt.Fprintf(w, "  CPU per request:      hold %d µs, healthz %d µs (%.1f×; server, its background work and the load generator)\n",
			r.HoldCPU.Microseconds(), r.HealthzCPU.Microseconds(), float64(r.HoldCPU)/float64(r.HealthzCPU))
	}
	if r.QueuePerSec > 0 && r.HealthzPerSec > 0 {
		fmt.Fprintf(w, "  queue status/s:       %.0f (%.1f %% of healthz)\n", r.QueuePerSec, 100*r.QueuePerSec/r.HealthzPerSec)
	}
}

// FlashSale runs the rehearsal: it creates its own organization, event and
// stock, measures the trivial endpoint's rate, then lets the buyers hold
// until the stock is gone or the duration ends, and checks that nothing was
// sold twice or beyond the stock. Every loop is bounded by the duration.
func FlashSale(ctx context.Context, cfg FlashSaleConfig) (*FlashSaleResult, error) {
	// Zero takes the default; a negative number is a mistake, not a wish
	// for the default.
	for _, f := range []struct {
		flag string
		n    int
	}{{"--buyers", cfg.Buyers}, {"--seats", cfg.Seats}, {"--quota", cfg.Quota}, {"--concurrency", cfg.Concurrency}} {
		if f.n < 0 {
			return nil, fmt.Errorf("%s must not be negative, got %d", f.flag, f.n)
		}
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.Buyers <= 0 {
		cfg.Buyers = 10000
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Compare <= 0 {
		cfg.Compare = min(cfg.Duration, 5*time.Second)
	}
	if cfg.Seats <= 0 && cfg.Quota <= 0 {
		cfg.Quota = 100000
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Floor && (cfg.Target != "" || cfg.Seats > 0) {
		return nil, errors.New("the floor is measured in-process, on a quantity")
	}
	var inproc *app.App // the in-process server, when there is one
	mount := func(a *app.App) error {
		inproc = a
		if cfg.Floor {
			return mountFloor(cfg.Quota)(a)
		}
		return nil
	}
	nodes, err := SplitTargets(cfg.Target)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if err := checkTarget(ctx, n); err != nil {
			return nil, err
		}
	}
	if len(nodes) == 0 {
		// The in-process server runs as usher serve does, with the tiers'
		// rate limits on; its organization is put on the tier without one.
		url, stop, err := startWith(ctx, app.Config{TierLimits: true}, cfg.Logger, mount)
		if err != nil {
			return nil, err
		}
		defer stop()
		nodes = []string{url}
	}
	buyers := make([]*Client, len(nodes)) // buyer b buys on node b % len(nodes)
	for i, n := range nodes {
		buyers[i] = NewClient(n, cfg.Concurrency)
	}
	c := buyers[0]
	res := &FlashSaleResult{Target: strings.Join(nodes, ", "), Concurrency: cfg.Concurrency, Confirmations: -1}
	sale, err := prepare(ctx, c, cfg)
	if err != nil {
		return nil, fmt.Errorf("prepare the sale: %w", err)
	}
	if inproc != nil {
		if err := inproc.SetTier(ctx, sale.tenantID, "enterprise"); err != nil {
			return nil, fmt.Errorf("prepare the sale: %w", err)
		}
	}
	res.Mode, res.Stock = sale.mode, sale.stock
	for _, b := range buyers {
		b.Token = c.Token // the organizer's token, good on every node
	}

	// The trivial endpoint, same server, same client, same concurrency.
	cpu := processCPU()
	n, elapsed := hammer(ctx, cfg.Concurrency, cfg.Compare, func(ctx context.Context, _ *rand.Rand) bool {
		st, err := c.Do(ctx, "GET", "/healthz", nil, nil)
		return err == nil && st == 200
	})
	res.HealthzPerSec = float64(n) / elapsed.Seconds()
	if inproc != nil && n > 0 {
		res.HealthzCPU = (processCPU() - cpu) / time.Duration(n)
	}

	// The waiting room's status check on the same server, before the sale
	// leaves background work behind: it should cost about as little as the
	// trivial endpoint, since it reads no database. The room is closed
	// again before the buyers come.
	room := map[string]any{"enabled": true, "admit_per_minute": 60, "max_active": 10, "active_ttl_seconds": 600}
	var q struct {
		Token string `json:"token"`
	}
	if err := c.must(ctx, "PUT", "/v1/events/"+sale.eventID+"/waiting-room", room, nil); err != nil {
		return res, fmt.Errorf("open the waiting room: %w", err)
	}
	if err := c.must(ctx, "POST", "/v1/public/events/"+sale.eventID+"/queue", map[string]any{"client_id": "bench"}, &q); err != nil {
		return res, fmt.Errorf("join the queue: %w", err)
	}
	n, elapsed = hammer(ctx, cfg.Concurrency, cfg.Compare, func(ctx context.Context, _ *rand.Rand) bool {
		st, err := c.Do(ctx, "GET", "/v1/public/queue/"+q.Token, nil, nil)
		return err == nil && st == 200
	})
	res.QueuePerSec = float64(n) / elapsed.Seconds()
	room["enabled"] = false
	if err := c.must(ctx, "PUT", "/v1/events/"+sale.eventID+"/waiting-room", room, nil); err != nil {
		return res, fmt.Errorf("close the waiting room: %w", err)
	}

	var lat Latencies
	var holds, refused, limited, errs atomic.Int64
	var soldOut atomic.Bool
	var soldAt atomic.Int64
	var seatsMu sync.Mutex
	taken := map[string]int{}
	// Buyers pick among the seats nobody got yet, as they would from the
	// availability a seat map shows; two buyers may still pick the same
	// seat at once, and one of them gets seat_unavailable.
	free := slices.Clone(sale.seatIDs)
	at := make(map[string]int, len(free)) // a free seat's index in free
	for i, id := range free {
		at[id] = i
	}
	pick := func(rng *rand.Rand) string {
		seatsMu.Lock()
		defer seatsMu.Unlock()
		if len(free) == 0 {
			return sale.seatIDs[rng.IntN(len(sale.seatIDs))]
		}
		return free[rng.IntN(len(free))]
	}
	if cfg.Profile != nil {
		if err := pprof.StartCPUProfile(cfg.Profile); err != nil {
			return res, err
		}
	}
	if cfg.Trace != nil {
		if err := trace.Start(cfg.Trace); err != nil {
			return res, err
		}
	}
	if cfg.Allocs != nil && cfg.AllocsBase != nil {
		if err := pprof.Lookup("allocs").WriteTo(cfg.AllocsBase, 0); err != nil {
			return res, err
		}
	}
	cpu = processCPU()
	start := time.Now()
	stopProgress := progress(cfg.Progress, &holds, &refused, start)
	var buyer atomic.Int64
	// holdBody is a buyer's request, encoded by hand (ids are plain ASCII):
	// the load generator shares the CPUs with the server, so it should cost
	// as little as it can.
	holdBody := func(b int64, rng *rand.Rand) []byte {
		body := fmt.Appendf(make([]byte, 0, 192), `{"buyer":{"name":"Buyer %d","email":"buyer%d@bench.example"},`, b, b)
		if sale.mode == "seats" {
			return fmt.Appendf(body, `"seat_ids":[%q]}`, pick(rng))
		}
		return fmt.Appendf(body, `"items":[{"ticket_type_id":%q,"quantity":1}]}`, sale.typeID)
	}
	path := "/v1/events/" + sale.eventID + "/orders"
	if cfg.Floor {
		path = floorPath
	}
	_, elapsed = hammer(ctx, cfg.Concurrency, cfg.Duration, func(ctx context.Context, rng *rand.Rand) bool {
		if soldOut.Load() {
			return false
		}
		b := buyer.Add(1) % int64(cfg.Buyers)
		body := holdBody(b, rng)
		var out struct {
			ID      string   `json:"id"`
			SeatIDs []string `json:"seat_ids"`
		}
		// Only seat holds need the answer's body (which seats were held);
		// a quantity hold is counted by its status alone.
		var dst any
		if sale.mode == "seats" {
			dst = &out
		}
		t0 := time.Now()
		st, err := buyers[b%int64(len(buyers))].Do(ctx, "POST", path, body, dst)
		if ctx.Err() != nil {
			return false
		}
		lat.Add(time.Since(t0))
		switch {
		case err == nil && st == 201:
			if int(holds.Add(1)) >= sale.stock && soldOut.CompareAndSwap(false, true) {
				soldAt.Store(int64(time.Since(start)))
			}
			seatsMu.Lock()
			for _, s := range out.SeatIDs {
				taken[s]++
				if i, ok := at[s]; ok {
					last := free[len(free)-1]
					free[i], at[last] = last, i
					free = free[:len(free)-1]
					delete(at, s)
				}
			}
			seatsMu.Unlock()
		case err == nil && st == 429:
			limited.Add(1)
		case err == nil && st == 409:
			refused.Add(1)
			if sale.mode == "quantity" && soldOut.CompareAndSwap(false, true) {
				soldAt.Store(int64(time.Since(start)))
			}
		default:
			errs.Add(1)
		}
		return true
	})
	stopProgress()
	saleCPU := processCPU() - cpu
	if cfg.Profile != nil {
		pprof.StopCPUProfile()
	}
	if cfg.Trace != nil {
		trace.Stop()
	}
	if cfg.Allocs != nil {
		if err := pprof.Lookup("allocs").WriteTo(cfg.Allocs, 0); err != nil {
			return res, err
		}
	}
	if inproc != nil && !cfg.Floor {
		res.Confirmations, err = confirmationsRecorded(inproc)
		if err != nil {
			return res, fmt.Errorf("count the confirmations: %w", err)
		}
	}
	res.Elapsed = elapsed
	if d := time.Duration(soldAt.Load()); d > 0 {
		res.Elapsed, res.SoldOutAfter = d, d
	}

	// Once sold out, buyers keep trying (in a real sale, far more of them
	// than there were tickets): each should get its 409 cheaply, and none a
	// ticket.
	if res.SoldOutAfter > 0 {
		var late atomic.Int64
		n, elapsed := hammer(ctx, cfg.Concurrency, cfg.Compare, func(ctx context.Context, rng *rand.Rand) bool {
			b := buyer.Add(1) % int64(cfg.Buyers)
			st, err := buyers[b%int64(len(buyers))].Do(ctx, "POST", path, holdBody(b, rng), nil)
			if err == nil && st == 201 {
				late.Add(1)
			}
			return err == nil && st == 409
		})
		res.SoldOutPerSec = float64(n) / elapsed.Seconds()
		res.LateHolds = late.Load()
	}
	res.Holds, res.Refused, res.Limited, res.Errors = holds.Load(), refused.Load(), limited.Load(), errs.Load()
	if n := res.Holds + res.Refused + res.Limited + res.Errors; inproc != nil && n > 0 {
		res.HoldCPU = saleCPU / time.Duration(n)
	}
	res.HoldsPerSec = float64(res.Holds) / res.Elapsed.Seconds()
	res.P50, res.P95, res.P99 = lat.Percentile(50), lat.Percentile(95), lat.Percentile(99)

	// Oversold: more holds answered than stock, a seat answered twice, or
	// the server's own count above the quota.
	res.Oversold = max(0, res.Holds+res.LateHolds-int64(sale.stock))
	for _, n := range taken {
		res.Oversold += int64(n - 1)
	}
	var types []struct {
		Held  int `json:"held"`
		Sold  int `json:"sold"`
		Quota int `json:"quota"`
	}
	if err := c.must(context.WithoutCancel(ctx), "GET", "/v1/events/"+sale.eventID+"/ticket-types", nil, &struct {
		Data *[]struct {
			Held  int `json:"held"`
			Sold  int `json:"sold"`
			Quota int `json:"quota"`
		} `json:"data"`
	}{Data: &types}); err != nil {
		return res, fmt.Errorf("check the stock: %w", err)
	}
	for _, t := range types {
		res.Oversold += int64(max(0, t.Held+t.Sold-t.Quota))
	}
	if cfg.Floor {
		res.Mode = "floor"
		taken, written, err := floorTaken(inproc)
		if err != nil {
			return res, fmt.Errorf("check the floor's stock: %w", err)
		}
		if written != taken || int64(written) < res.Holds {
			return res, fmt.Errorf("floor: %d taken, %d written, %d answered", taken, written, res.Holds)
		}
		res.Oversold += int64(max(0, taken-sale.stock))
	}

	return res, nil
}

// sale is what prepare made.
type sale struct {
	mode, eventID, typeID string
	tenantID              string
	stock                 int
	seatIDs               []string
}

// prepare signs up a fresh organization and makes a published event with
// the stock to sell.
func prepare(ctx context.Context, c *Client, cfg FlashSaleConfig) (*sale, error) {
	var signup struct {
		AccessToken string `json:"access_token"`
		Tenant      struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	email := "bench-" + id.Secret(6) + "@bench.example"
	if err := c.must(ctx, "POST", "/v1/signup", map[string]any{"organization": "Bench " + email, "email": email, "password": "bench password " + id.Secret(8)}, &signup); err != nil {
		return nil, err
	}
	c.Token = signup.AccessToken
	s := &sale{mode: "quantity", stock: cfg.Quota, tenantID: signup.Tenant.ID}
	if cfg.Seats > 0 {
		s.mode, s.stock = "seats", cfg.Seats
	}
	starts := time.Now().Add(30 * 24 * time.Hour).UTC()
	var ev struct {
		ID string `json:"id"`
	}
	if err := c.must(ctx, "POST", "/v1/events", map[string]any{
		"name": "Flash sale " + email, "starts_at": starts, "ends_at": starts.Add(3 * time.Hour),
		"timezone": "Asia/Seoul", "venue": "Bench Arena", "capacity": s.stock,
	}, &ev); err != nil {
		return nil, err
	}
	s.eventID = ev.ID
	var tt struct {
		ID string `json:"id"`
	}
	if err := c.must(ctx, "POST", "/v1/events/"+ev.ID+"/ticket-types", map[string]any{
		"name": "General", "price": 0, "currency": "KRW", "quota": s.stock,
	}, &tt); err != nil {
		return nil, err
	}
	s.typeID = tt.ID
	if s.mode == "seats" {
		const perRow, perRequest = 50, 5000
		var seats []map[string]any
		for i := range s.stock {
			seats = append(seats, map[string]any{
				"section": fmt.Sprintf("S%d", i/(perRow*20)), "row": fmt.Sprint(i / perRow % 20), "number": i%perRow + 1, "ticket_type_id": tt.ID,
			})
		}
		for len(seats) > 0 {
			chunk := seats[:min(perRequest, len(seats))]
			seats = seats[len(chunk):]
			if err := c.must(ctx, "POST", "/v1/events/"+ev.ID+"/seats", map[string]any{"seats": chunk}, nil); err != nil {
				return nil, err
			}
		}
	}
	if err := c.must(ctx, "POST", "/v1/events/"+ev.ID+"/publish", nil, nil); err != nil {
		return nil, err
	}
	if s.mode == "seats" {
		var list struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := c.must(ctx, "GET", "/v1/public/events/"+ev.ID+"/seats", nil, &list); err != nil {
			return nil, err
		}
		for _, st := range list.Data {
			s.seatIDs = append(s.seatIDs, st.ID)
		}
		if len(s.seatIDs) != s.stock {
			return nil, errors.New("the seat map does not have the seats just created")
		}
	}
	return s, nil
}

// hammer runs fn from n goroutines until it returns false or d passes, and
// reports how many calls returned true and how long the run took.
func hammer(ctx context.Context, n int, d time.Duration, fn func(context.Context, *rand.Rand) bool) (int64, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var count atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			for ctx.Err() == nil {
				if !fn(ctx, rng) {
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return count.Load(), time.Since(start)
}

// progress prints the running counts once a second until stopped.
func progress(w io.Writer, holds, refused *atomic.Int64, start time.Time) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				el := time.Since(start).Seconds()
				fmt.Fprintf(w, "  %5.1fs  holds %d (%.0f/s), refused %d\n", el, holds.Load(), float64(holds.Load())/el, refused.Load())
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// confirmationsRecorded counts the confirmation messages an in-process
// server has recorded (sent, or kept in its development outbox). It reads
// the messages table itself: the rehearsal owns that database.
func confirmationsRecorded(a *app.App) (int64, error) {
	var n int64
	err := a.DB().Read(context.Background(), func(tx *db.Tx) error {
		return tx.Global().Get(&n, `SELECT COUNT(*) FROM messages WHERE kind = 'confirmation'`)
	})
	return n, err
}
