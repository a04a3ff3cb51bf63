package order

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/seat"
)

// Holds in groups (PostgreSQL).
//
// Every hold of a ticket type takes its quota with one conditional write to
// the type's row, and PostgreSQL keeps that row locked until the hold's
// commit, WAL flush included. Made one by one, holds of one ticket type are
// therefore about one commit apart, whatever the number of nodes. A node
// instead gathers the holds of one event that arrive while its previous
// groups are being written and writes them as one transaction: the event
// and its ticket types read once, the group's seats locked and read once
// in id order, each order checked, the seats, orders, items and events
// written with one statement per table, and then, for each ticket type,
// the group's whole quantity taken by one conditional write. The row is
// locked for that last statement and the commit, once per group.
//
// A group that does not fit in what is left (near the sell-out), or whose
// transaction fails for any reason, is rolled back whole and its orders are
// written one by one, as without groups: each then gets the answer it would
// have had alone (sold_out to those that do not fit, expired holds given
// back first). An order that a group finds wrong (validation, a closed
// sale, a seat someone else has or an earlier order of the group claimed)
// gets its error without touching the others: checking an order in a group
// writes nothing (see plan and seat.Claims).

// maxGroup bounds the orders of one group, so that a group's transaction
// stays short next to other nodes' holds on the same rows.
const maxGroup = 32

// groupsInFlight is how many groups of one event a node writes at once:
// while one holds the ticket type's row for its commit, the next is being
// checked and inserted. With one node of 64 buyers: 1 group, 2,296–2,324
// holds/s; 2 groups, 2,193–2,843; 3 groups, 2,762–2,897; 4 groups (before
// the group's rows were inserted by one statement per table) slower than 2.
// Three nodes on the same machine, alternating: 1 group 1,588–1,866, 2
// groups 1,234–1,715, 3 groups 1,203–1,562, all within the runs' noise.
const groupsInFlight = 3

// groupable reports whether an order can be written in a group: any hold
// without sessions (whose capacity is judged by a sum over orders, which the
// orders of one group could not see of each other before their inserts).
func groupable(in CreateInput) bool {
	return len(in.Sessions) == 0
}

// groups are a node's hold groups, by tenant and event.
type groups struct {
	mu sync.Mutex
	m  map[string]*group
}

// group is one event's holds waiting for the group being written, if any.
type group struct {
	pending []*member
	running int // groups being written
}

// member is one order in a group, and its answer once written.
type member struct {
	ctx  context.Context
	in   CreateInput
	d    *draft
	out  *Order
	err  error
	done chan struct{}
}

// errShort rolls back a group that one of its ticket types cannot cover.
var errShort = errors.New("order: the group's quantity is more than is left")

// joinGroup writes an order with the other holds of its event that this
// node is writing at about the same time. The first to arrive writes the
// group; those that arrive meanwhile form the next one.
func (s *Service) joinGroup(ctx context.Context, eventID string, in CreateInput) (*Order, error) {
	tenant, _ := db.TenantFrom(ctx)
	key := tenant + "/" + eventID
	m := &member{ctx: ctx, in: in, done: make(chan struct{})}
	g := s.groups
	g.mu.Lock()
	grp := g.m[key]
	if grp == nil {
		grp = &group{}
		g.m[key] = grp
	}
	grp.pending = append(grp.pending, m)
	lead := grp.running < groupsInFlight
	if lead {
		grp.running++
	}
	g.mu.Unlock()
	if lead {
		s.lead(key, grp, eventID)
	}
	<-m.done
	return m.out, m.err
}

// lead writes the group waiting under key, then hands the next one (if
// others arrived meanwhile) to a goroutine of its own, so that the leader's
// buyer is answered now.
func (s *Service) lead(key string, grp *group, eventID string) {
	g := s.groups
	g.mu.Lock()
	n := min(len(grp.pending), maxGroup)
	if n == 0 {
		s.endLead(key, grp)
		g.mu.Unlock()
		return
	}
	batch := slices.Clone(grp.pending[:n])
	grp.pending = slices.Delete(grp.pending, 0, n)
	g.mu.Unlock()

	s.writeGroup(eventID, batch)

	g.mu.Lock()
	next := len(grp.pending) > 0
	if !next {
		s.endLead(key, grp)
	}
	g.mu.Unlock()
	if next {
		go s.lead(key, grp, eventID)
	}
}

