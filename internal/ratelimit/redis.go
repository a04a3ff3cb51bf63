package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// KeyPrefix starts the name of every bucket Usher keeps in Redis, so that the
// buckets can be told apart from other data in a shared instance. redis_rate
// puts its own "rate:" in front, so the keys are "rate:usher:rl:<key>".
const KeyPrefix = "usher:rl:"

// Redis is a Limiter whose buckets live in Redis and are shared by every node.
// Each call is one Lua script run, atomic on the server, on the server's
// clock.
type Redis struct {
	client *redis.Client
	rl     *redis_rate.Limiter
}

// NewRedis returns a limiter on the client.
func NewRedis(client *redis.Client) *Redis {
	return &Redis{client: client, rl: redis_rate.NewLimiter(client)}
}

// AllowN implements Limiter.
func (r *Redis) AllowN(ctx context.Context, key string, l Limit, n int) (Result, error) {
	l, err := check(l, n)
	if err != nil {
		return Result{}, err
	}
	key = KeyPrefix + key
	if n == 0 {
		return r.peek(ctx, key, l)
	}
	lim := redis_rate.Limit{Rate: l.Rate, Burst: l.Burst, Period: l.Period}
	res, err := r.rl.AllowN(ctx, key, lim, n)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if res.Allowed < n {
		return Result{RetryAfter: atLeastTick(res.RetryAfter)}, nil
	}
	return Result{Allowed: true, Remaining: res.Remaining}, nil
}

// peek reports the bucket without taking from it. redis_rate cannot do that:
// AllowN with a cost of 0 allows even an empty bucket, and AllowAtMost with 0
// computes the tokens as now - (tat - burst), which loses the low bits of
// the epoch seconds and calls a full bucket with a 200 ms interval 0.99999
// tokens, so empty. peekScript reads redis_rate's bucket and subtracts the
// small numbers first.
func (r *Redis) peek(ctx context.Context, key string, l Limit) (Result, error) {
	v, err := peekScript.Run(ctx, r.client, []string{redisRatePrefix + key}, l.Burst, l.Rate, l.Period.Seconds()).Slice()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	remaining, _ := v[0].(int64)
	secs, _ := v[1].(string)
	retry, err := strconv.ParseFloat(secs, 64)
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: peek answered %v: %w", v, err)
	}
	if remaining < 1 {
		return Result{RetryAfter: atLeastTick(time.Duration(retry * float64(time.Second)))}, nil
	}
	return Result{Allowed: true, Remaining: int(remaining)}, nil
}

// redisRatePrefix is the prefix redis_rate puts on its keys (its unexported
// redisPrefix); peekScript must read the same key. The conformance suite's
// peek-after-take test fails if the two ever drift apart.
const redisRatePrefix = "rate:"

// peekScript returns {whole tokens left, seconds until one is left}. It reads
// the bucket as redis_rate stores it, the theoretical arrival time in seconds
// since 2017 on the server's clock, and writes nothing.
var peekScript = redis.NewScript(`
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local interval = period / rate

local t = redis.call("TIME")
local now = (t[1] - 1483228800) + (t[2] / 1000000)
local tat = tonumber(redis.call("GET", KEYS[1]))

local held = 0
if tat and tat > now then
  held = tat - now
end
local avail = interval * burst - held
if avail < interval then
  return {0, tostring(interval - avail)}
end
return {math.floor(avail / interval), "0"}
`)

// atLeastTick keeps a denial's RetryAfter positive: the script computes it in
// floating-point seconds, and a wait shorter than a nanosecond rounds to 0,
// which callers would read as "allowed".
func atLeastTick(d time.Duration) time.Duration {
	return max(d, time.Microsecond)
}
