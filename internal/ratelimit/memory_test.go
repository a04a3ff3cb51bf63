package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestMemoryEvictsFullBuckets checks that memory stays bounded: once a bucket
// has refilled, it is forgotten, and forgetting it changes no answer.
func TestMemoryEvictsFullBuckets(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	m := NewMemory()
	m.SetClock(func() time.Time { return now })
	ctx := context.Background()
	short := Limit{Rate: 1, Period: time.Second}
	long := Limit{Rate: 1, Period: time.Hour}

	if _, err := m.AllowN(ctx, "kept", long, 1); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		if _, err := m.AllowN(ctx, "k"+strconv.Itoa(i), short, 1); err != nil {
			t.Fatal(err)
		}
	}
	// Growth alone triggers sweeps, but nothing has refilled yet.
	if got := len(m.tat); got != 5001 {
		t.Fatalf("before refill: %d buckets, want 5001", got)
	}

	now = now.Add(sweepEvery)
	res, err := m.AllowN(ctx, "k0", short, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Allowed || res.Remaining != 1 {
		t.Fatalf("evicted bucket: %+v, want full", res)
	}
	if got := len(m.tat); got != 1 {
		t.Fatalf("after sweep: %d buckets, want only the one still refilling", got)
	}
	if res, _ := m.AllowN(ctx, "kept", long, 0); res.Allowed {
		t.Fatalf("bucket still refilling was lost: %+v", res)
	}
}
