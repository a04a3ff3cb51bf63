package gate

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/ticket"
)

// keyTTL bounds how long a removed key keeps verifying at the server; a
// rotated key is picked up at once (see get).
const keyTTL = time.Minute

// keyRetry is how often an unknown key id may trigger a reload per event,
// so that a flood of forged codes cannot turn into a flood of reads.
const keyRetry = time.Second

// keyCache holds each event's public keys in memory, so that verifying a
// code's signature never reads the database.
type keyCache struct {
	tickets Tickets
	now     func() time.Time
	mu      sync.Mutex
	events  map[string]*eventKeys
}

type eventKeys struct {
	ks       ticket.KeySet
	loadedAt time.Time
}

func newKeyCache(t Tickets, now func() time.Time) *keyCache {
	return &keyCache{tickets: t, now: now, events: map[string]*eventKeys{}}
}

// verify checks a code against the event's keys. The tenant of ctx must own
// the event. An unknown key id reloads the keys (at most once a second),
// which is how a rotation reaches the cache without any hook.
func (c *keyCache) verify(ctx context.Context, eventID, code string) (ticket.Claims, error) {
	now := c.now()
	ek, err := c.get(ctx, eventID, false)
	if err != nil {
		return ticket.Claims{}, err
	}
	claims, verr := ticket.Verify(code, ek.ks, now)
	if errors.Is(verr, ticket.ErrUnknownKey) && now.Sub(ek.loadedAt) > keyRetry {
		if ek, err = c.get(ctx, eventID, true); err != nil {
			return ticket.Claims{}, err
		}
		claims, verr = ticket.Verify(code, ek.ks, now)
	}
	return claims, verr
}

func (c *keyCache) get(ctx context.Context, eventID string, reload bool) (*eventKeys, error) {
	now := c.now()
	c.mu.Lock()
	ek := c.events[eventID]
	c.mu.Unlock()
	if ek != nil && !reload && now.Sub(ek.loadedAt) < keyTTL {
		return ek, nil
	}
	keys, err := c.tickets.Keys(ctx, eventID)
	if err != nil {
		return nil, err
	}
	ks, err := KeySetOf(eventID, keys)
	if err != nil {
		return nil, err
	}
	ek = &eventKeys{ks: ks, loadedAt: now}
	c.mu.Lock()
	c.events[eventID] = ek
	c.mu.Unlock()
	return ek, nil
}

// KeySetOf builds a verifier's key set from an event's published keys.
func KeySetOf(eventID string, keys []ticket.Key) (ticket.KeySet, error) {
	var ks ticket.KeySet
	for _, k := range keys {
		vk, err := ticket.ParseKey(eventID, k)
		if err != nil {
			return ticket.KeySet{}, err
		}
		if err := ks.Add(vk); err != nil {
			return ticket.KeySet{}, err
		}
	}
	return ks, nil
}

// ruleTTL bounds how long a gate change made on another node takes to
// reach this node's check-ins; changes made here apply at once.
const ruleTTL = 2 * time.Second

// ruleCache keeps gates and their event's settings in memory for a moment,
// so that a scan reads nothing before its one write transaction.
type ruleCache struct {
	now   func() time.Time
	mu    sync.Mutex
	gates map[string]cachedGate // by tenant + gate id
}

type cachedGate struct {
	g  *Gate
	st Settings
	at time.Time
}

func (c *ruleCache) get(ctx context.Context, s *Service, gateID string) (*Gate, Settings, error) {
	tenant, _ := db.TenantFrom(ctx)
	key := tenant + "/" + gateID
	now := c.now()
	c.mu.Lock()
	cg, ok := c.gates[key]
	c.mu.Unlock()
	if ok && now.Sub(cg.at) < ruleTTL {
		return cg.g, cg.st, nil
	}
	g, err := s.Gate(ctx, gateID)
	if err != nil {
		return nil, Settings{}, err
	}
	st, err := s.Settings(ctx, g.EventID)
	if err != nil {
		return nil, Settings{}, err
	}
	c.mu.Lock()
	if len(c.gates) > 10000 {
		clear(c.gates)
	}
	c.gates[key] = cachedGate{g: g, st: st, at: now}
	c.mu.Unlock()
	return g, st, nil
}

// forget drops the cache after a change on this node.
func (c *ruleCache) forget() {
	c.mu.Lock()
	clear(c.gates)
	c.mu.Unlock()
}
