// Package ratelimit decides whether a caller may do something again yet: login
// attempts per account and address now, a tier's request rate later. It has
// one small interface with two implementations: Memory for a single node and
// Redis for nodes that must share their counts.
//
// Both implement the generic cell rate algorithm (GCRA): a bucket is one
// timestamp, the "theoretical arrival time" of the next token, so a full
// bucket and a missing one are the same thing. That keeps the Redis state to
// one key per bucket and lets Memory forget idle buckets without losing
// anything.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Limit is a rate of Rate tokens per Period, of which up to Burst can be
// taken at once; for example 10 per 15 minutes with a burst of 10.
type Limit struct {
	Rate   int
	Period time.Duration
	// Burst is the size of the bucket. Zero means Rate, the common case of
	// "Rate per Period, all at once if need be".
	Burst int
}

// Result is the state of a bucket after AllowN.
type Result struct {
	// Allowed reports whether the tokens were taken (for n == 0: whether at
	// least one token is left).
	Allowed bool
	// Remaining is how many whole tokens are left; 0 when denied.
	Remaining int
	// RetryAfter is how long until the request would be allowed; 0 when
	// allowed.
	RetryAfter time.Duration
}

// Limiter takes tokens from named buckets.
type Limiter interface {
	// AllowN takes n tokens from key's bucket. n == 0 only reports the state without taking anything
	// (Allowed is then true when at least one token is left).
	AllowN(ctx context.Context, key string, l Limit, n int) (Result, error)
}

// ErrInvalid is returned for a limit that cannot be enforced (no rate, no
// period) or a cost it can never allow (negative, or more than the burst).
var ErrInvalid = errors.New("ratelimit: invalid limit or cost")

// check validates a request and fills in the default burst, so that both
// implementations reject the same things in the same words.
func check(l Limit, n int) (Limit, error) {
	if l.Burst == 0 {
		l.Burst = l.Rate
	}
	switch {
	case l.Rate <= 0 || l.Period <= 0 || l.Burst < 0:
		return l, fmt.Errorf("%w: %d per %s, burst %d", ErrInvalid, l.Rate, l.Period, l.Burst)
	case l.Period/time.Duration(l.Rate) <= 0:
		return l, fmt.Errorf("%w: %d per %s is finer than a nanosecond", ErrInvalid, l.Rate, l.Period)
	case int64(l.Burst) > math.MaxInt64/int64(l.Period/time.Duration(l.Rate)):
		return l, fmt.Errorf("%w: burst %d of %d per %s overflows", ErrInvalid, l.Burst, l.Rate, l.Period)
	case n < 0 || n > l.Burst:
		return l, fmt.Errorf("%w: cost %d with burst %d", ErrInvalid, n, l.Burst)
	}
	return l, nil
}
