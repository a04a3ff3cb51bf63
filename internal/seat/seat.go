// Package seat owns seat maps: sections, rows and numbered seats, each sold
// as one ticket of a ticket type; their availability (available, held,
// sold); holds on seats; and best-available.
//
// A seat's state lives in its own row and changes by one conditional write:
// a hold succeeds only if the seat is available or its hold has expired,
// so two orders can never hold one seat, and an expired hold is free the
// moment it expires without a sweeper rewriting it. A sold seat is also
// recorded in seat_sales, whose primary key makes a second paid order for
// the same seat impossible whatever the code above it does.
//
// "Best" is defined by the seat map itself: sections in the order their
// first seat was created, rows within a section likewise, numbers ascending.
// An organizer lists the best section and the front row first.
package seat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// Prefix starts every seat id.
const Prefix = "seat"

// Seat statuses as the API shows them.
const (
	StatusAvailable = "available"
	StatusHeld      = "held"
	StatusSold      = "sold"
)

// maxSeatsPerRequest bounds one bulk creation (and so one transaction).
const maxSeatsPerRequest = 10000

// cacheTTL is how long a node serves an event's seat list from memory. The
// node's own holds clear it at once; other nodes' holds show within this.
const cacheTTL = 500 * time.Millisecond

// Seat is one seat of an event's map.
type Seat struct {
	ID           string `json:"id" db:"id"`
	Section      string `json:"section" db:"section"`
	Row          string `json:"row" db:"row_label"`
	Number       int    `json:"number" db:"number"`
	TicketTypeID string `json:"ticket_type_id" db:"ticket_type_id"`
	Status       string `json:"status" enum:"available,held,sold" db:"-"`
	// OrderID is the order that holds or bought the seat, in the
	// organizer's list only (never in the public one).
	OrderID string `json:"order_id,omitempty" db:"-"`
}

// seatRow is a seat as stored, with what its effective status needs.
type seatRow struct {
	Seat
	Stored    string     `db:"status"`
	HoldUntil *time.Time `db:"hold_until"`
	HoldOrder *string    `db:"hold_order"`
	SoldOrder *string    `db:"sold_order"`
}

// effective is the seat's status at now: a hold past its end is available.
func (r *seatRow) effective(now time.Time) string {
	if r.Stored == StatusHeld && r.HoldUntil != nil && !now.Before(*r.HoldUntil) {
		return StatusAvailable
	}
	return r.Stored
}

// Service holds the seat domain's rules.
type Service struct {
	db     *db.DB
	events *event.Service
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]*snapshot
}

// snapshot is an event's seat list as one node last read it.
type snapshot struct {
	mu    sync.Mutex // one reader refills it; the others wait for its result
	at    time.Time
	owner string
	seats []Seat
	// types are the event's ticket types by id, for their sale windows.
	types map[string]*event.TicketType
}

// NewService returns the seat service.
func NewService(conn *db.DB, events *event.Service, now func() time.Time) *Service {
	return &Service{db: conn, events: events, now: now, cache: map[string]*snapshot{}}
}

// NewSeat is one seat to create.
type NewSeat struct {
	Section      string `json:"section" minLength:"1" maxLength:"50"`
	Row          string `json:"row" minLength:"1" maxLength:"20"`
	Number       int    `json:"number" minimum:"1" maximum:"100000"`
	TicketTypeID string `json:"ticket_type_id" minLength:"1" maxLength:"100"`
}

