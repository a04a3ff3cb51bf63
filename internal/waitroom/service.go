package waitroom

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Statuses of a queue token.
const (
	StatusWaiting = "waiting"
	StatusActive  = "active"
	StatusExpired = "expired"
)

// advanceEvery is how stale a node's copy of a room's frontier may get
// before a status check advances it; it bounds the shared-state traffic to
// a few operations per second per node, whatever the polling load.
const advanceEvery = 100 * time.Millisecond

// EventLookup checks that an event exists in the tenant of ctx.
type EventLookup interface {
	Exists(ctx context.Context, eventID string) error
}

// Service runs the waiting rooms.
type Service struct {
	db     *db.DB
	store  store
	sign   signer
	perm   []byte
	now    func() time.Time
	log    *slog.Logger
	events EventLookup

	mu    sync.Mutex
	cache map[string]*roomCache

	shufMu   sync.RWMutex
	shuffles map[string]permutation // by event id; see shuffler

	streams atomic.Int64 // status streams open now; see maxStreams
}

type roomCache struct {
	cfg     Config
	cfgAt   time.Time
	st      state
	counts  counts
	stateAt time.Time
	// refreshing is set while one check renews st and counts from the
	// shared store; the others answer from the copy meanwhile.
	refreshing bool
	// finished holds what this node last learnt of admitted ranks' slots:
	// a finished slot stays finished, one that was not is asked again
	// after advanceEvery.
	finished map[string]finishedAt
	// published is set once the node has seen the event out of draft.
	published bool
}

// finishedAt is a rank's slot as a status check last read it.
type finishedAt struct {
	done bool
	at   time.Time
}

// maxRooms bounds the rooms a node keeps a copy of; past it, it starts
// again empty.
const maxRooms = 10000

// maxFinished bounds the slots a room's copy remembers; past it, it
// starts again empty.
const maxFinished = 100000

// Deps are the Service's collaborators.
type Deps struct {
	DB *db.DB
	// Redis, when set, shares the rooms between nodes.
	Redis  *redis.Client
	Events EventLookup
	Now    func() time.Time
	Logger *slog.Logger
}

// NewService loads the installation's token key.
func NewService(ctx context.Context, d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	key, err := d.DB.Secret(ctx, "waitroom_hmac", 32, d.Now().UTC())
	if err != nil {
		return nil, err
	}
	var st store = newMemoryStore()
	if d.Redis != nil {
		st = newRedisStore(d.Redis)
	}
	return &Service{
		db: d.DB, store: st, sign: newSigner(key), perm: key, now: d.Now, log: d.Logger,
		events: d.Events, cache: map[string]*roomCache{},
	}, nil
}

// Validate checks a configuration.
func (c *Config) Validate() error {
	var chk fault.Check
	chk.Add(c.AdmitPerMinute < 1, "admit_per_minute", "must be at least 1")
	chk.Add(c.MaxActive < 1, "max_active", "must be at least 1")
	chk.Add(c.ActiveTTL < 10 || c.ActiveTTL > 86400, "active_ttl_seconds", "must be between 10 and 86400")
	return chk.Err()
}

