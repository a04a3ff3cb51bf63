// Package checkinbench is `usher bench checkin`: it prepares an event with
// paid tickets and gates on a server (in-process or --target), fires scans
// from concurrent clients at the server or at a gate node, and prints
// scans/s, latency percentiles and the correctness counters that must stay
// at zero (double admissions, lost scans). It can also time how long a gate
// node takes to push a backlog of offline scans.
package checkinbench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-events/usher/internal/bench"
	"github.com/usher-events/usher/internal/gate"
	"github.com/usher-events/usher/internal/gatenode"
)

// Config is one bench run.
type Config struct {
	// Target is a running server; empty starts one in-process.
	Target      string
	Tickets     int // distinct tickets, each scanned once to admit
	Concurrency int
	Gates       int
	// Repeats is the share (0–1) of tickets scanned a second time with a
	// new scan id (must be refused) and again with the same scan id (must
	// replay the first answer).
	Repeats float64
	// GateNode sends the scans to an in-process gate node instead of the
	// server, and waits until the node has pushed them all.
	GateNode bool
	// OfflineSync, when positive, also measures pushing this many scans a
	// node took while cut off.
	OfflineSync int
	Progress    io.Writer
	Logger      *slog.Logger
}

// Result is what a run measured.
type Result struct {
	Mode                   string
	Scans                  int
	Elapsed                time.Duration
	P50, P95, P99          time.Duration
	Admitted, Refused      int
	Errors                 int
	DoubleAdmissions       int
	LostScans              int
	ServerRecorded         int
	OfflineScans           int
	OfflineSync            time.Duration
	OfflineLost            int
	PushedAfterReconnectOK bool
}

