package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/usher-events/usher/internal/bench"
)

type participationCmd struct {
	Target       string `help:"A running server's loopback URL; without it a server runs in-process on a temporary SQLite folder (with the per-address participation limit raised for it)." placeholder:"URL"`
	Participants int    `help:"Submissions to send." default:"20000"`
	Concurrency  int    `help:"Submissions in flight at once." default:"64"`
	Duplicates   string `help:"Share of submissions that repeat an earlier person in another spelling of the phone number, like 20%." default:"20%"`
	SpreadIPs    bool   `name:"spread-ips" help:"Send each submission with its own X-Forwarded-For address; only a server started with --trust-proxy honours it, so its per-address limit does not throttle a bench from one machine."`
}

func (c *participationCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	if c.Target != "" {
		if err := bench.CheckLoopback(c.Target); err != nil {
			return err
		}
	}
	if c.Concurrency < 1 || c.Concurrency > 4096 {
		return fmt.Errorf("--concurrency must be between 1 and 4096")
	}
	if c.Participants < 1 || c.Participants > 10_000_000 {
		return fmt.Errorf("--participants must be between 1 and 10000000")
	}
	var pct int
	if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimSpace(c.Duplicates), "%"), "%d", &pct); err != nil || pct < 0 || pct > 100 {
		return fmt.Errorf("--duplicates must be a share like 20%%, from 0%% to 100%%")
	}
	fmt.Fprintln(stdout, "preparing the campaign…")
	res, err := bench.Participation(ctx, bench.ParticipationConfig{Target: c.Target, Participants: c.Participants,
		Concurrency: c.Concurrency, DuplicatePct: pct, SpreadAddresses: c.SpreadIPs, Logger: log})
	if err != nil {
		return err
	}
	res.Print(stdout)
	if !res.OK() {
		return fmt.Errorf("correctness check failed: %d people accepted twice, %d stored of %d accepted, %d other answers",
			res.TwiceAccepted, res.Stored, res.Accepted, res.Errors)
	}
	return nil
}