// Create adds seats to an event's map in one transaction and reports how
// many it created. A seat whose section, row and number the event already
// has is a conflict, and nothing is created.
func (s *Service) Create(ctx context.Context, eventID string, seats []NewSeat) (int, error) {
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		e, err := s.events.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		if e.Status == event.StatusFinished || e.Status == event.StatusCancelled {
			return fault.New(fault.InvalidTransition, "a %s event's seat map stays as it was", e.Status)
		}
		types, err := s.events.TicketTypesTx(tx, eventID)
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, t := range types {
			known[t.ID] = true
		}
		var c fault.Check
		c.Add(len(seats) == 0, "seats", "must list at least one seat")
		c.Add(len(seats) > maxSeatsPerRequest, "seats", fmt.Sprintf("at most %d seats per request", maxSeatsPerRequest))
		seen := map[string]int{}
		for i := range seats {
			n := &seats[i]
			n.Section, n.Row = strings.TrimSpace(n.Section), strings.TrimSpace(n.Row)
			f := fmt.Sprintf("seats[%d]", i)
			c.Add(n.Section == "", f+".section", "must not be empty")
			c.Add(n.Row == "", f+".row", "must not be empty")
			c.Add(n.Number < 1, f+".number", "must be at least 1")
			c.Add(!known[n.TicketTypeID], f+".ticket_type_id", "no ticket type "+n.TicketTypeID+" in this event")
			place := n.Section + "\x00" + n.Row + "\x00" + fmt.Sprint(n.Number)
			if j, dup := seen[place]; dup {
				c.Add(true, f, fmt.Sprintf("the same seat as seats[%d]", j))
			}
			seen[place] = i
		}
		if err := c.Err(); err != nil {
			return err
		}
		var pos int
		if err := tx.Get(&pos, `SELECT COALESCE(MAX(position), 0) FROM seats WHERE tenant_id = @tenant AND event_id = ?`, eventID); err != nil {
			return err
		}
		now := s.now()
		// Many rows per statement: a 10,000-seat map is 100 statements.
		const perInsert = 100
		for start := 0; start < len(seats); start += perInsert {
			chunk := seats[start:min(start+perInsert, len(seats))]
			var sb strings.Builder
			sb.WriteString(`INSERT INTO seats (tenant_id, id, event_id, ticket_type_id, section, row_label, number, position, status, created_at) VALUES `)
			args := make([]any, 0, len(chunk)*8)
			for i, n := range chunk {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(`(@tenant, ?, ?, ?, ?, ?, ?, ?, 'available', ?)`)
				pos++
				args = append(args, id.New(Prefix), eventID, n.TicketTypeID, n.Section, n.Row, n.Number, pos, now)
			}
			if _, err := tx.Exec(sb.String(), args...); err != nil {
				if fault.Is(err, fault.Conflict) {
					return fault.Wrap(err, fault.Conflict, "the event already has a seat at one of these places")
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.Invalidate(eventID)
	api.SetTarget(ctx, eventID)
	return len(seats), nil
}

// Public returns an event's seats with their status for anyone; a draft
// event is not found. The list comes from a per-node snapshot at most
// cacheTTL old, so that thousands of buyers polling a seat map cost one
// query per event per half second.
func (s *Service) Public(ctx context.Context, eventID string) ([]Seat, error) {
	snap, err := s.snapshot(ctx, eventID, false)
	if err != nil {
		return nil, err
	}
	return snap.seats, nil
}

// List returns an event's seats for its organizer (tenant of ctx), fresh.
func (s *Service) List(ctx context.Context, eventID string) ([]Seat, error) {
	var out []Seat
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.events.EventTx(tx, eventID); err != nil {
			return err
		}
		var err error
		out, err = s.read(tx, eventID, true)
		return err
	})
	return out, err
}

// Invalidate drops this node's snapshot of an event's seats, after a write
// that changed them has committed.
func (s *Service) Invalidate(eventID string) {
	s.mu.Lock()
	delete(s.cache, eventID)
	s.mu.Unlock()
}

// snapshot returns the event's cached seat list, refilling it when older
// than cacheTTL (or always, with fresh).
func (s *Service) snapshot(ctx context.Context, eventID string, fresh bool) (*snapshot, error) {
	s.mu.Lock()
	snap := s.cache[eventID]
	if snap == nil {
		snap = &snapshot{}
		s.cache[eventID] = snap
	}
	s.mu.Unlock()
	snap.mu.Lock()
	defer snap.mu.Unlock()
	now := s.now()
	if !fresh && snap.seats != nil && now.Sub(snap.at) < cacheTTL {
		return snap, nil
	}
	var seats []Seat
	var owner string
	types := map[string]*event.TicketType{}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		owner, err = s.events.OwnerTx(tx, eventID)
		if err != nil {
			return err
		}
		tx = tx.Scope(owner)
		e, err := s.events.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		if e.Status == event.StatusDraft {
			return fault.New(fault.NotFound, "no event %q", eventID)
		}
		seats, err = s.read(tx, eventID, false)
		if err != nil {
			return err
		}
		list, err := s.events.TicketTypesTx(tx, eventID)
		for i := range list {
			types[list[i].ID] = &list[i]
		}
		return err
	})
	if err != nil {
		s.Invalidate(eventID)
		return nil, err
	}
	// A new snapshot value, so that callers still holding the old slice
	// keep a consistent one.
	next := &snapshot{at: now, owner: owner, seats: seats, types: types}
	s.mu.Lock()
	if s.cache[eventID] == snap {
		s.cache[eventID] = next
	}
	s.mu.Unlock()
	return next, nil
}