// Configure sets an event's waiting room (tenant of ctx).
func (s *Service) Configure(ctx context.Context, eventID string, c Config) (*Config, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := s.events.Exists(ctx, eventID); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	prev, err := s.config(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if c.OpensAt.IsZero() {
		// Keep an earlier opening; a new room opens now.
		if !prev.OpensAt.IsZero() {
			c.OpensAt = prev.OpensAt
		} else {
			c.OpensAt = now
		}
	}
	c.OpensAt = c.OpensAt.UTC().Truncate(time.Millisecond)
	if err := s.checkOpening(ctx, eventID, prev, c.OpensAt, now); err != nil {
		return nil, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO waiting_rooms (tenant_id, event_id, enabled, admit_per_minute, max_active, active_ttl_seconds, opens_at, updated_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (event_id) DO UPDATE SET enabled = excluded.enabled, admit_per_minute = excluded.admit_per_minute,
				max_active = excluded.max_active, active_ttl_seconds = excluded.active_ttl_seconds, opens_at = excluded.opens_at,
				updated_at = excluded.updated_at
			WHERE waiting_rooms.tenant_id = @tenant`,
			eventID, c.Enabled, c.AdmitPerMinute, c.MaxActive, c.ActiveTTL, c.OpensAt, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.store.setConfig(ctx, eventID, c); err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.cache, eventID)
	s.mu.Unlock()
	return &c, nil
}

// checkOpening refuses to move the opening of a room that has opened and
// has arrivals: every place follows from the opening (arrivals before it
// are shuffled, later ones queue behind them), so a new opening would send
// admitted buyers back to waiting and let new arrivals draw places that were
// handed out already, which then count as long expired. Before the opening,
// or with nobody queued yet, it may move freely.
func (s *Service) checkOpening(ctx context.Context, eventID string, prev Config, opens, now time.Time) error {
	if prev.OpensAt.IsZero() || prev.OpensAt.After(now) || prev.OpensAt.Equal(opens) {
		return nil
	}
	c, err := s.store.counts(ctx, eventID)
	if err != nil {
		return err
	}
	if c.total() == 0 {
		return nil
	}
	return fault.New(fault.InvalidTransition, "the waiting room opened at %s and %d buyers have joined it: its opening cannot move any more (leave opens_at out to keep it)",
		prev.OpensAt.Format(time.RFC3339), c.total())
}

// config returns an event's room configuration from the node's copy, the
// shared store, or (once, after a restart) the database. An event without a
// room has a disabled one.
func (s *Service) config(ctx context.Context, eventID string) (Config, error) {
	now := s.now()
	s.mu.Lock()
	rc := s.cache[eventID]
	if rc != nil && now.Sub(rc.cfgAt) < time.Second {
		c := rc.cfg
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()
	c, ok, err := s.store.config(ctx, eventID)
	if err != nil {
		return Config{}, err
	}
	if !ok {
		var events int
		err := s.db.Read(ctx, func(tx *db.Tx) error {
			err := tx.Global().Get(&c, `SELECT enabled, admit_per_minute, max_active, active_ttl_seconds, opens_at FROM waiting_rooms WHERE event_id = ?`, eventID)
			if fault.Is(err, fault.NotFound) {
				c = Config{}
				return tx.Global().Get(&events, `SELECT count(*) FROM events WHERE id = ?`, eventID)
			}
			events = 1
			return err
		})
		if err != nil {
			return Config{}, err
		}
		if events == 0 {
			// No such event: a disabled room, and nothing remembered for
			// an id anyone may send (the public join names any).
			return c, nil
		}
		if err := s.store.setConfig(ctx, eventID, c); err != nil {
			return Config{}, err
		}
	}
	s.mu.Lock()
	if rc = s.cache[eventID]; rc == nil {
		if len(s.cache) >= maxRooms {
			s.cache = map[string]*roomCache{}
		}
		rc = &roomCache{}
		s.cache[eventID] = rc
	}
	rc.cfg, rc.cfgAt = c, now
	s.mu.Unlock()
	return c, nil
}

// snapshot returns the room's frontier state, advancing it when the node's
// copy is older than advanceEvery or does not know the token yet (its
// arrival came after the copy was taken).
func (s *Service) snapshot(ctx context.Context, eventID string, cfg Config, t *Token) (state, counts, error) {
	now := s.now()
	s.mu.Lock()
	rc := s.cache[eventID]
	if rc != nil && !rc.stateAt.IsZero() && rc.counts.knows(t) &&
		(now.Sub(rc.stateAt) < advanceEvery || rc.refreshing) {
		// Current, or being renewed by another check: polling many
		// tokens at once costs the shared store one renewal, not one each.
		st, c := rc.st, rc.counts
		s.mu.Unlock()
		return st, c, nil
	}
	if rc != nil {
		rc.refreshing = true
	}
	s.mu.Unlock()
	st, c, err := s.renew(ctx, eventID, cfg, now)
	s.mu.Lock()
	if rc := s.cache[eventID]; rc != nil {
		rc.refreshing = false
		if err == nil {
			rc.st, rc.counts, rc.stateAt = st, c, now
		}
	}
	s.mu.Unlock()
	return st, c, err
}

// renew reads the room's counts from the shared store and advances its
// frontier to now.
func (s *Service) renew(ctx context.Context, eventID string, cfg Config, now time.Time) (state, counts, error) {
	c, err := s.store.counts(ctx, eventID)
	if err != nil {
		return state{}, counts{}, err
	}
	st, err := s.store.update(ctx, eventID, func(st *state, completed func(int64) int64) {
		st.advance(cfg, now, c, completed)
	})
	return st, c, err
}

// finished reports whether the slot of an admitted rank was finished: from
// the node's copy unless fresh, or the copy says not finished and is older
// than advanceEvery.
func (s *Service) finished(ctx context.Context, eventID, rankKey string, now time.Time, fresh bool) (bool, error) {
	if !fresh {
		s.mu.Lock()
		var f finishedAt
		var ok bool
		if rc := s.cache[eventID]; rc != nil {
			f, ok = rc.finished[rankKey]
		}
		s.mu.Unlock()
		if ok && (f.done || now.Sub(f.at) < advanceEvery) {
			return f.done, nil
		}
	}
	done, err := s.store.finished(ctx, eventID, rankKey)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	if rc := s.cache[eventID]; rc != nil {
		rc.remember(rankKey, finishedAt{done: done, at: now})
	}
	s.mu.Unlock()
	return done, nil
}

// remember keeps what was learnt of a slot; the Service's mu is held.
func (rc *roomCache) remember(rankKey string, f finishedAt) {
	if rc.finished == nil || len(rc.finished) >= maxFinished {
		rc.finished = map[string]finishedAt{}
	}
	rc.finished[rankKey] = f
}

// Status is what a buyer sees of their place.
type Status struct {
	Token      string     `json:"token,omitempty"`
	EventID    string     `json:"event_id"`
	Status     string     `json:"status" enum:"waiting,active,expired"`
	Position   int64      `json:"position" doc:"People ahead; 0 once admitted, and before the opening (when places are not drawn yet)."`
	ETASeconds int64      `json:"eta_seconds" doc:"Estimated seconds until admission."`
	OpensAt    *time.Time `json:"opens_at,omitempty" doc:"When the sale opens, while it has not."`
	ExpiresAt  *time.Time `json:"expires_at,omitempty" doc:"When an active token stops working."`
}

// Join queues an arrival for the event, or returns the token the client
// already has. client identifies the browser or customer (may be "").
func (s *Service) Join(ctx context.Context, eventID, client string) (*Status, error) {
	cfg, err := s.config(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if err := s.joinable(ctx, eventID, cfg.Enabled); err != nil {
		return nil, err
	}
	now := s.now()
	pre := cfg.Enabled && now.Before(cfg.OpensAt)
	token, err := s.store.join(ctx, eventID, client, pre, func(seq int64) string {
		return s.sign.sign(Token{EventID: eventID, Seq: seq, Pre: pre, Joined: now.Unix()})
	})
	if err != nil {
		return nil, err
	}
	return s.Status(ctx, token)
}

// joinable keeps a join from minting tokens for events that do not exist or
// are still drafts (not public yet), with a room or without. A room that is
// on was configured for an existing event, so only a draft is refused; an
// event never goes back to draft, so once the node has seen it published it
// asks the database no more for the room's bursts of joins.
func (s *Service) joinable(ctx context.Context, eventID string, open bool) error {
	if open {
		s.mu.Lock()
		rc := s.cache[eventID]
		published := rc != nil && rc.published
		s.mu.Unlock()
		if published {
			return nil
		}
	}
	query := `SELECT count(*) FROM events WHERE id = ? AND status <> 'draft'`
	if open {
		query = `SELECT count(*) FROM events WHERE id = ? AND status = 'draft'`
	}
	var n int
	if err := s.db.Read(ctx, func(tx *db.Tx) error { return tx.Global().Get(&n, query, eventID) }); err != nil {
		return err
	}
	if (open && n > 0) || (!open && n == 0) {
		return fault.New(fault.NotFound, "no event %q", eventID)
	}
	if open {
		s.mu.Lock()
		if rc := s.cache[eventID]; rc != nil {
			rc.published = true
		}
		s.mu.Unlock()
	}
	return nil
}

// Status reports where a token stands.
func (s *Service) Status(ctx context.Context, raw string) (*Status, error) {
	return s.status(ctx, raw, false)
}

// status is Status; fresh asks the shared store whether an admitted
// token's slot was finished instead of trusting the node's copy, which may
// be advanceEvery old (CheckActive, in front of an order, is fresh; the
// polling of the waiting page is not, so that an admitted buyer's checks
// cost the shared store a few reads a second per node, not one each).
func (s *Service) status(ctx context.Context, raw string, fresh bool) (*Status, error) {
	t, err := s.sign.parse(raw)
	if err != nil {
		return nil, fault.Wrap(err, fault.NotFound, "no such queue token")
	}
	cfg, err := s.config(ctx, t.EventID)
	if err != nil {
		return nil, err
	}
	out := &Status{Token: raw, EventID: t.EventID}
	if !cfg.Enabled {
		out.Status = StatusActive
		return out, nil
	}
	now := s.now()
	if now.Before(cfg.OpensAt) {
		out.Status = StatusWaiting
		opens := cfg.OpensAt
		out.OpensAt = &opens
		out.ETASeconds = int64(math.Ceil(cfg.OpensAt.Sub(now).Seconds()))
		return out, nil
	}
	st, c, err := s.snapshot(ctx, t.EventID, cfg, &t)
	if err != nil {
		return nil, err
	}
	r := rank(t.Seq, t.Pre, c, s.shuffler(t.EventID))
	if r > st.F {
		out.Status = StatusWaiting
		out.Position = r - st.F
		if rate := st.rate(cfg, now); rate > 0 {
			out.ETASeconds = int64(math.Ceil(float64(out.Position) / rate))
		}
		return out, nil
	}
	at, ok := st.admittedAt(r)
	expires := time.UnixMilli(at).Add(cfg.ttl()).UTC()
	if !ok || !now.Before(expires) {
		out.Status = StatusExpired
		return out, nil
	}
	done, err := s.finished(ctx, t.EventID, strconv.FormatInt(r, 10), now, fresh)
	if err != nil {
		return nil, err
	}
	if done {
		out.Status = StatusExpired
		return out, nil
	}
	out.Status = StatusActive
	out.ExpiresAt = &expires
	return out, nil
}

// shuffler is the permutation of a room's pre-opening arrivals. Its key is
// derived on first use and kept (a room's key never changes).
func (s *Service) shuffler(eventID string) func(seq, n int64) int64 {
	s.shufMu.RLock()
	p, ok := s.shuffles[eventID]
	s.shufMu.RUnlock()
	if ok {
		return p.at
	}
	m := hmac.New(sha256.New, s.perm)
	m.Write([]byte("shuffle:" + eventID))
	p = permutation{key: m.Sum(nil)}
	s.shufMu.Lock()
	if s.shuffles == nil || len(s.shuffles) >= maxShuffles {
		s.shuffles = map[string]permutation{}
	}
	s.shuffles[eventID] = p
	s.shufMu.Unlock()
	return p.at
}

// maxShuffles bounds the rooms whose shuffle keys a node keeps; past it,
// it starts again empty.
const maxShuffles = 10000

// CheckActive is the gate in front of orders: while the event's room is on,
// only an active token of that event may order.
func (s *Service) CheckActive(ctx context.Context, eventID, token string) error {
	cfg, err := s.config(ctx, eventID)
	if err != nil || !cfg.Enabled {
		return err
	}
	if token == "" {
		return fault.New(fault.QueueTokenRequired, "this sale has a waiting room: join the queue and order with its token")
	}
	st, err := s.status(ctx, token, true)
	if err != nil || st.EventID != eventID {
		return fault.New(fault.QueueTokenInvalid, "the queue token is not valid for this event")
	}
	if st.Status != StatusActive {
		return fault.New(fault.QueueTokenInvalid, "the queue token is %s, not active", st.Status)
	}
	return nil
}

// Complete frees the token's active slot once its purchase is done, so the
// next buyer is admitted without waiting for the token to expire.
func (s *Service) Complete(ctx context.Context, token string) error {
	t, err := s.sign.parse(token)
	if err != nil {
		return nil
	}
	cfg, err := s.config(ctx, t.EventID)
	if err != nil || !cfg.Enabled {
		return err
	}
	st, c, err := s.snapshot(ctx, t.EventID, cfg, &t)
	if err != nil {
		return err
	}
	r := rank(t.Seq, t.Pre, c, s.shuffler(t.EventID))
	at, ok := st.admittedAt(r)
	if !ok {
		return nil
	}
	if err := s.store.complete(ctx, t.EventID, at, strconv.FormatInt(r, 10)); err != nil {
		return err
	}
	// The freed slot should admit the next buyer on this node's next check.
	s.mu.Lock()
	if rc := s.cache[t.EventID]; rc != nil {
		rc.stateAt = time.Time{}
		rc.remember(strconv.FormatInt(r, 10), finishedAt{done: true, at: s.now()})
	}
	s.mu.Unlock()
	return nil
}

// Room is an event's room as the organizer sees it.
type Room struct {
	Config
	Joined   int64 `json:"joined" doc:"Arrivals so far."`
	Admitted int64 `json:"admitted" doc:"Ranks admitted so far (the frontier)."`
}

// Room returns an event's room configuration and counts (tenant of ctx).
func (s *Service) Room(ctx context.Context, eventID string) (*Room, error) {
	if err := s.events.Exists(ctx, eventID); err != nil {
		return nil, err
	}
	cfg, err := s.config(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := &Room{Config: cfg}
	if !cfg.Enabled {
		return out, nil
	}
	st, c, err := s.snapshot(ctx, eventID, cfg, nil)
	if err != nil {
		return nil, err
	}
	out.Joined, out.Admitted = c.total(), st.F
	return out, nil
}
