package event

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// TicketTypePrefix starts every ticket type id.
const TicketTypePrefix = "tty"

// maxPrice bounds prices so that totals never overflow (10^12 minor units).
const maxPrice = 1_000_000_000_000

// TicketType is a kind of ticket with its price, quota and sale window.
type TicketType struct {
	ID      string `json:"id" db:"id"`
	EventID string `json:"event_id" db:"event_id"`
	Name    string `json:"name" db:"name"`
	// Price is in minor units of Currency (KRW has none: 99000 is ₩99,000).
	Price      int64      `json:"price" db:"price"`
	Currency   string     `json:"currency" db:"currency"`
	Quota      int        `json:"quota" db:"quota"`
	SalesStart *time.Time `json:"sales_start,omitempty" db:"sales_start"`
	SalesEnd   *time.Time `json:"sales_end,omitempty" db:"sales_end"`
	Perks      string     `json:"perks" db:"perks"`
	// RequiresVerification makes an order wait as pending_verification
	// until staff approve a proof (a student ID, say).
	RequiresVerification bool      `json:"requires_verification" db:"requires_verification"`
	MinPerOrder          int       `json:"min_per_order" db:"min_per_order"`
	MaxPerOrder          int       `json:"max_per_order" db:"max_per_order"`
	CreatedAt            time.Time `json:"created_at" db:"created_at"`
	UpdatedAt            time.Time `json:"updated_at" db:"updated_at"`

	// Held, Sold and Available are filled from the order domain when listed.
	Held      int `json:"held" db:"-"`
	Sold      int `json:"sold" db:"-"`
	Available int `json:"available" db:"-" doc:"quota − live holds − sold; an expired hold is free at once."`
}

// OnSale reports whether the type's sale window contains now.
func (t *TicketType) OnSale(now time.Time) bool {
	return (t.SalesStart == nil || !now.Before(*t.SalesStart)) && (t.SalesEnd == nil || now.Before(*t.SalesEnd))
}

func (t *TicketType) fill(u Usage) {
	t.Held, t.Sold = u.Held, u.Sold
	t.Available = max(0, t.Quota-u.Held-u.Sold)
}

// TicketTypeInput describes a new ticket type.
type TicketTypeInput struct {
	Name                 string     `json:"name" minLength:"1" maxLength:"200"`
	Price                int64      `json:"price" minimum:"0" maximum:"1000000000000" doc:"Minor units of currency."`
	Currency             string     `json:"currency" minLength:"3" maxLength:"3" doc:"ISO 4217, e.g. KRW."`
	Quota                int        `json:"quota" minimum:"0" maximum:"10000000"`
	SalesStart           *time.Time `json:"sales_start,omitempty" doc:"RFC 3339; absent: on sale from publication."`
	SalesEnd             *time.Time `json:"sales_end,omitempty" doc:"RFC 3339; absent: on sale until sales close."`
	Perks                string     `json:"perks,omitempty" maxLength:"2000"`
	RequiresVerification bool       `json:"requires_verification,omitempty"`
	MinPerOrder          int        `json:"min_per_order,omitempty" minimum:"0" maximum:"100" doc:"Default 1."`
	MaxPerOrder          int        `json:"max_per_order,omitempty" minimum:"0" maximum:"100" doc:"Default 10."`
}

var currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate checks a ticket type's fields together.
func (in *TicketTypeInput) Validate() error {
	var c fault.Check
	c.Add(strings.TrimSpace(in.Name) == "", "name", "must not be empty")
	c.Add(in.Price < 0 || in.Price > maxPrice, "price", "must be between 0 and 10^12 minor units")
	c.Add(!currencyRe.MatchString(in.Currency), "currency", "must be an ISO 4217 code of three upper-case letters, such as KRW")
	c.Add(in.Quota < 0, "quota", "must not be negative")
	c.Add(in.SalesStart != nil && in.SalesEnd != nil && !in.SalesEnd.After(*in.SalesStart), "sales_end", "must be after sales_start")
	if in.MinPerOrder == 0 {
		in.MinPerOrder = 1
	}
	if in.MaxPerOrder == 0 {
		in.MaxPerOrder = 10
	}
	c.Add(in.MinPerOrder < 1 || in.MinPerOrder > 100, "min_per_order", "must be between 1 and 100")
	c.Add(in.MaxPerOrder < in.MinPerOrder || in.MaxPerOrder > 100, "max_per_order", "must be between min_per_order and 100")
	return c.Err()
}

const ticketTypeColumns = `id, event_id, name, price, currency, quota, sales_start, sales_end, perks, requires_verification, min_per_order, max_per_order, created_at, updated_at`