// read returns an event's seats in map order with their status at now and,
// with orders (the organizer's list), the order that holds or bought each.
func (s *Service) read(tx *db.Tx, eventID string, orders bool) ([]Seat, error) {
	var rows []seatRow
	if err := tx.Select(&rows, `SELECT id, section, row_label, number, ticket_type_id, status, hold_until, hold_order, sold_order
		FROM seats WHERE tenant_id = @tenant AND event_id = ? ORDER BY position`, eventID); err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]Seat, len(rows))
	for i, r := range rows {
		out[i] = r.Seat
		out[i].Status = r.effective(now)
		if !orders {
			continue
		}
		switch {
		case out[i].Status == StatusSold && r.SoldOrder != nil:
			out[i].OrderID = *r.SoldOrder
		case out[i].Status == StatusHeld && r.HoldOrder != nil:
			out[i].OrderID = *r.HoldOrder
		}
	}
	return out, nil
}

// BestAvailable picks count adjacent available seats in one row (of one
// ticket type, when given): the first section, in seat-map order, with such
// a run, and in it the first row. Only seats whose ticket type is on sale
// now count: a section whose sale opens later (a presale's, say) is not
// offered before it does, nor one whose sale has ended. It does not hold
// them; an order does. With fresh it reads the database instead of this
// node's snapshot, for a retry after the snapshot's pick was taken by
// someone else.
func (s *Service) BestAvailable(ctx context.Context, eventID, ticketTypeID string, count int, fresh bool) ([]Seat, error) {
	if count < 1 || count > 20 {
		return nil, fault.Field("count", "must be between 1 and 20")
	}
	snap, err := s.snapshot(ctx, eventID, fresh)
	if err != nil {
		return nil, err
	}
	now := s.now()
	onSale := func(typeID string) bool {
		t := snap.types[typeID]
		return t != nil && t.OnSale(now)
	}
	if run := bestRun(snap.seats, ticketTypeID, count, onSale); run != nil {
		return run, nil
	}
	return nil, fault.New(fault.SeatUnavailable, "no %d adjacent seats are available", count)
}

// bestRun finds the first run of count consecutive available seats in one
// row whose ticket types are on sale, walking sections and rows in the
// order they first appear.
func bestRun(seats []Seat, ticketTypeID string, count int, onSale func(typeID string) bool) []Seat {
	type rowKey struct{ section, row string }
	var order []rowKey
	rows := map[rowKey][]Seat{}
	sectionRank := map[string]int{}
	for _, st := range seats {
		k := rowKey{st.Section, st.Row}
		if _, ok := sectionRank[st.Section]; !ok {
			sectionRank[st.Section] = len(sectionRank)
		}
		if _, ok := rows[k]; !ok {
			order = append(order, k)
		}
		rows[k] = append(rows[k], st)
	}
	// Rows in order of first appearance, grouped by their section's rank.
	grouped := make([]rowKey, 0, len(order))
	for rank := 0; rank < len(sectionRank); rank++ {
		for _, k := range order {
			if sectionRank[k.section] == rank {
				grouped = append(grouped, k)
			}
		}
	}
	for _, k := range grouped {
		r := rows[k]
		sortByNumber(r)
		start := 0
		for i := range r {
			ok := r[i].Status == StatusAvailable && (ticketTypeID == "" || r[i].TicketTypeID == ticketTypeID) && onSale(r[i].TicketTypeID)
			if !ok {
				start = i + 1
				continue
			}
			if i > start && r[i].Number != r[i-1].Number+1 {
				start = i
			}
			if i-start+1 == count {
				return append([]Seat(nil), r[start:i+1]...)
			}
		}
	}
	return nil
}

