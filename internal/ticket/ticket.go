// Package ticket owns tickets: the signed codes their QR carries (verifiable
// offline with an event's public keys), the per-event Ed25519 keys, the
// revocation list gates sync, and the ticket as a QR image, a PDF and a
// calendar file.
package ticket

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/font"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/outbox"
)

// Statuses of a ticket.
const (
	StatusValid   = "valid"
	StatusRevoked = "revoked"
)

// Domain events this package records in the outbox.
const (
	KindIssued  = "ticket.issued"
	KindRevoked = "ticket.revoked"
)

// Ticket is one person's right to enter one event.
type Ticket struct {
	ID            string     `json:"id" db:"id"`
	OrderID       string     `json:"order_id" db:"order_id"`
	EventID       string     `json:"event_id" db:"event_id"`
	TicketTypeID  string     `json:"ticket_type_id" db:"ticket_type_id"`
	AttendeeName  string     `json:"attendee_name" db:"attendee_name"`
	AttendeeEmail string     `json:"attendee_email" db:"attendee_email"`
	Seat          string     `json:"seat,omitempty" db:"seat" doc:"Seat label, when the ticket has a seat."`
	Code          string     `json:"code" db:"code" doc:"The text the QR encodes and a scanner sends."`
	KID           string     `json:"kid" db:"kid"`
	Status        string     `json:"status" db:"status" enum:"valid,revoked"`
	NotBefore     time.Time  `json:"not_before" db:"not_before"`
	NotAfter      time.Time  `json:"not_after" db:"not_after"`
	IssuedAt      time.Time  `json:"issued_at" db:"issued_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty" db:"revoked_at"`
}

// IssueRequest asks for the tickets of a paid order. It mirrors the order
// package's type field for field, so the wiring converts one to the other.
type IssueRequest struct {
	OrderID       string
	EventID       string
	Items         []IssueItem
	EventStartsAt time.Time
	EventEndsAt   time.Time
}

// IssueItem is one attendee's ticket in an IssueRequest.
type IssueItem struct {
	TicketTypeID  string
	AttendeeName  string
	AttendeeEmail string
}

// IssuedTicket is what Issue returns for each item, in order.
type IssuedTicket struct {
	ID           string
	Code         string
	TicketTypeID string
}

// EventInfo is what a ticket shows of its event and ticket type.
type EventInfo struct {
	Name           string
	Venue          string
	Timezone       string
	StartsAt       time.Time
	EndsAt         time.Time
	TicketTypeName string
}

// Catalog looks up events for tickets; the event domain provides it. An
// empty ticketTypeID asks only for the event (TicketTypeName stays empty).
// An event the tenant of ctx does not have is a fault.NotFound.
type Catalog interface {
	TicketEvent(ctx context.Context, eventID, ticketTypeID string) (EventInfo, error)
}

// Config tunes the ticket service.
type Config struct {
	// FontPath is NanumGothic.ttf (Debian's fonts-nanum) for PDF tickets;
	// empty searches the usual places.
	FontPath string
	// ValidBefore is how long before the event's start a code is valid
	// (default one day), ValidAfter how long after its end (default one day).
	ValidBefore, ValidAfter time.Duration
}

// Service holds the ticket domain's rules.
type Service struct {
	cfg    Config
	db     *db.DB
	events Catalog
	now    func() time.Time
	log    *slog.Logger
	fonts  *font.Korean
}

// NewService returns the ticket service.
func NewService(cfg Config, conn *db.DB, events Catalog, now func() time.Time, log *slog.Logger) *Service {
	if cfg.ValidBefore <= 0 {
		cfg.ValidBefore = 24 * time.Hour
	}
	if cfg.ValidAfter <= 0 {
		cfg.ValidAfter = 24 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, db: conn, events: events, now: now, log: log, fonts: font.NewKorean(cfg.FontPath)}
}