// CreateTicketType adds a ticket type to a draft or published event. The
// quotas of an event's ticket types add up to at most its capacity, and
// they share one currency so that an order has one total.
func (s *Service) CreateTicketType(ctx context.Context, eventID string, in TicketTypeInput) (*TicketType, error) {
	var out *TicketType
	err := s.write(ctx, func(tx *db.Tx) error {
		e, err := s.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return err
		}
		if e.Status != StatusDraft && e.Status != StatusPublished && e.Status != StatusSalesClosed {
			return fault.New(fault.InvalidTransition, "a %s event takes no new ticket types", e.Status)
		}
		existing, err := s.TicketTypesTx(tx, e.ID)
		if err != nil {
			return err
		}
		quotas := in.Quota
		for _, t := range existing {
			quotas += t.Quota
			if t.Currency != in.Currency {
				return fault.Field("currency", "must match the event's other ticket types ("+t.Currency+")")
			}
		}
		if quotas > e.Capacity {
			return fault.Field("quota", "the quotas of the event's ticket types would exceed its capacity")
		}
		now := s.now()
		t := &TicketType{
			ID: id.New(TicketTypePrefix), EventID: e.ID, Name: strings.TrimSpace(in.Name), Price: in.Price,
			Currency: in.Currency, Quota: in.Quota, SalesStart: utcPtr(in.SalesStart), SalesEnd: utcPtr(in.SalesEnd),
			Perks: strings.TrimSpace(in.Perks), RequiresVerification: in.RequiresVerification,
			MinPerOrder: in.MinPerOrder, MaxPerOrder: in.MaxPerOrder, CreatedAt: now, UpdatedAt: now,
		}
		t.fill(Usage{})
		out = t
		_, err = tx.Exec(`INSERT INTO ticket_types (tenant_id, `+ticketTypeColumns+`)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.EventID, t.Name, t.Price, t.Currency, t.Quota, t.SalesStart, t.SalesEnd, t.Perks,
			t.RequiresVerification, t.MinPerOrder, t.MaxPerOrder, t.CreatedAt, t.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, out.ID)
	return out, nil
}

// ListTicketTypes returns an event's ticket types with what is held, sold
// and available right now.
func (s *Service) ListTicketTypes(ctx context.Context, eventID string) ([]TicketType, error) {
	var out []TicketType
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.EventTx(tx, eventID); err != nil {
			return err
		}
		var err error
		out, err = s.ticketTypesWithUsage(tx, eventID, s.now())
		return err
	})
	return out, err
}

func (s *Service) ticketTypesWithUsage(tx *db.Tx, eventID string, now time.Time) ([]TicketType, error) {
	types, err := s.TicketTypesTx(tx, eventID)
	if err != nil {
		return nil, err
	}
	taken, err := s.taken(tx, eventID, now)
	if err != nil {
		return nil, err
	}
	fillTicketTypes(types, taken)
	return types, nil
}

// fillTicketTypes sets each ticket type's held, sold and available from taken.
func fillTicketTypes(types []TicketType, taken Taken) {
	for i := range types {
		types[i].fill(taken.TicketTypes[types[i].ID])
	}
}

// TicketTypesTx returns an event's ticket types inside tx, oldest first.
func (s *Service) TicketTypesTx(tx *db.Tx, eventID string) ([]TicketType, error) {
	types := []TicketType{}
	err := tx.Select(&types, `SELECT `+ticketTypeColumns+` FROM ticket_types WHERE tenant_id = @tenant AND event_id = ? ORDER BY id`, eventID)
	return types, err
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// TicketTypeUpdate changes a ticket type; absent fields stay as they are.
// The currency cannot change: the event's ticket types and its orders share it.
type TicketTypeUpdate struct {
	Name                 *string    `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Price                *int64     `json:"price,omitempty" minimum:"0" maximum:"1000000000000" doc:"Minor units; held and paid orders keep the price they were made at."`
	Quota                *int       `json:"quota,omitempty" minimum:"0" maximum:"10000000" doc:"Not below what is held and sold now."`
	SalesStart           *time.Time `json:"sales_start,omitempty"`
	SalesEnd             *time.Time `json:"sales_end,omitempty"`
	RemoveSalesStart     bool       `json:"remove_sales_start,omitempty" doc:"On sale from publication again (sales_start must then be absent)."`
	RemoveSalesEnd       bool       `json:"remove_sales_end,omitempty" doc:"On sale until sales close again (sales_end must then be absent)."`
	Perks                *string    `json:"perks,omitempty" maxLength:"2000"`
	RequiresVerification *bool      `json:"requires_verification,omitempty" doc:"For new orders; orders waiting for a decision keep waiting."`
	MinPerOrder          *int       `json:"min_per_order,omitempty" minimum:"1" maximum:"100"`
	MaxPerOrder          *int       `json:"max_per_order,omitempty" minimum:"1" maximum:"100"`
}

// PatchTicketType changes a ticket type of a draft, published or
// sales-closed event. The quota may not drop below what is held and sold
// right now (an expired hold counts as free), nor may the event's quotas
// together exceed its capacity. Orders already made keep their prices.
func (s *Service) PatchTicketType(ctx context.Context, ticketTypeID string, u TicketTypeUpdate) (*TicketType, error) {
	var out *TicketType
	err := s.write(ctx, func(tx *db.Tx) error {
		var t TicketType
		err := tx.Get(&t, `SELECT `+ticketTypeColumns+` FROM ticket_types WHERE tenant_id = @tenant AND id = ?`, ticketTypeID)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.NotFound, "no ticket type %q", ticketTypeID)
		}
		if err != nil {
			return err
		}
		// Holds of the event wait while the quota is checked against them
		// (PostgreSQL; SQLite's single writer runs one write at a time).
		if err := lockEvent(tx, t.EventID, true); err != nil {
			return err
		}
		e, err := s.EventTx(tx, t.EventID)
		if err != nil {
			return err
		}
		if e.Status != StatusDraft && e.Status != StatusPublished && e.Status != StatusSalesClosed {
			return fault.New(fault.InvalidTransition, "a %s event's ticket types can no longer be changed", e.Status)
		}
		in := TicketTypeInput{Name: t.Name, Price: t.Price, Currency: t.Currency, Quota: t.Quota, SalesStart: t.SalesStart, SalesEnd: t.SalesEnd,
			Perks: t.Perks, RequiresVerification: t.RequiresVerification, MinPerOrder: t.MinPerOrder, MaxPerOrder: t.MaxPerOrder}
		if u.Name != nil {
			in.Name = *u.Name
		}
		if u.Price != nil {
			in.Price = *u.Price
		}
		if u.Quota != nil {
			in.Quota = *u.Quota
		}
		var c fault.Check
		c.Add(u.RemoveSalesStart && u.SalesStart != nil, "remove_sales_start", "cannot be combined with sales_start")
		c.Add(u.RemoveSalesEnd && u.SalesEnd != nil, "remove_sales_end", "cannot be combined with sales_end")
		if err := c.Err(); err != nil {
			return err
		}
		switch {
		case u.SalesStart != nil:
			in.SalesStart = u.SalesStart
		case u.RemoveSalesStart:
			in.SalesStart = nil
		}
		switch {
		case u.SalesEnd != nil:
			in.SalesEnd = u.SalesEnd
		case u.RemoveSalesEnd:
			in.SalesEnd = nil
		}
		if u.Perks != nil {
			in.Perks = *u.Perks
		}
		if u.RequiresVerification != nil {
			in.RequiresVerification = *u.RequiresVerification
		}
		if u.MinPerOrder != nil {
			in.MinPerOrder = *u.MinPerOrder
		}
		if u.MaxPerOrder != nil {
			in.MaxPerOrder = *u.MaxPerOrder
		}
		if err := in.Validate(); err != nil {
			return err
		}
		now := s.now()
		if in.Quota != t.Quota {
			var others int
			if err := tx.Get(&others, `SELECT COALESCE(SUM(quota), 0) FROM ticket_types WHERE tenant_id = @tenant AND event_id = ? AND id <> ?`, e.ID, t.ID); err != nil {
				return err
			}
			if others+in.Quota > e.Capacity {
				return fault.Field("quota", "the quotas of the event's ticket types would exceed its capacity")
			}
			taken, err := s.taken(tx, e.ID, now)
			if err != nil {
				return err
			}
			if used := taken.TicketTypes[t.ID]; in.Quota < used.Held+used.Sold {
				return fault.Field("quota", fmt.Sprintf("must be at least what is held and sold now (%d)", used.Held+used.Sold))
			}
		}
		t.Name, t.Price, t.Quota, t.SalesStart, t.SalesEnd = strings.TrimSpace(in.Name), in.Price, in.Quota, utcPtr(in.SalesStart), utcPtr(in.SalesEnd)
		t.Perks, t.RequiresVerification, t.MinPerOrder, t.MaxPerOrder, t.UpdatedAt = strings.TrimSpace(in.Perks), in.RequiresVerification, in.MinPerOrder, in.MaxPerOrder, now
		if err := tx.ExecOne(`UPDATE ticket_types SET name = ?, price = ?, quota = ?, sales_start = ?, sales_end = ?, perks = ?,
			requires_verification = ?, min_per_order = ?, max_per_order = ?, updated_at = ? WHERE tenant_id = @tenant AND id = ?`,
			t.Name, t.Price, t.Quota, t.SalesStart, t.SalesEnd, t.Perks, t.RequiresVerification, t.MinPerOrder, t.MaxPerOrder, t.UpdatedAt, t.ID); err != nil {
			return err
		}
		taken, err := s.taken(tx, e.ID, now)
		if err != nil {
			return err
		}
		t.fill(taken.TicketTypes[t.ID])
		out = &t
		return nil
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, out.ID)
	return out, nil
}
