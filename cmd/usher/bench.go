package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/usher-events/usher/internal/bench"
)

// benchCmd groups the rehearsals that put a measured load on a server.
type benchCmd struct {
	FlashSale     flashSaleCmd     `cmd:"" name:"flash-sale" help:"Buyers holding tickets or seats as fast as they can; prints holds/s, latency, oversold and the ratio to GET /healthz."`
	Participation participationCmd `cmd:"" help:"Campaign participations with duplicate phones in other spellings; prints participations/s, latency and the correctness counter (people accepted twice, must be 0)."`
	Checkin       checkinBenchCmd  `cmd:"" help:"Scans at the gates (server or --gate-node); prints scans/s, latency and the correctness counters (double admissions, lost scans, must be 0)."`
}

type flashSaleCmd struct {
	Target        string        `help:"A running server's loopback URL, or several nodes' URLs separated by commas (buyers are spread over them); without it a server runs in-process on a temporary SQLite folder." placeholder:"URL"`
	Buyers        int           `help:"Distinct buyers." default:"10000"`
	Concurrency   int           `help:"Requests in flight at once." default:"64"`
	Seats         int           `help:"Sell a seat map of this many seats (buyers pick random seats) instead of a quantity." default:"0"`
	Quota         int           `help:"Tickets of one type to sell when --seats is not given." default:"100000"`
	Duration      time.Duration `help:"Upper bound of each phase (the sale ends sooner when sold out)." default:"10s"`
	CPUProfile    string        `help:"Write a CPU profile of the sale phase (client and in-process server) to this file, for go tool pprof." placeholder:"FILE"`
	Trace         string        `help:"Write an execution trace of the sale phase to this file, for go tool trace." placeholder:"FILE"`
	AllocsProfile string        `help:"Write the allocations of the sale phase to FILE (and the start's to FILE.base): go tool pprof -sample_index=alloc_space -base FILE.base usher FILE." placeholder:"FILE"`
	Floor         bool          `help:"Measure the floor instead of the orders API: the same requests answered by a minimal durable hold (one row and a conditional update through the same server, auth, audit and writer), which bounds what any hold design can reach here. In-process, quantity only."`
}

func (c *flashSaleCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	if _, err := bench.SplitTargets(c.Target); err != nil {
		return err
	}
	if c.Concurrency < 1 || c.Concurrency > 4096 {
		return fmt.Errorf("--concurrency must be between 1 and 4096")
	}
	if c.Duration <= 0 || c.Duration > time.Hour {
		return fmt.Errorf("--duration must be between 0 and 1h")
	}
	cfg := bench.FlashSaleConfig{
		Target: c.Target, Buyers: c.Buyers, Concurrency: c.Concurrency, Seats: c.Seats, Quota: c.Quota,
		Duration: c.Duration, Progress: stdout, Logger: log, Floor: c.Floor,
	}
	// The profile files asked for, each closed when the run ends.
	type output struct {
		name string
		dst  *io.Writer
	}
	outputs := []output{{c.CPUProfile, &cfg.Profile}, {c.Trace, &cfg.Trace}, {c.AllocsProfile, &cfg.Allocs}}
	if c.AllocsProfile != "" {
		outputs = append(outputs, output{c.AllocsProfile + ".base", &cfg.AllocsBase})
	}
	for _, o := range outputs {
		if o.name == "" {
			continue
		}
		f, err := os.Create(o.name)
		if err != nil {
			return err
		}
		defer f.Close()
		*o.dst = f
	}
	fmt.Fprintln(stdout, "preparing the sale…")
	res, err := bench.FlashSale(ctx, cfg)
	if err != nil {
		return err
	}
	res.Print(stdout)
	if res.Oversold != 0 {
		return fmt.Errorf("oversold %d", res.Oversold)
	}
	return nil
}
