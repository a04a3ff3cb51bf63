package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFloorNeedsInProcessQuantity: the floor is refused against a target
// or on seats.
func TestFloorNeedsInProcessQuantity(t *testing.T) {
	for _, cfg := range []FlashSaleConfig{{Floor: true, Seats: 10}, {Floor: true, Target: "http://127.0.0.1:1"}} {
		if _, err := FlashSale(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "floor") {
			t.Fatalf("%+v: err = %v", cfg, err)
		}
	}
}

// TestSplitTargets: --target takes one loopback URL or several separated
// by commas, and refuses the lot when one of them is not on this machine.
func TestSplitTargets(t *testing.T) {
	got, err := SplitTargets(" http://127.0.0.1:8081/, http://localhost:8082,,http://[::1]:8083")
	if err != nil || strings.Join(got, " ") != "http://127.0.0.1:8081 http://localhost:8082 http://[::1]:8083" {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, err := SplitTargets(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q, %v", got, err)
	}
	for _, bad := range []string{"http://127.0.0.1:8081,http://10.0.0.5:8080", "127.0.0.1:8081", "ftp://127.0.0.1"} {
		if _, err := SplitTargets(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

// TestFlashSaleInProcess runs both rehearsals briefly against an in-process
// server: the stock sells out exactly and nothing is oversold. Speed is not
// asserted (see BENCHMARKS.md); USHER_BENCH_DURATION lengthens the run for
// profiling with -cpuprofile.
func TestFlashSaleInProcess(t *testing.T) {
	d := 20 * time.Second
	quota := 300
	if v := os.Getenv("USHER_BENCH_DURATION"); v != "" {
		d, _ = time.ParseDuration(v)
		quota = 1000000
	}
	for _, cfg := range []FlashSaleConfig{
		{Quota: quota, Concurrency: 64, Duration: d, Compare: time.Second},
		{Seats: 200, Concurrency: 64, Duration: d, Compare: time.Second},
		{Quota: quota, Concurrency: 64, Duration: d, Compare: time.Second, Floor: true},
	} {
		res, err := FlashSale(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Oversold != 0 || res.Errors != 0 {
			t.Fatalf("%s: oversold %d, errors %d", res.Mode, res.Oversold, res.Errors)
		}
		if os.Getenv("USHER_BENCH_DURATION") == "" && res.Holds != int64(res.Stock) {
			t.Fatalf("%s: %d holds for a stock of %d", res.Mode, res.Holds, res.Stock)
		}
		// Sold out: the buyers who kept trying were all refused.
		if res.SoldOutAfter > 0 && (res.SoldOutPerSec == 0 || res.LateHolds != 0) {
			t.Fatalf("%s after selling out: %.0f refusals/s, %d holds", res.Mode, res.SoldOutPerSec, res.LateHolds)
		}
		t.Logf("%s: %d holds, %.0f/s, healthz %.0f/s, p99 %s", res.Mode, res.Holds, res.HoldsPerSec, res.HealthzPerSec, res.P99)
		if os.Getenv("USHER_BENCH_DURATION") != "" {
			break
		}
	}
}
