package event

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/outbox"
)

// Usage is how much of one quota or session is taken.
type Usage struct {
	// Held counts live holds (unexpired, or waiting for verification).
	Held int
	// Sold counts paid tickets.
	Sold int
}

// Taken is what the order domain reports for one event.
type Taken struct {
	TicketTypes map[string]Usage
	Sessions    map[string]int
}

// Sales is what the event domain needs from the order domain: how much is
// taken (the order domain owns holds and sales), and cancelling every open
// order when the event itself is cancelled. Both run in the caller's
// transaction.
type Sales interface {
	Taken(tx *db.Tx, eventID string, now time.Time) (Taken, error)
	CancelEventOrders(tx *db.Tx, eventID string, now time.Time) error
}

// UseSales connects the order domain. Without it every quota reads as free
// and cancelling an event leaves its orders alone; the wiring always sets it.
func (s *Service) UseSales(sales Sales) { s.sales = sales }

func (s *Service) taken(tx *db.Tx, eventID string, now time.Time) (Taken, error) {
	if s.sales == nil {
		return Taken{TicketTypes: map[string]Usage{}, Sessions: map[string]int{}}, nil
	}
	return s.sales.Taken(tx, eventID, now)
}

// Transition is a named move in an event's lifecycle.
type Transition string

// The lifecycle moves.
const (
	Publish     Transition = "publish"
	CloseSales  Transition = "close-sales"
	ReopenSales Transition = "reopen-sales"
	Finish      Transition = "finish"
	Cancel      Transition = "cancel"
)

// moves lists, for each transition, the statuses it starts from and where
// it leads. Anything else is an invalid_transition.
var moves = map[Transition]struct {
	from []string
	to   string
}{
	Publish:     {[]string{StatusDraft}, StatusPublished},
	CloseSales:  {[]string{StatusPublished}, StatusSalesClosed},
	ReopenSales: {[]string{StatusSalesClosed}, StatusPublished},
	Finish:      {[]string{StatusPublished, StatusSalesClosed}, StatusFinished},
	Cancel:      {[]string{StatusDraft, StatusPublished, StatusSalesClosed}, StatusCancelled},
}

