package event

import (
	"context"
	"slices"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Sale is an event as an order sees it inside its transaction: the event,
// the ticket types and sessions the order names (locked against concurrent
// holds), and the registration form.
type Sale struct {
	Event       *Event
	TicketTypes map[string]*TicketType
	Sessions    map[string]*Session
	Form        *Form
}

// LockForSale loads what an order needs. On PostgreSQL it shares the event's
// lock (so that the event cannot change status under the order) and locks
// the sessions the order names, in id order (their capacity is still judged
// by a sum over orders). Ticket types are not locked: their quota is kept
// by TakeQuota's conditional write, which takes the row lock only for the
// moment of the write, so holds on one ticket type do not queue behind each
// other's whole transactions. On SQLite the single writer serializes anyway.
// A ticket type or session that is not the event's is a validation error.
func (s *Service) LockForSale(tx *db.Tx, eventID string, ticketTypeIDs, sessionIDs []string) (*Sale, error) {
	sale, err := s.LoadSale(tx, eventID, ticketTypeIDs, sessionIDs)
	if err != nil {
		return nil, err
	}
	if err := sale.check(ticketTypeIDs, sessionIDs); err != nil {
		return nil, err
	}
	return sale, nil
}

// LoadSale is LockForSale without its last check: the sale holds those of
// the named ticket types and sessions that are the event's, for a writer
// that checks several orders against one sale (with For).
func (s *Service) LoadSale(tx *db.Tx, eventID string, ticketTypeIDs, sessionIDs []string) (*Sale, error) {
	update := tx.ForUpdate()
	if err := lockEvent(tx, eventID, false); err != nil {
		return nil, err
	}
	var e Event
	err := tx.Get(&e, `SELECT `+columns+` FROM events WHERE id = ? AND tenant_id = @tenant`, eventID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no event %q", eventID)
	}
	if err != nil {
		return nil, err
	}
	sale := &Sale{Event: &e, TicketTypes: map[string]*TicketType{}, Sessions: map[string]*Session{}}
	ids := slices.Sorted(slices.Values(ticketTypeIDs))
	ids = slices.Compact(ids)
	if len(ids) > 0 {
		var types []TicketType
		args := append([]any{e.ID}, anys(ids)...)
		if err := tx.Select(&types, `SELECT `+ticketTypeColumns+` FROM ticket_types WHERE tenant_id = @tenant AND event_id = ? AND id IN (`+db.Placeholders(len(ids))+`) ORDER BY id`, args...); err != nil {
			return nil, err
		}
		for i := range types {
			sale.TicketTypes[types[i].ID] = &types[i]
		}
	}
	sids := slices.Compact(slices.Sorted(slices.Values(sessionIDs)))
	if len(sids) > 0 {
		var sessions []Session
		args := append([]any{e.ID}, anys(sids)...)
		if err := tx.Select(&sessions, `SELECT `+sessionColumns+` FROM event_sessions WHERE tenant_id = @tenant AND event_id = ? AND id IN (`+db.Placeholders(len(sids))+`) ORDER BY id`+update, args...); err != nil {
			return nil, err
		}
		for i := range sessions {
			sale.Sessions[sessions[i].ID] = &sessions[i]
		}
	}
	sale.Form, err = s.FormTx(tx, e.ID)
	if err != nil {
		return nil, err
	}
	return sale, nil
}

// For is the sale as one order naming these ticket types and sessions sees
// it: a validation error when one of them is not the event's.
func (sale *Sale) For(ticketTypeIDs, sessionIDs []string) (*Sale, error) {
	if err := sale.check(ticketTypeIDs, sessionIDs); err != nil {
		return nil, err
	}
	out := *sale
	return &out, nil
}

// eventLockClass keeps the events' advisory locks apart from any other
// advisory lock on the same PostgreSQL database ("USHR").
const eventLockClass = 0x55534852

// lockEvent takes an event's lock until the end of tx on PostgreSQL: shared
// by holds, exclusive by changes of the event's status or settings. It is an
// advisory lock rather than a row lock on purpose: PostgreSQL lets a new
// FOR SHARE row lock in beside the ones already held even while an UPDATE
// waits for them, so under a steady stream of holds a change to the event
// (closing or cancelling sales in the middle of a flash sale) would wait
// for ever. The lock manager queues an exclusive request ahead of later
// shared ones, so the change waits only for the holds already running.
// SQLite's single writer serializes without it.
func lockEvent(tx *db.Tx, eventID string, exclusive bool) error {
	if tx.Dialect() != db.Postgres {
		return nil
	}
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	_, err := tx.Global().Exec(`SELECT `+fn+`(?, hashtext(?))`, eventLockClass, eventID)
	return err
}

// check says which of the ticket types and sessions an order names are not
// the sale's event's.
func (sale *Sale) check(ticketTypeIDs, sessionIDs []string) error {
	var c fault.Check
	for _, tid := range ticketTypeIDs {
		c.Add(sale.TicketTypes[tid] == nil, "items.ticket_type_id", "no ticket type "+tid+" in this event")
	}
	for _, sid := range sessionIDs {
		c.Add(sale.Sessions[sid] == nil, "sessions", "no session "+sid+" in this event")
	}
	return c.Err()
}

// LockTicketTypes locks ticket types by id on PostgreSQL (a no-op on
// SQLite), for writers that must not interleave with a change of quota.
func (s *Service) LockTicketTypes(tx *db.Tx, ids []string) error {
	if tx.Dialect() != db.Postgres || len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var got []string
	return tx.Select(&got, `SELECT id FROM ticket_types WHERE tenant_id = @tenant AND id IN (`+db.Placeholders(len(ids))+`) ORDER BY id FOR UPDATE`, anys(ids)...)
}

// TakeQuota counts qty more tickets of a ticket type as taken if its quota
// still has room, and reports whether it did. It is one conditional write,
// never a read and then a write, so two holds can never both take the last
// ticket, on one node or many. The counter includes holds that expired but
// were not yet given back; the order domain gives them back (GiveBackQuota)
// and tries again when a take fails.
func (s *Service) TakeQuota(tx *db.Tx, ticketTypeID string, qty int) (bool, error) {
	res, err := tx.Exec(`UPDATE ticket_types SET taken = taken + ? WHERE id = ? AND tenant_id = @tenant AND taken + ? <= quota`,
		qty, ticketTypeID, qty)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CountTaken counts qty more tickets as taken without a condition, for
// writers that checked the quota their own way (attendee imports).
func (s *Service) CountTaken(tx *db.Tx, ticketTypeID string, qty int) error {
	_, err := tx.Exec(`UPDATE ticket_types SET taken = taken + ? WHERE id = ? AND tenant_id = @tenant`, qty, ticketTypeID)
	return err
}

// QuotaLeft reports how much of a ticket type's quota is not taken, for the
// message of a failed take (after expired holds were given back).
func (s *Service) QuotaLeft(tx *db.Tx, ticketTypeID string) (int, error) {
	var n int
	err := tx.Get(&n, `SELECT quota - taken FROM ticket_types WHERE id = ? AND tenant_id = @tenant`, ticketTypeID)
	return max(0, n), err
}

// GiveBackQuota returns qty tickets of a ticket type to its quota: a hold
// that expired or was cancelled, a paid order cancelled, a proof rejected.
func (s *Service) GiveBackQuota(tx *db.Tx, ticketTypeID string, qty int) error {
	_, err := tx.Exec(`UPDATE ticket_types SET taken = taken - ? WHERE id = ? AND tenant_id = @tenant`, qty, ticketTypeID)
	return err
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// PublicEvent is what anyone may see of an event that is not a draft.
type PublicEvent struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Status      string             `json:"status" enum:"published,sales_closed,finished,cancelled"`
	StartsAt    time.Time          `json:"starts_at"`
	EndsAt      time.Time          `json:"ends_at"`
	Timezone    string             `json:"timezone"`
	Venue       string             `json:"venue"`
	TicketTypes []PublicTicketType `json:"ticket_types"`
	Sessions    []PublicSession    `json:"sessions"`
	Form        *Form              `json:"form"`
}

// PublicTicketType is a ticket type as buyers see it.
type PublicTicketType struct {
	ID                   string     `json:"id"`
	Name                 string     `json:"name"`
	Price                int64      `json:"price"`
	Currency             string     `json:"currency"`
	Perks                string     `json:"perks"`
	SalesStart           *time.Time `json:"sales_start,omitempty"`
	SalesEnd             *time.Time `json:"sales_end,omitempty"`
	RequiresVerification bool       `json:"requires_verification"`
	MinPerOrder          int        `json:"min_per_order"`
	MaxPerOrder          int        `json:"max_per_order"`
	OnSale               bool       `json:"on_sale" doc:"The event is published and now is inside the sale window."`
	Available            int        `json:"available"`
}

// PublicSession is a session as registrants see it.
type PublicSession struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Track     string    `json:"track"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Available int       `json:"available"`
}

// Public returns an event for anyone, with live availability of its ticket
// types and sessions. A draft (or an id that names nothing) is not found:
// drafts are not announced.
func (s *Service) Public(ctx context.Context, eventID string) (*PublicEvent, error) {
	var out *PublicEvent
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		owner, err := s.OwnerTx(tx, eventID)
		if err != nil {
			return err
		}
		tx = tx.Scope(owner)
		e, err := s.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		if e.Status == StatusDraft {
			return fault.New(fault.NotFound, "no event %q", eventID)
		}
		now := s.now()
		// One read of what is taken serves the ticket types and every
		// session: the page is public and polled, so it stays a fixed
		// handful of queries however many sessions the event has.
		taken, err := s.taken(tx, e.ID, now)
		if err != nil {
			return err
		}
		types, err := s.TicketTypesTx(tx, e.ID)
		if err != nil {
			return err
		}
		fillTicketTypes(types, taken)
		sessions, err := s.sessionsTx(tx, e.ID)
		if err != nil {
			return err
		}
		fillSessions(sessions, taken)
		form, err := s.FormTx(tx, e.ID)
		if err != nil {
			return err
		}
		out = &PublicEvent{ID: e.ID, Name: e.Name, Status: e.Status, StartsAt: e.StartsAt, EndsAt: e.EndsAt,
			Timezone: e.Timezone, Venue: e.Venue, TicketTypes: []PublicTicketType{}, Sessions: []PublicSession{}, Form: form}
		for _, t := range types {
			out.TicketTypes = append(out.TicketTypes, PublicTicketType{
				ID: t.ID, Name: t.Name, Price: t.Price, Currency: t.Currency, Perks: t.Perks,
				SalesStart: t.SalesStart, SalesEnd: t.SalesEnd, RequiresVerification: t.RequiresVerification,
				MinPerOrder: t.MinPerOrder, MaxPerOrder: t.MaxPerOrder,
				OnSale: e.Status == StatusPublished && t.OnSale(now), Available: t.Available,
			})
		}
		for _, ss := range sessions {
			out.Sessions = append(out.Sessions, PublicSession{ID: ss.ID, Name: ss.Name, Track: ss.Track, StartsAt: ss.StartsAt, EndsAt: ss.EndsAt, Available: ss.Available})
		}
		return nil
	})
	return out, err
}

// OwnerTx returns the tenant that owns an event, for public paths that
// start from a bare event id. tx may be scoped or not; the lookup is global.
func (s *Service) OwnerTx(tx *db.Tx, eventID string) (string, error) {
	var owner string
	err := tx.Global().Get(&owner, `SELECT tenant_id FROM events WHERE id = ?`, eventID)
	if fault.Is(err, fault.NotFound) {
		return "", fault.New(fault.NotFound, "no event %q", eventID)
	}
	return owner, err
}
