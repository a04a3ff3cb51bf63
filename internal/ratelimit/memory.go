package ratelimit

import (
	"context"
	"sync"
	"time"
)

const (
	// sweepEvery bounds how long a drained-and-refilled bucket can linger.
	sweepEvery = time.Minute
	// minSweepAt is the map size below which only the clock triggers sweeps.
	minSweepAt = 1024
)

// Memory is an in-process Limiter for a single node. It is safe for
// concurrent use.
type Memory struct {
	mu  sync.Mutex
	now func() time.Time
	// tat holds each bucket's theoretical arrival time: the bucket is full
	// again at tat, and a bucket whose tat has passed is deleted.
	tat       map[string]time.Time
	nextSweep time.Time
	sweepAt   int
}

// NewMemory returns an empty in-process limiter on the wall clock.
func NewMemory() *Memory {
	return &Memory{now: time.Now, tat: make(map[string]time.Time), sweepAt: minSweepAt}
}

// SetClock replaces the clock, so tests can move time instead of sleeping.
func (m *Memory) SetClock(now func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = now
}

// AllowN implements Limiter.
func (m *Memory) AllowN(_ context.Context, key string, l Limit, n int) (Result, error) {
	l, err := check(l, n)
	if err != nil {
		return Result{}, err
	}
	interval := l.Period / time.Duration(l.Rate)
	capacity := interval * time.Duration(l.Burst)

	// One lock for all keys: the critical section is a map lookup and some
	// arithmetic, far cheaper than the request it guards.
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	tat := now
	if t, ok := m.tat[key]; ok && t.After(now) {
		tat = t
	}
	// avail is the bucket's content measured in time: interval per token.
	// It can be negative when a key is used with a smaller burst than before.
	avail := capacity - tat.Sub(now)
	if n == 0 {
		if avail < interval {
			return Result{RetryAfter: interval - avail}, nil
		}
		return Result{Allowed: true, Remaining: int(avail / interval)}, nil
	}
	cost := interval * time.Duration(n)
	if avail < cost {
		return Result{RetryAfter: cost - avail}, nil
	}
	m.tat[key] = tat.Add(cost)
	return Result{Allowed: true, Remaining: int((avail - cost) / interval)}, nil
}

// sweep deletes full buckets, which hold no information. It runs once a
// minute, or sooner when the map has doubled since the last sweep, so that
// its cost stays proportional to the calls that grew the map.
func (m *Memory) sweep(now time.Time) {
	if len(m.tat) < m.sweepAt && now.Before(m.nextSweep) {
		return
	}
	for k, t := range m.tat {
		if !t.After(now) {
			delete(m.tat, k)
		}
	}
	m.nextSweep = now.Add(sweepEvery)
	m.sweepAt = max(2*len(m.tat), minSweepAt)
}
