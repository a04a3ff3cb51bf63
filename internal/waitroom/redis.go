package waitroom

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// redisStore shares rooms between nodes. Arrivals are numbered with INCR;
// the frontier state is one JSON value changed with optimistic transactions
// (WATCH/MULTI), at most a few times a second per node.
type redisStore struct{ rdb *redis.Client }

func newRedisStore(rdb *redis.Client) *redisStore { return &redisStore{rdb: rdb} }

func rkey(eventID, part string) string { return "usher:wr:{" + eventID + "}:" + part }

func (r *redisStore) join(ctx context.Context, eventID, client string, pre bool, issue func(int64) string) (string, error) {
	clients := rkey(eventID, "clients")
	if client != "" {
		t, err := r.rdb.HGet(ctx, clients, client).Result()
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, redis.Nil) {
			return "", err
		}
	}
	counter := rkey(eventID, "post")
	if pre {
		counter = rkey(eventID, "pre")
	}
	seq, err := r.rdb.Incr(ctx, counter).Result()
	if err != nil {
		return "", err
	}
	t := issue(seq)
	if client == "" {
		return t, nil
	}
	set, err := r.rdb.HSetNX(ctx, clients, client, t).Result()
	if err != nil {
		return "", err
	}
	if !set {
		// Another node answered the same client first; its token wins and
		// this sequence number stays unused.
		return r.rdb.HGet(ctx, clients, client).Result()
	}
	return t, nil
}

func (r *redisStore) counts(ctx context.Context, eventID string) (counts, error) {
	vals, err := r.rdb.MGet(ctx, rkey(eventID, "pre"), rkey(eventID, "post")).Result()
	if err != nil {
		return counts{}, err
	}
	return counts{Pre: toInt(vals[0]), Post: toInt(vals[1])}, nil
}

func toInt(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func (r *redisStore) read(ctx context.Context, eventID string) (state, error) {
	raw, err := r.rdb.Get(ctx, rkey(eventID, "state")).Bytes()
	if errors.Is(err, redis.Nil) {
		return state{}, nil
	}
	if err != nil {
		return state{}, err
	}
	var st state
	return st, json.Unmarshal(raw, &st)
}

func (r *redisStore) update(ctx context.Context, eventID string, fn func(*state, func(int64) int64)) (state, error) {
	key, doneKey := rkey(eventID, "state"), rkey(eventID, "done")
	var out state
	for attempt := 0; attempt < 20; attempt++ {
		err := r.rdb.Watch(ctx, func(tx *redis.Tx) error {
			var st state
			raw, err := tx.Get(ctx, key).Bytes()
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				return err
			default:
				if err := json.Unmarshal(raw, &st); err != nil {
					return err
				}
			}
			done, err := tx.HGetAll(ctx, doneKey).Result()
			if err != nil {
				return err
			}
			fn(&st, func(since int64) int64 {
				var n int64
				for sec, c := range done {
					s, _ := strconv.ParseInt(sec, 10, 64)
					if s*1000 >= since-999 {
						n += toInt(c)
					}
				}
				return n
			})
			enc, err := json.Marshal(st)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, enc, 0)
				return nil
			})
			out = st
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return out, err
	}
	// Lost the race every time: another node keeps advancing the room, so
	// its state is as fresh as ours would have been.
	return r.read(ctx, eventID)
}

func (r *redisStore) complete(ctx context.Context, eventID string, admittedAt int64, rankKey string) error {
	added, err := r.rdb.SAdd(ctx, rkey(eventID, "finished"), rankKey).Result()
	if err != nil || added == 0 {
		return err
	}
	return r.rdb.HIncrBy(ctx, rkey(eventID, "done"), strconv.FormatInt(admittedAt/1000, 10), 1).Err()
}

func (r *redisStore) finished(ctx context.Context, eventID, rankKey string) (bool, error) {
	return r.rdb.SIsMember(ctx, rkey(eventID, "finished"), rankKey).Result()
}

func (r *redisStore) config(ctx context.Context, eventID string) (Config, bool, error) {
	raw, err := r.rdb.Get(ctx, rkey(eventID, "config")).Bytes()
	if errors.Is(err, redis.Nil) {
		return Config{}, false, nil
	}
	if err != nil {
		return Config{}, false, err
	}
	var c Config
	return c, true, json.Unmarshal(raw, &c)
}

func (r *redisStore) setConfig(ctx context.Context, eventID string, c Config) error {
	enc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return r.rdb.Set(ctx, rkey(eventID, "config"), enc, 0).Err()
}
