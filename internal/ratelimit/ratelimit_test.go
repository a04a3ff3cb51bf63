package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/ratelimit"
)

// bundle is what one conformance test needs from an implementation.
type bundle struct {
	limiter ratelimit.Limiter
	// key returns a bucket name no other test (or test run) uses.
	key func(name string) string
	// advance lets d of time pass for the limiter.
	advance func(d time.Duration)
}

// implementations lists every Limiter with a setup for one test. Redis runs
// only when USHER_TEST_REDIS_URL is set.
var implementations = []struct {
	name  string
	setup func(t *testing.T) bundle
}{
	{"memory", setupMemory},
	{"redis", setupRedis},
}

func setupMemory(t *testing.T) bundle {
	var mu sync.Mutex
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	m := ratelimit.NewMemory()
	m.SetClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	})
	return bundle{
		limiter: m,
		key:     func(name string) string { return name },
		advance: func(d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(d)
		},
	}
}

func setupRedis(t *testing.T) bundle {
	url := dbtest.RedisURL()
	if url == "" {
		t.Skip("USHER_TEST_REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	prefix := "test:" + id.New("t") + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, "*"+ratelimit.KeyPrefix+prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		client.Close()
	})
	return bundle{
		limiter: ratelimit.NewRedis(client),
		key:     func(name string) string { return prefix + name },
		// Redis uses its own clock, so time can only pass for real. The
		// margin absorbs the script's floating-point seconds.
		advance: func(d time.Duration) { time.Sleep(d + 5*time.Millisecond) },
	}
}

// each runs fn as a parallel subtest per implementation.
func each(t *testing.T, fn func(t *testing.T, b bundle)) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			fn(t, impl.setup(t))
		})
	}
}

func allow(t *testing.T, b bundle, key string, l ratelimit.Limit, n int) ratelimit.Result {
	t.Helper()
	res, err := b.limiter.AllowN(context.Background(), key, l, n)
	if err != nil {
		t.Fatalf("AllowN(%q, %d): %v", key, n, err)
	}
	return res
}

// Intervals of whole seconds keep Redis's floating-point arithmetic exact, so
// Remaining can be compared exactly.
var threePerMinute = ratelimit.Limit{Rate: 3, Period: time.Minute}

func TestBurstExhaustion(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b bundle) {
		key := b.key("burst")
		for i, want := range []int{2, 1, 0} {
			res := allow(t, b, key, threePerMinute, 1)
			if !res.Allowed || res.Remaining != want || res.RetryAfter != 0 {
				t.Fatalf("take %d: %+v, want allowed with %d remaining", i+1, res, want)
			}
		}
		res := allow(t, b, key, threePerMinute, 1)
		if res.Allowed || res.Remaining != 0 {
			t.Fatalf("take 4: %+v, want denied", res)
		}
		// One token comes back every 20 seconds.
		if res.RetryAfter <= 0 || res.RetryAfter > 20*time.Second {
			t.Fatalf("take 4: RetryAfter = %v, want in (0, 20s]", res.RetryAfter)
		}
	})
}

func TestCostAboveOne(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b bundle) {
		key := b.key("cost")
		steps := []struct {
			n       int
			allowed bool
			left    int
		}{
			{2, true, 1},
			{2, false, 0}, // only one token left: a denial takes nothing
			{1, true, 0},
		}
		for i, s := range steps {
			res := allow(t, b, key, threePerMinute, s.n)
			if res.Allowed != s.allowed || res.Remaining != s.left {
				t.Fatalf("step %d (n=%d): %+v, want allowed=%v remaining=%d", i, s.n, res, s.allowed, s.left)
			}
			if !res.Allowed && res.RetryAfter <= 0 {
				t.Fatalf("step %d: denied with RetryAfter %v", i, res.RetryAfter)
			}
		}
	})
}

