package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/usher-events/usher/internal/bench"
	"github.com/usher-events/usher/internal/gate/checkinbench"
	"github.com/usher-events/usher/internal/gate/sim"
	"github.com/usher-events/usher/internal/gatenode"
)

// gateCmd is the venue edge node.
type gateCmd struct {
	Server       string        `help:"The central server's URL." required:"" placeholder:"URL"`
	Token        string        `help:"A gate API key of the event's organization; tablets send the same key to this node." required:""`
	Event        string        `help:"The event this node serves." required:""`
	DataDir      string        `help:"Folder for the node's scan journal and its copy of the tickets." default:"./usher-gate-data"`
	Addr         string        `help:"Address tablets on the venue network reach." default:"127.0.0.1:8090"`
	SyncInterval time.Duration `help:"Pause between syncs while online." default:"2s"`
	MaxBackoff   time.Duration `help:"Longest pause between attempts while the server does not answer." default:"30s"`
}

func (c *gateCmd) run(ctx context.Context, log *slog.Logger, ready func(string)) error {
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("--server must look like http://host:8080")
	}
	n, err := gatenode.Open(ctx, gatenode.Config{Server: c.Server, Token: c.Token, EventID: c.Event, DataDir: c.DataDir,
		Addr: c.Addr, SyncInterval: c.SyncInterval, MaxBackoff: c.MaxBackoff, Logger: log})
	if err != nil {
		return err
	}
	return n.Run(ctx, ready)
}

// simulateCmd groups the queueing rehearsals.
type simulateCmd struct {
	Gates simulateGatesCmd `cmd:"" help:"Predict queues and waits per gate from an arrival curve and a gate plan."`
}

type simulateGatesCmd struct {
	Attendees   int           `help:"People expected." default:"500"`
	Gates       int           `help:"Gate lanes open." default:"3"`
	RatePerGate float64       `help:"Check-ins per minute one gate handles." default:"15"`
	Arrivals    string        `help:"Arrival curve: minutes and shares like 0-30:40%,30-60:50%,60-90:10%, or a preset: wave, uniform, peak." default:"wave"`
	Seed        uint64        `help:"Seed of the random arrivals (the same seed gives the same forecast)." default:"1"`
	Even        bool          `help:"Space arrivals evenly inside each span instead of at random."`
	Interval    time.Duration `help:"Reporting interval." default:"5m"`
	TargetWait  time.Duration `help:"The average wait the plan must keep." default:"3m"`
}

func (c *simulateGatesCmd) run(stdout io.Writer) error {
	curve, err := sim.ParseCurve(c.Arrivals)
	if err != nil {
		return err
	}
	r, err := sim.Run(sim.Plan{Attendees: c.Attendees, Gates: c.Gates, RatePerGate: c.RatePerGate, Curve: curve,
		Even: c.Even, Seed: c.Seed, Bucket: c.Interval, TargetWait: c.TargetWait})
	if err != nil {
		return err
	}
	r.Print(stdout)
	return nil
}

type checkinBenchCmd struct {
	Target      string  `help:"A running server's loopback URL; without it a server runs in-process on a temporary SQLite folder." placeholder:"URL"`
	Tickets     int     `help:"Tickets, each scanned once to admit." default:"5000"`
	Concurrency int     `help:"Scans in flight at once." default:"32"`
	Gates       int     `help:"Gates the scans spread over." default:"3"`
	Repeats     float64 `help:"Share of tickets scanned again (new scan id: refused; same scan id: replayed)." default:"0.1"`
	GateNode    bool    `help:"Scan at an in-process gate node that pushes to the server, instead of at the server."`
	OfflineSync int     `help:"Also time pushing this many scans a node took while cut off." default:"0"`
}

func (c *checkinBenchCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	if c.Target != "" {
		if err := bench.CheckLoopback(c.Target); err != nil {
			return err
		}
	}
	if c.Concurrency < 1 || c.Concurrency > 4096 || c.Tickets < 1 || c.Tickets > 1_000_000 || c.Repeats < 0 || c.Repeats > 1 {
		return fmt.Errorf("--concurrency 1–4096, --tickets 1–1,000,000, --repeats 0–1")
	}
	res, err := checkinbench.Run(ctx, checkinbench.Config{Target: c.Target, Tickets: c.Tickets, Concurrency: c.Concurrency, Gates: c.Gates,
		Repeats: c.Repeats, GateNode: c.GateNode, OfflineSync: c.OfflineSync, Progress: stdout, Logger: log})
	if err != nil {
		return err
	}
	res.Print(stdout)
	if res.DoubleAdmissions != 0 || res.LostScans != 0 || res.OfflineLost != 0 {
		return fmt.Errorf("correctness counters are not zero")
	}
	return nil
}
