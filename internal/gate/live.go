package gate

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/usher-events/usher/internal/db"
)

// liveChannel prefixes the Redis channel of an event's live updates.
const liveChannel = "usher:gate:live:"

// Live fans "this event's check-ins changed" out to the open dashboard
// streams. A notice carries no data: each stream reads fresh statistics, so
// a lost notice costs at most one refresh period and never shows wrong
// numbers. With Redis, notices travel through pub/sub, so a scan on one node
// updates the streams on every node.
type Live struct {
	rdb *redis.Client
	log *slog.Logger

	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}

	startOnce sync.Once
	cancel    context.CancelFunc
	done      chan struct{}
}

// NewLive returns a hub; rdb may be nil for a single node.
func NewLive(rdb *redis.Client, log *slog.Logger) *Live {
	return &Live{rdb: rdb, log: log, subs: map[string]map[chan struct{}]struct{}{}}
}

func liveKey(tenantID, eventID string) string { return tenantID + "/" + eventID }

// Notify tells the streams of the event (of the tenant of ctx) that its
// check-ins changed.
func (l *Live) Notify(ctx context.Context, eventID string) {
	tenantID, _ := db.TenantFrom(ctx)
	key := liveKey(tenantID, eventID)
	if l.rdb != nil {
		if err := l.rdb.Publish(ctx, liveChannel+key, "1").Err(); err == nil {
			return
		}
		// Redis is down: at least this node's streams update.
	}
	l.deliver(key)
}

func (l *Live) deliver(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs[key] {
		select {
		case ch <- struct{}{}:
		default: // a notice is already pending
		}
	}
}

// Subscribe returns a channel that receives a notice after changes to the
// event (of the tenant of ctx), and a function to unsubscribe.
func (l *Live) Subscribe(ctx context.Context, eventID string) (<-chan struct{}, func()) {
	if l.rdb != nil {
		l.startOnce.Do(l.startRedis)
	}
	tenantID, _ := db.TenantFrom(ctx)
	key := liveKey(tenantID, eventID)
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	if l.subs[key] == nil {
		l.subs[key] = map[chan struct{}]struct{}{}
	}
	l.subs[key][ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.subs[key], ch)
		if len(l.subs[key]) == 0 {
			delete(l.subs, key)
		}
		l.mu.Unlock()
	}
}

// startRedis relays the pub/sub notices to local streams, from the first
// subscription until Close.
func (l *Live) startRedis() {
	ctx, cancel := context.WithCancel(context.Background())
	l.mu.Lock()
	l.cancel, l.done = cancel, make(chan struct{})
	l.mu.Unlock()
	ps := l.rdb.PSubscribe(ctx, liveChannel+"*")
	go func() {
		defer close(l.done)
		defer ps.Close()
		ch := ps.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				l.deliver(strings.TrimPrefix(m.Channel, liveChannel))
			}
		}
	}()
}

// Close stops the Redis relay.
func (l *Live) Close() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