// Print writes the result.
func (r *Result) Print(w io.Writer) {
	fmt.Fprintf(w, "check-in bench (%s): %d scans in %v = %.0f scans/s\n", r.Mode, r.Scans, r.Elapsed.Round(time.Millisecond), float64(r.Scans)/r.Elapsed.Seconds())
	fmt.Fprintf(w, "latency p50 %v  p95 %v  p99 %v\n", r.P50.Round(time.Microsecond), r.P95.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	fmt.Fprintf(w, "admitted %d, refused %d (expected repeats), transport errors %d\n", r.Admitted, r.Refused, r.Errors)
	fmt.Fprintf(w, "server recorded %d scans\n", r.ServerRecorded)
	fmt.Fprintf(w, "double admissions: %d (must be 0)\nlost scans: %d (must be 0)\n", r.DoubleAdmissions, r.LostScans)
	if r.OfflineScans > 0 {
		fmt.Fprintf(w, "offline sync: %d scans taken while cut off reached the server in %v (%.0f scans/s), lost %d (must be 0)\n",
			r.OfflineScans, r.OfflineSync.Round(time.Millisecond), float64(r.OfflineScans)/r.OfflineSync.Seconds(), r.OfflineLost)
	}
}

type ticketCode struct{ ID, Code string }

type fixture struct {
	base, owner, key, event string
	gates                   []string
	tickets                 []ticketCode
}

// Run runs the bench.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Tickets <= 0 || cfg.Concurrency <= 0 || cfg.Gates <= 0 {
		return nil, fmt.Errorf("bench checkin: tickets, concurrency and gates must be positive")
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	base := cfg.Target
	if base == "" {
		url, stop, err := bench.StartInProcess(ctx, cfg.Logger)
		if err != nil {
			return nil, err
		}
		defer stop()
		base = url
	}
	fmt.Fprintf(cfg.Progress, "preparing %d tickets and %d gates at %s…\n", cfg.Tickets+cfg.OfflineSync, cfg.Gates, base)
	fx, err := prepare(ctx, base, cfg.Tickets+cfg.OfflineSync, cfg.Gates)
	if err != nil {
		return nil, err
	}
	res := &Result{Mode: "server"}
	scanBase := base
	var node *gatenode.Node
	if cfg.GateNode {
		res.Mode = "gate node"
		dir, err := os.MkdirTemp("", "usher-gate-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		nctx, cancel := context.WithCancel(ctx)
		defer cancel()
		node, err = gatenode.Open(ctx, gatenode.Config{Server: base, Token: fx.key, EventID: fx.event, DataDir: dir, Addr: "127.0.0.1:0",
			SyncInterval: 200 * time.Millisecond, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		if err := node.SyncOnce(ctx); err != nil {
			node.Close()
			return nil, err
		}
		addr := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- node.Run(nctx, func(a string) { addr <- a }) }()
		defer func() { cancel(); <-done }()
		select {
		case a := <-addr:
			scanBase = "http://" + a
		case err := <-done:
			return nil, err
		}
	}
	if err := fire(ctx, cfg, fx, scanBase, fx.tickets[:cfg.Tickets], res); err != nil {
		return nil, err
	}
	if node != nil {
		// Everything the node answered must reach the server.
		deadline := time.Now().Add(2 * time.Minute)
		for node.Status(ctx).Pending > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	}
	recorded, err := serverScans(ctx, fx)
	if err != nil {
		return nil, err
	}
	res.ServerRecorded = recorded
	res.LostScans = max(0, res.Admitted+res.Refused-recorded)
	if cfg.OfflineSync > 0 {
		if err := offline(ctx, cfg, fx, fx.tickets[cfg.Tickets:], res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func prepare(ctx context.Context, base string, tickets, gates int) (*fixture, error) {
	c := bench.NewClient(base, 8)
	fx := &fixture{base: base}
	var signup struct {
		AccessToken string `json:"access_token"`
	}
	org := fmt.Sprintf("Gate bench %d", time.Now().UnixNano())
	if st, err := c.Do(ctx, "POST", "/v1/signup", map[string]any{"organization": org, "email": fmt.Sprintf("gates-%d@bench.example", time.Now().UnixNano()),
		"password": "bench gate password"}, &signup); err != nil || st != 201 {
		return nil, fmt.Errorf("signup: %d %v", st, err)
	}
	c.Token = signup.AccessToken
	var key struct {
		Key string `json:"key"`
	}
	if st, err := c.Do(ctx, "POST", "/v1/api-keys", map[string]any{"name": "bench gate", "role": "gate"}, &key); err != nil || st != 201 {
		return nil, fmt.Errorf("gate key: %d %v", st, err)
	}
	fx.owner, fx.key = c.Token, key.Key
	now := time.Now().UTC()
	var ev, tt struct {
		ID string `json:"id"`
	}
	if st, err := c.Do(ctx, "POST", "/v1/events", map[string]any{"name": "Gate bench", "starts_at": now.Add(-time.Hour), "ends_at": now.Add(12 * time.Hour),
		"timezone": "Asia/Seoul", "venue": "Bench hall", "capacity": tickets + 10}, &ev); err != nil || st != 201 {
		return nil, fmt.Errorf("event: %d %v", st, err)
	}
	fx.event = ev.ID
	if st, err := c.Do(ctx, "POST", "/v1/events/"+ev.ID+"/ticket-types", map[string]any{"name": "General", "price": 0, "currency": "KRW",
		"quota": tickets, "max_per_order": 100}, &tt); err != nil || st != 201 {
		return nil, fmt.Errorf("ticket type: %d %v", st, err)
	}
	if st, err := c.Do(ctx, "POST", "/v1/events/"+ev.ID+"/publish", nil, nil); err != nil || st != 200 {
		return nil, fmt.Errorf("publish: %d %v", st, err)
	}
	for g := range gates {
		var gt struct {
			ID string `json:"id"`
		}
		if st, err := c.Do(ctx, "POST", "/v1/events/"+ev.ID+"/gates", map[string]any{"name": fmt.Sprintf("Main %d", g+1), "kind": "main"}, &gt); err != nil || st != 201 {
			return nil, fmt.Errorf("gate: %d %v", st, err)
		}
		fx.gates = append(fx.gates, gt.ID)
	}
	for left := tickets; left > 0; {
		q := min(left, 100)
		left -= q
		var ord struct {
			ID string `json:"id"`
		}
		if st, err := c.Do(ctx, "POST", "/v1/events/"+ev.ID+"/orders", map[string]any{
			"buyer": map[string]any{"name": "Bench Attendee", "email": "attendee@bench.example"},
			"items": []any{map[string]any{"ticket_type_id": tt.ID, "quantity": q}}}, &ord); err != nil || st != 201 {
			return nil, fmt.Errorf("order: %d %v", st, err)
		}
		var paid struct {
			Tickets []ticketCode `json:"tickets"`
		}
		if st, err := c.Do(ctx, "POST", "/v1/orders/"+ord.ID+"/pay", map[string]any{"method": "manual"}, &paid); err != nil || st != 200 {
			return nil, fmt.Errorf("pay: %d %v", st, err)
		}
		fx.tickets = append(fx.tickets, paid.Tickets...)
	}
	return fx, nil
}

// scanJob is one scan to send.
type scanJob struct {
	ticket int
	scanID string
	kind   int // 0 first scan, 1 repeat with a new id, 2 replay of the first id
}

func fire(ctx context.Context, cfg Config, fx *fixture, base string, tickets []ticketCode, res *Result) error {
	var jobs []scanJob
	for i := range tickets {
		jobs = append(jobs, scanJob{ticket: i, scanID: fmt.Sprintf("b-%d-0", i)})
	}
	repeats := int(float64(len(tickets)) * cfg.Repeats)
	for i := 0; i < repeats; i++ {
		jobs = append(jobs, scanJob{ticket: i, scanID: fmt.Sprintf("b-%d-1", i), kind: 1}, scanJob{ticket: i, scanID: fmt.Sprintf("b-%d-0", i), kind: 2})
	}
	c := bench.NewClient(base, cfg.Concurrency)
	c.Token = fx.key
	var lat bench.Latencies
	admittedBy := make([]atomic.Int32, len(tickets)) // distinct scan ids admitted per ticket
	var admitted, refused, errs atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	// The first scans go first, then the repeats, so a repeat meets an
	// admitted ticket.
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(jobs) || ctx.Err() != nil {
					return
				}
				j := jobs[k]
				body := map[string]any{"code": tickets[j.ticket].Code, "gate_id": fx.gates[j.ticket%len(fx.gates)], "scan_id": j.scanID, "device_id": "bench"}
				var out struct {
					Result   string `json:"result"`
					Replayed bool   `json:"replayed"`
				}
				t0 := time.Now()
				st, err := c.Do(ctx, "POST", "/v1/checkins", body, &out)
				lat.Add(time.Since(t0))
				switch {
				case err != nil || st >= 500 || st == 0:
					errs.Add(1)
				case st == 200:
					if j.kind != 2 && !out.Replayed {
						admittedBy[j.ticket].Add(1)
					}
					if j.kind != 2 {
						admitted.Add(1)
					}
				default:
					if j.kind != 2 {
						refused.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Scans = len(jobs)
	res.P50, res.P95, res.P99 = lat.Percentile(50), lat.Percentile(95), lat.Percentile(99)
	res.Admitted, res.Refused, res.Errors = int(admitted.Load()), int(refused.Load()), int(errs.Load())
	for i := range admittedBy {
		if n := admittedBy[i].Load(); n > 1 {
			res.DoubleAdmissions += int(n - 1)
		}
	}
	return nil
}

// serverScans counts the scans the server recorded for the event.
func serverScans(ctx context.Context, fx *fixture) (int, error) {
	c := bench.NewClient(fx.base, 1)
	c.Token = fx.key
	var st struct {
		Scans int `json:"scans"`
	}
	if code, err := c.Do(ctx, "GET", "/v1/events/"+fx.event+"/checkins/stats", nil, &st); err != nil || code != 200 {
		return 0, fmt.Errorf("stats: %d %v", code, err)
	}
	return st.Scans, nil
}

// offline scans tickets at a node cut off from the server (pointed at a
// closed port), then reopens its journal pointed at the server and times the
// push of the backlog.
func offline(ctx context.Context, cfg Config, fx *fixture, tickets []ticketCode, res *Result) error {
	dir, err := os.MkdirTemp("", "usher-gate-offline-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The node first syncs keys and tickets while online…
	n, err := gatenode.Open(ctx, gatenode.Config{Server: fx.base, Token: fx.key, EventID: fx.event, DataDir: dir, Addr: "127.0.0.1:0", Logger: cfg.Logger})
	if err != nil {
		return err
	}
	if err := n.SyncOnce(ctx); err != nil {
		n.Close()
		return err
	}
	n.Close()
	// …then loses the server and scans.
	dead, err := closedPort()
	if err != nil {
		return err
	}
	n, err = gatenode.Open(ctx, gatenode.Config{Server: dead, Token: fx.key, EventID: fx.event, DataDir: dir, Addr: "127.0.0.1:0", Logger: cfg.Logger})
	if err != nil {
		return err
	}
	before, err := serverScans(ctx, fx)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Progress, "scanning %d tickets at a node cut off from the server…\n", len(tickets))
	for i, tk := range tickets {
		if _, err := n.Scan(ctx, gateScan(tk.Code, fx.gates[i%len(fx.gates)], fmt.Sprintf("off-%d", i))); err != nil {
			n.Close()
			return fmt.Errorf("offline scan %d: %w", i, err)
		}
	}
	n.Close()
	n, err = gatenode.Open(ctx, gatenode.Config{Server: fx.base, Token: fx.key, EventID: fx.event, DataDir: dir, Addr: "127.0.0.1:0", BatchSize: 1000, Logger: cfg.Logger})
	if err != nil {
		return err
	}
	defer n.Close()
	t0 := time.Now()
	if err := n.SyncOnce(ctx); err != nil {
		return err
	}
	res.OfflineSync = time.Since(t0)
	res.OfflineScans = len(tickets)
	after, err := serverScans(ctx, fx)
	if err != nil {
		return err
	}
	res.OfflineLost = len(tickets) - (after - before)
	return nil
}

// closedPort returns the URL of a loopback port nobody listens on.
func closedPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr, nil
}

func gateScan(code, gateID, scanID string) gate.ScanInput {
	return gate.ScanInput{Code: code, GateID: gateID, ScanID: scanID, DeviceID: "bench-offline"}
}
