package gate

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/usher-events/usher/internal/db"
)

// TicketTypeRef names one ticket type of an event, for the scan results a
// gate node answers on its own.
type TicketTypeRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// nameTTL bounds how long a renamed ticket type shows its old name at the
// gates; a type the cache does not know yet is looked up again sooner.
const nameTTL = 30 * time.Second

// nameRetry is the least time between two loads of one event's names, so
// that codes of an unknown type do not turn every scan into a read.
const nameRetry = time.Second

// nameCache keeps each event's ticket type names in memory, so that a scan
// shows the type's name without a read in its write transaction.
type nameCache struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedNames // by tenant + event id
}

type cachedNames struct {
	names map[string]string
	at    time.Time
}

// name returns the name of a ticket type of the event, or "" when the event
// has no such type or the names cannot be read now: the name is a courtesy
// on the answer, never a reason to fail a scan.
func (c *nameCache) name(ctx context.Context, ev Events, eventID, ticketTypeID string) string {
	if ticketTypeID == "" {
		return ""
	}
	names := c.get(ctx, ev, eventID, ticketTypeID)
	return names[ticketTypeID]
}

// get returns the event's names, reloading them when stale or when want is
// missing and the last load is older than nameRetry.
func (c *nameCache) get(ctx context.Context, ev Events, eventID, want string) map[string]string {
	tenant, _ := db.TenantFrom(ctx)
	key := tenant + "/" + eventID
	now := c.now()
	c.mu.Lock()
	cn, ok := c.m[key]
	c.mu.Unlock()
	_, known := cn.names[want]
	if ok && now.Sub(cn.at) < nameTTL && (known || want == "" || now.Sub(cn.at) < nameRetry) {
		return cn.names
	}
	names, err := ev.TicketTypeNames(ctx, eventID)
	if err != nil {
		return cn.names
	}
	c.mu.Lock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[key] = cachedNames{names: names, at: now}
	c.mu.Unlock()
	return names
}

// TicketTypeRefs lists an event's ticket types by name, for gate nodes.
func (s *Service) TicketTypeRefs(ctx context.Context, eventID string) ([]TicketTypeRef, error) {
	names, err := s.events.TicketTypeNames(ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := make([]TicketTypeRef, 0, len(names))
	for id, name := range names {
		out = append(out, TicketTypeRef{ID: id, Name: name})
	}
	slices.SortFunc(out, func(a, b TicketTypeRef) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