func TestPeekDoesNotConsume(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b bundle) {
		key := b.key("peek")
		res := allow(t, b, key, threePerMinute, 0)
		if !res.Allowed || res.Remaining != 3 {
			t.Fatalf("peek at a new bucket: %+v, want allowed with 3 remaining", res)
		}
		allow(t, b, key, threePerMinute, 1)
		for i := range 5 {
			res := allow(t, b, key, threePerMinute, 0)
			if !res.Allowed || res.Remaining != 2 {
				t.Fatalf("peek %d after one take: %+v, want allowed with 2 remaining", i, res)
			}
		}
		allow(t, b, key, threePerMinute, 2)
		res = allow(t, b, key, threePerMinute, 0)
		if res.Allowed || res.Remaining != 0 || res.RetryAfter <= 0 {
			t.Fatalf("peek at an empty bucket: %+v, want denied with a RetryAfter", res)
		}
		// An interval that floating point cannot hold exactly must still
		// read a full bucket as full.
		fifth := ratelimit.Limit{Rate: 1, Period: 200 * time.Millisecond, Burst: 1}
		if res := allow(t, b, b.key("peek-fifth"), fifth, 0); !res.Allowed || res.Remaining != 1 {
			t.Fatalf("peek at a new bucket of 1 per 200ms: %+v, want allowed with 1 remaining", res)
		}
	})
}

func TestRefill(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b bundle) {
		key := b.key("refill")
		l := ratelimit.Limit{Rate: 1, Period: 200 * time.Millisecond, Burst: 1}
		// Take until denied rather than assume how fast two calls are.
		var denied ratelimit.Result
		for i := 0; ; i++ {
			if i == 100 {
				t.Fatal("never denied in 100 takes from a bucket of 1")
			}
			if denied = allow(t, b, key, l, 1); !denied.Allowed {
				break
			}
		}
		if denied.RetryAfter <= 0 || denied.RetryAfter > 200*time.Millisecond {
			t.Fatalf("denied: RetryAfter = %v, want in (0, 200ms]", denied.RetryAfter)
		}
		b.advance(denied.RetryAfter)
		if res := allow(t, b, key, l, 0); !res.Allowed {
			t.Fatalf("peek after RetryAfter: %+v, want allowed", res)
		}
		if res := allow(t, b, key, l, 1); !res.Allowed {
			t.Fatalf("take after RetryAfter: %+v, want allowed", res)
		}
	})
}

func TestKeysAreIndependent(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b bundle) {
		a, other := b.key("a"), b.key("b")
		allow(t, b, a, threePerMinute, 3)
		if res := allow(t, b, a, threePerMinute, 1); res.Allowed {
			t.Fatalf("exhausted bucket: %+v, want denied", res)
		}
		if res := allow(t, b, other, threePerMinute, 0); !res.Allowed || res.Remaining != 3 {
			t.Fatalf("other bucket: %+v, want full", res)
		}
	})
}

// TestConcurrentTakes checks that a take is atomic: many callers racing for
// one bucket get exactly its burst between them.
func TestConcurrentTakes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b bundle) {
		key := b.key("race")
		l := ratelimit.Limit{Rate: 10, Period: time.Hour}
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				res, err := b.limiter.AllowN(context.Background(), key, l, 1)
				if err != nil {
					t.Error(err)
				}
				if res.Allowed {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		if got := allowed.Load(); got != 10 {
			t.Fatalf("%d of 50 concurrent takes allowed, want 10", got)
		}
	})
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b bundle) {
		tests := []struct {
			name string
			l    ratelimit.Limit
			n    int
		}{
			{"no rate", ratelimit.Limit{Period: time.Minute}, 1},
			{"no period", ratelimit.Limit{Rate: 1}, 1},
			{"negative cost", threePerMinute, -1},
			{"cost above burst", threePerMinute, 4},
			{"negative burst", ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: -1}, 0},
		}
		for _, tt := range tests {
			_, err := b.limiter.AllowN(context.Background(), b.key("invalid"), tt.l, tt.n)
			if !errors.Is(err, ratelimit.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", tt.name, err)
			}
		}
	})
}