func sortByNumber(r []Seat) {
	// Rows are short (tens of seats) and usually already in order.
	for i := 1; i < len(r); i++ {
		for j := i; j > 0 && r[j].Number < r[j-1].Number; j-- {
			r[j], r[j-1] = r[j-1], r[j]
		}
	}
}

// Retype gives a section's seats, or one row's when row is not empty, the
// ticket type ticketTypeID (one of the event's), for an event that is not
// over. Seats that a live order holds or bought keep theirs: when the
// selection has one, nothing changes (conflict). Orders made before keep
// the type and price they were made with.
func (s *Service) Retype(ctx context.Context, eventID, section, row, ticketTypeID string) (int, error) {
	return s.changeMap(ctx, eventID, section, row, func(tx *db.Tx, where string, args []any, total int) error {
		var owner int
		if err := tx.Get(&owner, `SELECT COUNT(*) FROM ticket_types WHERE tenant_id = @tenant AND event_id = ? AND id = ?`, eventID, ticketTypeID); err != nil {
			return err
		}
		if owner == 0 {
			return fault.Field("ticket_type_id", "no ticket type "+ticketTypeID+" in this event")
		}
		res, err := tx.Exec(`UPDATE seats SET ticket_type_id = ? WHERE `+where+`
			AND (status = 'available' OR (status = 'held' AND hold_until <= ?))`, append(append([]any{ticketTypeID}, args...), s.now())...)
		if err != nil {
			return err
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(affected) != total {
			return fault.New(fault.Conflict, "%d of these seats are held or sold; seats with live orders keep their ticket type", total-int(affected))
		}
		return nil
	})
}

// Remove deletes a section's seats, or one row's when row is not empty, from
// an event's map that is not over (finished or cancelled). Seats that any
// order ever held stay part of that order's history: when the selection has
// one, nothing is removed (conflict).
func (s *Service) Remove(ctx context.Context, eventID, section, row string) (int, error) {
	return s.changeMap(ctx, eventID, section, row, func(tx *db.Tx, where string, args []any, total int) error {
		var ordered int
		if err := tx.Get(&ordered, `SELECT COUNT(*) FROM order_seats WHERE tenant_id = @tenant AND seat_id IN (SELECT id FROM seats WHERE `+where+`)`, args...); err != nil {
			return err
		}
		if ordered > 0 {
			return fault.New(fault.Conflict, "%d of these seats were in orders; seats with orders stay on the map", ordered)
		}
		_, err := tx.Exec(`DELETE FROM seats WHERE `+where, args...)
		return err
	})
}

// changeMap runs change on a section's seats (or one row's) of an event
// whose map may change (not over; not found when not the caller's, or when
// the selection has no seats), with the selection's WHERE clause, its
// arguments and its seat count, which it answers with. The change is all or
// nothing.
func (s *Service) changeMap(ctx context.Context, eventID, section, row string, change func(tx *db.Tx, where string, args []any, total int) error) (int, error) {
	section, row = strings.TrimSpace(section), strings.TrimSpace(row)
	var c fault.Check
	c.Add(section == "" || utf8.RuneCountInString(section) > 50, "section", "must name a section (at most 50 characters)")
	c.Add(utf8.RuneCountInString(row) > 20, "row", "must be at most 20 characters")
	if err := c.Err(); err != nil {
		return 0, err
	}
	where := `tenant_id = @tenant AND event_id = ? AND section = ?`
	args := []any{eventID, section}
	if row != "" {
		where += ` AND row_label = ?`
		args = append(args, row)
	}
	var total int
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		e, err := s.events.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		if e.Status == event.StatusFinished || e.Status == event.StatusCancelled {
			return fault.New(fault.InvalidTransition, "a %s event's seat map stays as it was", e.Status)
		}
		if err := tx.Get(&total, `SELECT COUNT(*) FROM seats WHERE `+where, args...); err != nil {
			return err
		}
		if total == 0 {
			what := fmt.Sprintf("section %q", section)
			if row != "" {
				what += fmt.Sprintf(", row %q", row)
			}
			return fault.New(fault.NotFound, "no seats in %s", what)
		}
		return change(tx, where, args, total)
	})
	if err != nil {
		return 0, err
	}
	s.Invalidate(eventID)
	api.SetTarget(ctx, eventID)
	return total, nil
}