// Move applies a lifecycle transition. Publishing needs at least one ticket
// type; cancelling also cancels the event's open and paid orders (refunding
// wallet payments) in the same transaction.
func (s *Service) Move(ctx context.Context, eventID string, t Transition) (*Event, error) {
	m, ok := moves[t]
	if !ok {
		return nil, fault.New(fault.Invalid, "unknown transition %q", t)
	}
	var out *Event
	err := s.write(ctx, func(tx *db.Tx) error {
		if err := lockEvent(tx, eventID, true); err != nil {
			return err
		}
		now := s.now()
		e, err := s.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		if !slices.Contains(m.from, e.Status) {
			return fault.New(fault.InvalidTransition, "cannot %s an event that is %s", strings.ReplaceAll(string(t), "-", " "), e.Status)
		}
		if t == Publish {
			var n int
			if err := tx.Get(&n, `SELECT COUNT(*) FROM ticket_types WHERE tenant_id = @tenant AND event_id = ?`, e.ID); err != nil {
				return err
			}
			if n == 0 {
				return fault.New(fault.InvalidTransition, "an event needs at least one ticket type before it is published")
			}
		}
		// Conditional on the status read above, so that two racing moves
		// cannot both succeed.
		if err := tx.ExecOne(`UPDATE events SET status = ?, updated_at = ? WHERE id = ? AND tenant_id = @tenant AND status = ?`,
			m.to, now, e.ID, e.Status); err != nil {
			if fault.Is(err, fault.NotFound) {
				return fault.New(fault.InvalidTransition, "the event changed meanwhile; try again")
			}
			return err
		}
		if t == Cancel && s.sales != nil {
			if err := s.sales.CancelEventOrders(tx, e.ID, now); err != nil {
				return err
			}
		}
		if _, err := outbox.Emit(tx, "event."+m.to, e.ID, map[string]any{"event_id": e.ID, "status": m.to}, now); err != nil {
			return err
		}
		e.Status, e.UpdatedAt = m.to, now
		out = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, eventID)
	return out, nil
}

// Update changes an event's fields. Nil fields stay as they are.
type Update struct {
	Name           *string    `json:"name,omitempty" minLength:"1" maxLength:"200"`
	StartsAt       *time.Time `json:"starts_at,omitempty"`
	EndsAt         *time.Time `json:"ends_at,omitempty"`
	Timezone       *string    `json:"timezone,omitempty" maxLength:"64"`
	Venue          *string    `json:"venue,omitempty" maxLength:"300"`
	Capacity       *int       `json:"capacity,omitempty" minimum:"1" maximum:"10000000"`
	HoldTTLSeconds *int       `json:"hold_ttl_seconds,omitempty" minimum:"30" maximum:"3600"`
}

// Patch changes a draft or published event. Finished and cancelled events
// are history and stay as they were. Capacity may not drop below the sum of
// the ticket types' quotas.
func (s *Service) Patch(ctx context.Context, eventID string, u Update) (*Event, error) {
	var out *Event
	err := s.write(ctx, func(tx *db.Tx) error {
		if err := lockEvent(tx, eventID, true); err != nil {
			return err
		}
		e, err := s.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		if e.Status != StatusDraft && e.Status != StatusPublished && e.Status != StatusSalesClosed {
			return fault.New(fault.InvalidTransition, "a %s event can no longer be changed", e.Status)
		}
		in := CreateInput{Name: e.Name, StartsAt: e.StartsAt, EndsAt: e.EndsAt, Timezone: e.Timezone, Venue: e.Venue, Capacity: e.Capacity, HoldTTLSeconds: e.HoldTTLSeconds}
		if u.Name != nil {
			in.Name = *u.Name
		}
		if u.StartsAt != nil {
			in.StartsAt = *u.StartsAt
		}
		if u.EndsAt != nil {
			in.EndsAt = *u.EndsAt
		}
		if u.Timezone != nil {
			in.Timezone = *u.Timezone
		}
		if u.Venue != nil {
			in.Venue = *u.Venue
		}
		if u.Capacity != nil {
			in.Capacity = *u.Capacity
		}
		if u.HoldTTLSeconds != nil {
			in.HoldTTLSeconds = *u.HoldTTLSeconds
		}
		if err := in.Validate(); err != nil {
			return err
		}
		var quotas int
		if err := tx.Get(&quotas, `SELECT COALESCE(SUM(quota), 0) FROM ticket_types WHERE tenant_id = @tenant AND event_id = ?`, e.ID); err != nil {
			return err
		}
		if in.Capacity < quotas {
			return fault.Field("capacity", "must be at least the sum of the ticket types' quotas")
		}
		e.Name, e.StartsAt, e.EndsAt = strings.TrimSpace(in.Name), in.StartsAt.UTC().Truncate(time.Microsecond), in.EndsAt.UTC().Truncate(time.Microsecond)
		e.Timezone, e.Venue, e.Capacity, e.HoldTTLSeconds, e.UpdatedAt = in.Timezone, strings.TrimSpace(in.Venue), in.Capacity, in.HoldTTLSeconds, s.now()
		out = e
		return tx.ExecOne(`UPDATE events SET name = ?, starts_at = ?, ends_at = ?, timezone = ?, venue = ?, capacity = ?, hold_ttl_seconds = ?, updated_at = ?
			WHERE id = ? AND tenant_id = @tenant`,
			e.Name, e.StartsAt, e.EndsAt, e.Timezone, e.Venue, e.Capacity, e.HoldTTLSeconds, e.UpdatedAt, e.ID)
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, eventID)
	return out, nil
}
