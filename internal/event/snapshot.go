package event

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/usher-events/usher/internal/db"
)

// Snapshot is this node's copy of what an order needs from an event (the
// event, all its ticket types and sessions, the form), read outside the
// writer. It is only ever used on SQLite, where one process owns the file
// and every change to these rows goes through this service.
//
// Under a flash sale, reading them inside the single writer was a third of
// the writer's time per hold. With a snapshot, the writer checks one counter
// instead: the snapshot is current when no change to any event was made
// since it was read.
type Snapshot struct {
	gen    uint64
	tenant string
	sale   Sale // read-only once cached
}

// snapshots is the node-local cache behind Snapshot, with the counters that
// say whether an entry is current:
//
//   - gen moves inside every changing write function (so in the writer's
//     serial order: a hold that runs after the change in the same batch, or
//     any later one, sees a different gen and reads inside its transaction)
//     and once more after the change's Write returned;
//   - inflight counts changes queued or running. A snapshot is only read
//     (from committed data) when none is, so it can never capture the state
//     from before a change whose function already ran in the writer but
//     whose commit was not yet visible.
type snapshots struct {
	gen      atomic.Uint64
	inflight atomic.Int64
	mu       sync.Mutex
	m        map[string]*Snapshot // tenant + "/" + event id
}

// maxSnapshots bounds the cache; past it, it starts again empty.
const maxSnapshots = 10000

// write runs fn as a change to events, ticket types, sessions or forms,
// keeping the snapshot counters right around it.
func (s *Service) write(ctx context.Context, fn func(*db.Tx) error) error {
	c := s.snaps
	if c == nil {
		return s.db.Write(ctx, fn)
	}
	c.inflight.Add(1)
	defer c.inflight.Add(-1)
	defer c.gen.Add(1)
	return s.db.Write(ctx, func(tx *db.Tx) error {
		c.gen.Add(1)
		return fn(tx)
	})
}

// Snapshot returns a current copy of what an order on eventID needs, or nil
// when there is none to be had (PostgreSQL, a change in flight, an event
// that is not the caller's tenant's): then SaleFor reads inside the write.
func (s *Service) Snapshot(ctx context.Context, eventID string) *Snapshot {
	c := s.snaps
	if c == nil {
		return nil
	}
	tenant, _ := db.TenantFrom(ctx)
	key := tenant + "/" + eventID
	g := c.gen.Load()
	c.mu.Lock()
	snap := c.m[key]
	c.mu.Unlock()
	if snap != nil && snap.gen == g {
		return snap
	}
	if c.inflight.Load() != 0 {
		return nil
	}
	snap = &Snapshot{gen: g, tenant: tenant}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		e, err := s.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		types, err := s.TicketTypesTx(tx, e.ID)
		if err != nil {
			return err
		}
		sessions, err := s.sessionsTx(tx, e.ID)
		if err != nil {
			return err
		}
		form, err := s.FormTx(tx, e.ID)
		if err != nil {
			return err
		}
		snap.sale = Sale{Event: e, TicketTypes: make(map[string]*TicketType, len(types)), Sessions: make(map[string]*Session, len(sessions)), Form: form}
		for i := range types {
			snap.sale.TicketTypes[types[i].ID] = &types[i]
		}
		for i := range sessions {
			snap.sale.Sessions[sessions[i].ID] = &sessions[i]
		}
		return nil
	})
	if err != nil {
		return nil
	}
	c.mu.Lock()
	if len(c.m) >= maxSnapshots {
		c.m = map[string]*Snapshot{}
	}
	c.m[key] = snap
	c.mu.Unlock()
	return snap
}

// SaleFor is LockForSale from snap when snap is still current inside tx's
// writer, and LockForSale itself otherwise. The Sale it returns may share
// the snapshot's values and maps: callers must not change them (copy a map
// before adding to it).
func (s *Service) SaleFor(tx *db.Tx, snap *Snapshot, eventID string, ticketTypeIDs, sessionIDs []string) (*Sale, error) {
	if !s.Current(tx, snap) || snap.sale.Event.ID != eventID {
		return s.LockForSale(tx, eventID, ticketTypeIDs, sessionIDs)
	}
	return snap.Sale(ticketTypeIDs, sessionIDs)
}

// Current reports whether snap is still current inside tx's writer, so
// that what was worked out from it before the write still holds.
func (s *Service) Current(tx *db.Tx, snap *Snapshot) bool {
	return snap != nil && s.snaps != nil && snap.gen == s.snaps.gen.Load() &&
		snap.tenant == tx.Tenant() && tx.Tenant() != ""
}

// Fresh reports whether snap is current now, outside the writer: no change
// to any event has started since it was read, so an answer worked out from
// it alone (a refusal) is what the writer would give at this moment.
func (s *Service) Fresh(snap *Snapshot) bool {
	return snap != nil && s.snaps != nil && snap.gen == s.snaps.gen.Load()
}

// Sale is the snapshot's sale for the ticket types and sessions, as SaleFor
// would give it inside the writer while the snapshot is current.
func (snap *Snapshot) Sale(ticketTypeIDs, sessionIDs []string) (*Sale, error) {
	return snap.sale.For(ticketTypeIDs, sessionIDs)
}