// Issue makes one ticket per item inside the caller's transaction, which is
// scoped to the order's tenant. It only reads and writes the database (and
// signs, which is microseconds), because on SQLite the transaction shares a
// commit with other writers.
func (s *Service) Issue(tx *db.Tx, in IssueRequest) ([]IssuedTicket, error) {
	if tx.Tenant() == "" {
		return nil, fault.New(fault.Internal, "ticket: Issue needs a tenant-scoped transaction")
	}
	if len(in.Items) == 0 {
		return nil, nil
	}
	if !in.EventEndsAt.After(in.EventStartsAt) {
		return nil, fault.New(fault.Validation, "event ends before it starts")
	}
	now := s.now()
	key, err := s.activeKey(tx, in.EventID, now)
	if err != nil {
		return nil, err
	}
	priv, err := key.privateKey(s.db)
	if err != nil {
		return nil, err
	}
	// Whole seconds: the code carries Unix seconds, and the row must say
	// exactly what the code says.
	nb := in.EventStartsAt.Add(-s.cfg.ValidBefore).UTC().Truncate(time.Second)
	na := in.EventEndsAt.Add(s.cfg.ValidAfter).UTC().Truncate(time.Second)
	out := make([]IssuedTicket, 0, len(in.Items))
	for _, it := range in.Items {
		t := Ticket{
			ID: id.New(ticketIDPre), OrderID: in.OrderID, EventID: in.EventID, TicketTypeID: it.TicketTypeID,
			AttendeeName: strings.TrimSpace(it.AttendeeName), AttendeeEmail: strings.TrimSpace(it.AttendeeEmail),
			KID: key.KID, Status: StatusValid, NotBefore: nb, NotAfter: na, IssuedAt: now,
		}
		t.Code, err = encode(Claims{KID: key.KID, TicketID: t.ID, EventID: t.EventID, TicketTypeID: t.TicketTypeID, NotBefore: nb, NotAfter: na}, priv)
		if err != nil {
			return nil, fault.Wrap(err, fault.Internal, "cannot sign ticket")
		}
		_, err = tx.Exec(`INSERT INTO tickets (tenant_id, id, order_id, event_id, ticket_type_id, attendee_name, attendee_email, seat,
				code, kid, status, not_before, not_after, issued_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.OrderID, t.EventID, t.TicketTypeID, t.AttendeeName, t.AttendeeEmail, t.Seat,
			t.Code, t.KID, t.Status, t.NotBefore, t.NotAfter, t.IssuedAt)
		if err != nil {
			return nil, err
		}
		// No code and no personal data in the payload: the outbox feeds
		// webhooks, and a code is an entry credential.
		if _, err := outbox.Emit(tx, KindIssued, t.ID, map[string]string{
			"ticket_id": t.ID, "order_id": t.OrderID, "event_id": t.EventID, "ticket_type_id": t.TicketTypeID,
		}, now); err != nil {
			return nil, err
		}
		out = append(out, IssuedTicket{ID: t.ID, Code: t.Code, TicketTypeID: t.TicketTypeID})
	}
	return out, nil
}

// RevokeOrder revokes every valid ticket of the order inside the caller's
// transaction and records ticket.revoked for each. Revoking twice is a no-op.
func (s *Service) RevokeOrder(tx *db.Tx, orderID string) error {
	var ids []struct {
		ID      string `db:"id"`
		EventID string `db:"event_id"`
	}
	if err := tx.Select(&ids, `SELECT id, event_id FROM tickets WHERE tenant_id = @tenant AND order_id = ? AND status = 'valid' ORDER BY id`, orderID); err != nil {
		return err
	}
	now := s.now()
	for _, t := range ids {
		if _, err := tx.Exec(`UPDATE tickets SET status = 'revoked', revoked_at = ? WHERE tenant_id = @tenant AND id = ? AND status = 'valid'`, now, t.ID); err != nil {
			return err
		}
		if _, err := outbox.Emit(tx, KindRevoked, t.ID, map[string]any{
			"ticket_id": t.ID, "order_id": orderID, "event_id": t.EventID, "revoked_at": now,
		}, now); err != nil {
			return err
		}
	}
	return nil
}

const columns = `id, order_id, event_id, ticket_type_id, attendee_name, attendee_email, seat, code, kid, status,
	not_before, not_after, issued_at, revoked_at`

// Get returns one ticket of the tenant of ctx.
func (s *Service) Get(ctx context.Context, ticketID string) (*Ticket, error) {
	var t Ticket
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&t, `SELECT `+columns+` FROM tickets WHERE tenant_id = @tenant AND id = ?`, ticketID)
	})
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no ticket %q", ticketID)
	}
	if err != nil {
		return nil, err
	}
	t.utc()
	return &t, nil
}

// ListByOrder returns the order's tickets in issue order, for the tenant of
// ctx (messages attach them; "my tickets" shows them).
func (s *Service) ListByOrder(ctx context.Context, orderID string) ([]Ticket, error) {
	var ts []Ticket
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&ts, `SELECT `+columns+` FROM tickets WHERE tenant_id = @tenant AND order_id = ? ORDER BY id`, orderID)
	})
	for i := range ts {
		ts[i].utc()
	}
	return ts, err
}

// utc normalizes times read back from either database.
func (t *Ticket) utc() {
	t.NotBefore, t.NotAfter, t.IssuedAt = t.NotBefore.UTC(), t.NotAfter.UTC(), t.IssuedAt.UTC()
	if t.RevokedAt != nil {
		r := t.RevokedAt.UTC()
		t.RevokedAt = &r
	}
}

// resolve finds a public ticket's owner and returns ctx scoped to it: the
// ticket id is unguessable, so knowing it is the permission.
func (s *Service) resolve(ctx context.Context, ticketID string) (context.Context, error) {
	if !id.Valid(ticketID, ticketIDPre) {
		return nil, fault.New(fault.NotFound, "no ticket %q", ticketID)
	}
	var tenant string
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Get(&tenant, `SELECT tenant_id FROM tickets WHERE id = ?`, ticketID)
	})
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no ticket %q", ticketID)
	}
	if err != nil {
		return nil, err
	}
	return db.WithTenant(ctx, tenant), nil
}