// endLead ends a leader's turn; g.mu is held.
func (s *Service) endLead(key string, grp *group) {
	grp.running--
	if grp.running == 0 && len(grp.pending) == 0 {
		delete(s.groups.m, key)
	}
}

// writeGroup writes a group's orders in one transaction, or one by one when
// the group as a whole cannot be written, and answers each member.
func (s *Service) writeGroup(eventID string, batch []*member) {
	live := batch[:0:0]
	for _, m := range batch {
		if err := m.ctx.Err(); err != nil {
			m.err = err
			close(m.done)
			continue
		}
		live = append(live, m)
	}
	if len(live) == 0 {
		return
	}
	if len(live) > 1 {
		// The transaction outlives any one buyer's request: its members
		// are answered together.
		ctx := context.WithoutCancel(live[0].ctx)
		err := s.db.Write(ctx, func(tx *db.Tx) error { return s.groupTx(tx, eventID, live) })
		if s.seats != nil && slices.ContainsFunc(live, func(m *member) bool { return len(m.in.SeatIDs) > 0 }) {
			s.seats.Invalidate(eventID)
		}
		if err == nil {
			for _, m := range live {
				if m.err == nil {
					m.out = m.d.out
				}
				close(m.done)
			}
			return
		}
	}
	// One by one, as many at once as writeOne lets an event have.
	var wg sync.WaitGroup
	for _, m := range live {
		wg.Go(func() {
			m.out, m.err = s.writeOne(m.ctx, eventID, m.in)
			close(m.done)
		})
	}
	wg.Wait()
}

// groupTx checks and inserts a group's orders and takes their quantities.
// It may run more than once (the database retries a transaction that lost
// a deadlock), so it starts each member afresh.
func (s *Service) groupTx(tx *db.Tx, eventID string, members []*member) error {
	var types []string
	for _, m := range members {
		m.d, m.err = nil, nil
		types = append(types, m.in.typeIDs()...)
	}
	types = slices.Compact(slices.Sorted(slices.Values(types)))
	all, err := s.events.LoadSale(tx, eventID, types, nil)
	if err != nil {
		return err
	}
	now := s.now()
	var claims *seat.Claims
	var seats []string
	for _, m := range members {
		seats = append(seats, m.in.SeatIDs...)
	}
	// Without seat maps, plan refuses each seat order on its own.
	if len(seats) > 0 && s.seats != nil {
		// The group's seats locked and read at once, in id order (so that
		// groups never deadlock), and the ticket types they may name (the
		// sale is this transaction's own, so it is added to in place).
		if claims, err = s.seats.Lock(tx, all.Event.ID, seats, now); err != nil {
			return err
		}
		seated, err := s.events.TicketTypesTx(tx, all.Event.ID)
		if err != nil {
			return err
		}
		for i := range seated {
			if all.TicketTypes[seated[i].ID] == nil {
				all.TicketTypes[seated[i].ID] = &seated[i]
			}
		}
	}
	need := map[string]int{}
	var drafts []*draft
	for _, m := range members {
		sale, err := all.For(m.in.typeIDs(), nil)
		if err == nil {
			m.d, err = s.plan(tx, sale, m.in, now, claims)
		}
		if err != nil {
			m.err = err
			continue
		}
		if len(m.d.held) > 0 {
			claims.Claim(m.d.o.ID, m.d.held, m.d.o.ExpiresAt)
		}
		drafts = append(drafts, m.d)
		for tid, n := range m.d.qty {
			need[tid] += n
		}
	}
	if len(drafts) == 0 {
		return nil
	}
	if claims != nil {
		if err := claims.Write(); err != nil {
			return err
		}
	}
	if err := insert(tx, drafts); err != nil {
		return err
	}
	for _, tid := range slices.Sorted(maps.Keys(need)) {
		ok, err := s.events.TakeQuota(tx, tid, need[tid])
		if err != nil {
			return err
		}
		if !ok {
			return errShort
		}
	}
	return nil
}
