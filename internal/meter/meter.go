// Package meter counts what each tenant uses, per calendar month (UTC), and
// turns it into the month's statement under the tenant's tier; it enforces
// the tier's API rate limit and raises budget alerts.
//
// Counts come from three places, each exact in its own way:
//   - domain events (holds, tickets, check-ins, participations) are counted
//     by the outbox consumer "meter" in the dispatcher's transaction, so a
//     count commits with the cursor that moved past its event;
//   - messages and webhook deliveries are counted by their domains with Add,
//     in the transaction that records them;
//   - authenticated API calls are counted in memory on each node and added
//     to the database every few seconds (a node killed loses at most that
//     many seconds of call counts; nothing else is lost).
package meter

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/outbox"
	"github.com/usher-events/usher/internal/ratelimit"
)

// flushEvery is how often a node adds its API call counts to the database.
const flushEvery = 5 * time.Second

// tierTTL is how long a node trusts the tier it read for a tenant: a tier
// change reaches every node within it.
const tierTTL = 30 * time.Second

// Period is the month a time falls in, as "2026-12" (UTC).
func Period(t time.Time) string { return t.UTC().Format("2006-01") }

// Add adds n units of metric to the usage of tx's tenant in the month of at,
// inside tx. Domains call it in the transaction that does what is counted.
func Add(tx *db.Tx, at time.Time, metric string, n int64) error {
	if n == 0 {
		return nil
	}
	_, err := tx.Exec(`INSERT INTO usage_counts (tenant_id, period, metric, quantity, updated_at) VALUES (@tenant, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, period, metric) DO UPDATE SET quantity = usage_counts.quantity + excluded.quantity, updated_at = excluded.updated_at`,
		Period(at), metric, n, at)
	return err
}

// TierSource reads a tenant's tier.
type TierSource interface {
	TierOf(ctx context.Context, tenantID string) (string, error)
}

// Deps are the Service's collaborators.
type Deps struct {
	DB      *db.DB
	Limiter ratelimit.Limiter
	Tiers   TierSource
	Now     func() time.Time
	Logger  *slog.Logger
}

// Config tunes the Service.
type Config struct {
	// Enforce turns the tiers' API rate limits on. Calls are counted
	// either way.
	Enforce bool
}

// Service meters usage. Start its flusher with Start and stop it with Stop.
type Service struct {
	db      *db.DB
	limiter ratelimit.Limiter
	tiers   TierSource
	now     func() time.Time
	log     *slog.Logger
	cfg     Config

	// calls counts each tenant's API calls since the last flush.
	calls sync.Map // tenant id → *atomic.Int64
	// known caches tenants' tiers.
	known sync.Map // tenant id → knownTier

	flushMu sync.Mutex // one flush at a time
	stop    chan struct{}
	done    chan struct{}
}

type knownTier struct {
	name string
	at   time.Time
}

// NewService returns the service.
func NewService(d Deps, cfg Config) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: d.DB, limiter: d.Limiter, tiers: d.Tiers, now: d.Now, log: d.Logger, cfg: cfg}
}

// Start runs the flusher of API call counts until Stop.
func (s *Service) Start() {
	if s.stop != nil {
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if err := s.Flush(context.Background()); err != nil {
					s.log.Error("meter: flush API call counts", "err", err)
				}
			case <-s.stop:
				return
			}
		}
	}()
}

// Stop stops the flusher and flushes what is left.
func (s *Service) Stop(ctx context.Context) error {
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
	return s.Flush(ctx)
}

// Admit counts one authenticated API call of the tenant and reports whether
// the tenant's tier lets it through now, and if not, when to try again.
func (s *Service) Admit(ctx context.Context, tenantID string) (bool, time.Duration) {
	c, ok := s.calls.Load(tenantID)
	if !ok {
		c, _ = s.calls.LoadOrStore(tenantID, new(atomic.Int64))
	}
	c.(*atomic.Int64).Add(1)
	if !s.cfg.Enforce {
		return true, 0
	}
	limit, ok := s.tier(ctx, tenantID).limit()
	if !ok {
		return true, 0
	}
	res, err := s.limiter.AllowN(ctx, "tier:"+tenantID, limit, 1)
	if err != nil {
		// A limiter that does not answer (Redis down) must not stop the
		// API: the limit protects the platform, and the platform is up.
		s.log.Warn("meter: rate limiter", "err", err)
		return true, 0
	}
	return res.Allowed, res.RetryAfter
}

// tier returns the tenant's tier, read at most every tierTTL.
func (s *Service) tier(ctx context.Context, tenantID string) Tier {
	now := time.Now()
	if k, ok := s.known.Load(tenantID); ok && now.Sub(k.(knownTier).at) < tierTTL {
		return Tiers[k.(knownTier).name]
	}
	name, err := s.tiers.TierOf(ctx, tenantID)
	if err != nil {
		s.log.Warn("meter: read tier", "err", err)
		name = "basic"
	}
	s.known.Store(tenantID, knownTier{name: name, at: now})
	return Tiers[name]
}

// Forget drops the node's cached tier of a tenant, after a change of it.
func (s *Service) Forget(tenantID string) { s.known.Delete(tenantID) }

// Flush adds the API calls counted on this node to the database.
func (s *Service) Flush(ctx context.Context) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	counts := map[string]int64{}
	s.calls.Range(func(k, v any) bool {
		if n := v.(*atomic.Int64).Swap(0); n > 0 {
			counts[k.(string)] = n
		}
		return true
	})
	if len(counts) == 0 {
		return nil
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		for tenant, n := range counts {
			if err := Add(tx.Scope(tenant), now, APICalls, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Put the counts back for the next flush.
		for tenant, n := range counts {
			c, _ := s.calls.LoadOrStore(tenant, new(atomic.Int64))
			c.(*atomic.Int64).Add(n)
		}
	}
	return err
}

// Consumer is the outbox consumer that counts domain events.
func (s *Service) Consumer() outbox.Consumer {
	return outbox.Consumer{
		Name:       "meter",
		Kinds:      []string{"order.created", "ticket.issued", "checkin.recorded", "participation.created"},
		Apply:      func(tx *db.Tx, e outbox.Event) error { return count(tx, []outbox.Event{e}) },
		ApplyBatch: count,
	}
}

// count adds events of one tenant to its usage, one statement per metric
// and month.
func count(tx *db.Tx, events []outbox.Event) error {
	type key struct{ metric, period string }
	sums := map[key]int64{}
	at := map[key]time.Time{}
	for _, e := range events {
		metric, n, err := measure(e)
		if err != nil {
			return err
		}
		k := key{metric, Period(e.CreatedAt)}
		sums[k] += n
		if e.CreatedAt.After(at[k]) {
			at[k] = e.CreatedAt
		}
	}
	for k, n := range sums {
		if err := Add(tx, at[k], k.metric, n); err != nil {
			return err
		}
	}
	return nil
}

// measure says what one event counts for.
func measure(e outbox.Event) (string, int64, error) {
	switch e.Kind {
	case "order.created":
		return Holds, 1, nil
	case "checkin.recorded":
		return Checkins, 1, nil
	case "participation.created":
		return Participations, 1, nil
	case "ticket.issued": // one event per ticket
		return TicketsIssued, 1, nil
	}
	return "", 0, fmt.Errorf("meter: no metric for %s", strconv.Quote(e.Kind))
}
