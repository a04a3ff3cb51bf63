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

// LockForSale loads what an order needs and serializes every writer that
// changes how much of these ticket types and sessions is taken: on
// PostgreSQL it locks their rows (in id order, so that two orders never
// deadlock) and shares the event row (so that the event cannot change
// status under the order); on SQLite the single writer already serializes.
// A ticket type or session that is not the event's is a validation error.
func (s *Service) LockForSale(tx *db.Tx, eventID string, ticketTypeIDs, sessionIDs []string) (*Sale, error) {
	share, update := "", ""
	if tx.Dialect() == db.Postgres {
		share, update = " FOR SHARE", " FOR UPDATE"
	}
	var e Event
	err := tx.Get(&e, `SELECT `+columns+` FROM events WHERE id = ? AND tenant_id = @tenant`+share, eventID)
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
		if err := tx.Select(&types, `SELECT `+ticketTypeColumns+` FROM ticket_types WHERE tenant_id = @tenant AND event_id = ? AND id IN (`+db.Placeholders(len(ids))+`) ORDER BY id`+update, args...); err != nil {
			return nil, err
		}
		for i := range types {
			sale.TicketTypes[types[i].ID] = &types[i]
		}
	}
	var c fault.Check
	for _, tid := range ticketTypeIDs {
		c.Add(sale.TicketTypes[tid] == nil, "items.ticket_type_id", "no ticket type "+tid+" in this event")
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
	for _, sid := range sessionIDs {
		c.Add(sale.Sessions[sid] == nil, "sessions", "no session "+sid+" in this event")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	sale.Form, err = s.FormTx(tx, e.ID)
	if err != nil {
		return nil, err
	}
	return sale, nil
}

// LockTicketTypes locks ticket types by id on PostgreSQL (a no-op on
// SQLite), for writers such as payment that must not interleave with holds
// deciding whether an expired hold is free.
func (s *Service) LockTicketTypes(tx *db.Tx, ids []string) error {
	if tx.Dialect() != db.Postgres || len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var got []string
	return tx.Select(&got, `SELECT id FROM ticket_types WHERE tenant_id = @tenant AND id IN (`+db.Placeholders(len(ids))+`) ORDER BY id FOR UPDATE`, anys(ids)...)
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

// Public returns an event for anyone, with live availability. A draft (or
// an id that names nothing) is not found: drafts are not announced.
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
		types, err := s.ticketTypesWithUsage(tx, e.ID, now)
		if err != nil {
			return err
		}
		sessions, err := s.sessionsWithUsage(tx, e.ID, now)
		if err != nil {
			return err
		}
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
