// Package order owns orders: holding ticket quantities and seats for a few
// minutes, paying with the points wallet or by a manual transfer that staff
// mark, staff verification for ticket types that need a proof, issuing
// tickets through the ticket domain, cancelling with refunds, and the
// organizer's lists, exports and imports.
//
// A hold is one order row in status "held" with an expiry. What a ticket
// type has taken is a counter on the ticket type (event.TakeQuota): a hold
// adds to it with one conditional write that fails when the quota has no
// room, so no read-then-write race can oversell, on one node or many. An
// expired hold is free the moment it expires without a sweeper: when a take
// fails, the holder first gives back the quantities of the event's expired
// holds (marking each order hold_released, a conditional write too, so two
// writers never give one back twice) and tries again. Payment refuses a
// hold that expired or was given back with a conditional write of its own.
// Seats are held the same way, one conditional write per seat (package seat).
package order

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/seat"
	"github.com/usher-events/usher/internal/wallet"
)

// Prefix starts every order id.
const Prefix = "ord"

// Statuses of an order as stored. An order that is held past its expiry is
// shown as StatusExpired; it is never stored so, because nothing has to run
// for it to expire.
const (
	StatusHeld                = "held"
	StatusPendingVerification = "pending_verification"
	StatusPaid                = "paid"
	StatusCancelled           = "cancelled"
	StatusRejected            = "rejected"
	StatusExpired             = "expired"
)

// Payment methods.
const (
	MethodWallet = "wallet"
	MethodManual = "manual"
	// MethodImport marks orders created by an attendee import.
	MethodImport = "import"
)

// TicketIssuer is what the order domain needs from the ticket domain. Both
// methods run in the order's transaction, so a payment and its tickets, or
// a cancellation and its revocations, commit together.
type TicketIssuer interface {
	// Issue creates one ticket per attendee in tx and returns them with their codes.
	Issue(tx *db.Tx, in IssueRequest) ([]IssuedTicket, error)
	// RevokeOrder puts the order's tickets on the event's revocation list in tx.
	RevokeOrder(tx *db.Tx, orderID string) error
}

// IssueRequest asks for the tickets of a paid order.
type IssueRequest struct {
	OrderID, EventID           string
	Items                      []IssueItem
	EventStartsAt, EventEndsAt time.Time
}

// IssueItem is one attendee's ticket to issue.
type IssueItem struct{ TicketTypeID, AttendeeName, AttendeeEmail string }

// IssuedTicket is a ticket the ticket domain made.
type IssuedTicket struct{ ID, Code, TicketTypeID string }

// Buyer is who places an order and receives its messages.
type Buyer struct {
	Name  string `json:"name" minLength:"1" maxLength:"200"`
	Email string `json:"email" format:"email" maxLength:"254"`
	Phone string `json:"phone,omitempty" maxLength:"40"`
}

// Item is a quantity of one ticket type in an order.
type Item struct {
	TicketTypeID string `json:"ticket_type_id" db:"ticket_type_id"`
	Quantity     int    `json:"quantity" db:"quantity"`
	UnitPrice    int64  `json:"unit_price" db:"unit_price"`
}

// Attendee is the person one ticket of the order is for.
type Attendee struct {
	TicketTypeID string `json:"ticket_type_id"`
	Name         string `json:"name"`
	Email        string `json:"email,omitempty"`
}

// Ticket is a ticket issued for an order.
type Ticket struct {
	ID            string     `json:"id" db:"ticket_id"`
	Code          string     `json:"code" db:"code" doc:"The exact text the ticket's QR encodes; empty in the buyer's public answers once the ticket is revoked."`
	TicketTypeID  string     `json:"ticket_type_id" db:"ticket_type_id"`
	AttendeeName  string     `json:"attendee_name" db:"attendee_name"`
	AttendeeEmail string     `json:"attendee_email,omitempty" db:"attendee_email"`
	IssuedAt      time.Time  `json:"issued_at" db:"issued_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty" db:"revoked_at"`
}

// Order is a buyer's order for an event.
type Order struct {
	ID            string                `json:"id"`
	EventID       string                `json:"event_id"`
	CustomerID    *string               `json:"customer_id,omitempty"`
	Status        string                `json:"status" enum:"held,pending_verification,paid,cancelled,rejected,expired"`
	Buyer         Buyer                 `json:"buyer"`
	Locale        string                `json:"locale"`
	Total         int64                 `json:"total"`
	Currency      string                `json:"currency"`
	ExpiresAt     *time.Time            `json:"expires_at,omitempty" doc:"Until when a held order keeps its tickets."`
	Items         []Item                `json:"items"`
	SeatIDs       []string              `json:"seat_ids" doc:"The seats the order holds or bought."`
	Attendees     []Attendee            `json:"attendees"`
	Sessions      []string              `json:"sessions"`
	Answers       map[string]any        `json:"answers"`
	Consents      []event.ConsentRecord `json:"consents"`
	PaymentMethod *string               `json:"payment_method,omitempty" enum:"wallet,manual,import"`
	PaidAt        *time.Time            `json:"paid_at,omitempty"`
	CancelledAt   *time.Time            `json:"cancelled_at,omitempty"`
	Tickets       []Ticket              `json:"tickets"`
	Proof         *Proof                `json:"proof,omitempty" doc:"The buyer's proof for a ticket type that requires verification, once sent."`
	CreatedAt     time.Time             `json:"created_at"`
	UpdatedAt     time.Time             `json:"updated_at"`
}

// row is an order as stored.
type row struct {
	ID            string     `db:"id"`
	EventID       string     `db:"event_id"`
	CustomerID    *string    `db:"customer_id"`
	Status        string     `db:"status"`
	BuyerName     string     `db:"buyer_name"`
	BuyerEmail    string     `db:"buyer_email"`
	BuyerPhone    string     `db:"buyer_phone"`
	Locale        string     `db:"locale"`
	Total         int64      `db:"total"`
	Currency      string     `db:"currency"`
	ExpiresAt     *time.Time `db:"expires_at"`
	HoldReleased  bool       `db:"hold_released"`
	Answers       string     `db:"answers"`
	Attendees     string     `db:"attendees"`
	PaymentMethod *string    `db:"payment_method"`
	PaidAt        *time.Time `db:"paid_at"`
	CancelledAt   *time.Time `db:"cancelled_at"`
	CreatedAt     time.Time  `db:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at"`
}

const rowColumns = `id, event_id, customer_id, status, buyer_name, buyer_email, buyer_phone, locale, total, currency,
	expires_at, hold_released, answers, attendees, payment_method, paid_at, cancelled_at, created_at, updated_at`

// expired reports whether a held order's hold has run out at now.
func (r *row) expired(now time.Time) bool {
	return r.Status == StatusHeld && r.ExpiresAt != nil && !now.Before(*r.ExpiresAt)
}

// order turns a row into the API's order, with its effective status.
func (r *row) order(now time.Time) *Order {
	o := r.shell(now)
	json.Unmarshal([]byte(r.Answers), &o.Answers)
	json.Unmarshal([]byte(r.Attendees), &o.Attendees)
	return o
}

// fresh is order for a row being written, whose answers and attendees are
// at hand and need not be read back from their JSON.
func (r *row) fresh(now time.Time, answers map[string]any, attendees []Attendee) *Order {
	o := r.shell(now)
	if answers != nil {
		o.Answers = answers
	}
	if attendees != nil {
		o.Attendees = attendees
	}
	return o
}

// shell is the order of a row without its answers and attendees.
func (r *row) shell(now time.Time) *Order {
	o := &Order{
		ID: r.ID, EventID: r.EventID, CustomerID: r.CustomerID, Status: r.Status,
		Buyer: Buyer{Name: r.BuyerName, Email: r.BuyerEmail, Phone: r.BuyerPhone}, Locale: r.Locale,
		Total: r.Total, Currency: r.Currency, ExpiresAt: r.ExpiresAt, PaymentMethod: r.PaymentMethod,
		PaidAt: r.PaidAt, CancelledAt: r.CancelledAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Items: []Item{}, SeatIDs: []string{}, Sessions: []string{}, Consents: []event.ConsentRecord{}, Tickets: []Ticket{},
		Answers: map[string]any{}, Attendees: []Attendee{},
	}
	if r.expired(now) {
		o.Status = StatusExpired
	}
	return o
}

// Deps are what the order service needs.
type Deps struct {
	DB      *db.DB
	Events  *event.Service
	Wallets *wallet.Service
	// Tickets issues and revokes tickets; without it orders cannot be paid.
	Tickets TicketIssuer
	Now     func() time.Time
}

// Service holds the order domain's rules.
type Service struct {
	db      *db.DB
	events  *event.Service
	wallets *wallet.Service
	tickets TicketIssuer
	queue   QueueGate
	seats   *seat.Service
	now     func() time.Time
	// holding bounds the hold transactions this node runs at once per
	// event on PostgreSQL (nil on SQLite, whose single writer queues them
	// anyway); see holdSlots.
	holding *[holdStripes]chan struct{}
	// groups gathers the quantity holds of an event into one transaction
	// on PostgreSQL (nil on SQLite); see group.go.
	groups *groups
}

// UseSeats connects the seat domain, so that orders can hold seats.
func (s *Service) UseSeats(seats *seat.Service) { s.seats = seats }

// QueueGate is the waiting room in front of orders.
type QueueGate interface {
	// CheckActive refuses an order unless the token is active for the
	// event (when its waiting room is on).
	CheckActive(ctx context.Context, eventID, token string) error
	// Complete frees the token's slot once its purchase is paid.
	Complete(ctx context.Context, token string) error
}

// UseQueue puts the waiting room in front of orders.
func (s *Service) UseQueue(q QueueGate) { s.queue = q }

// NewService returns the order service.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	s := &Service{db: d.DB, events: d.Events, wallets: d.Wallets, tickets: d.Tickets, now: d.Now}
	if d.DB.Dialect() == db.Postgres {
		s.groups = &groups{m: map[string]*group{}}
		s.holding = new([holdStripes]chan struct{})
		for i := range s.holding {
			s.holding[i] = make(chan struct{}, holdSlots)
		}
	}
	return s
}

// holdSlots is how many hold transactions of one event a node runs at once
// on PostgreSQL. Holds on one ticket type meet at its counter row, whose
// lock each keeps until its commit; every waiter beyond a few only adds to
// the crowd that wakes, re-checks and waits again at each release (with 64
// concurrent buyers on one node: 421 holds/s and p99 506 ms unbounded,
// 1,384 holds/s and p99 57 ms with 4 slots; 1, 2, 8 and 16 were slower).
// The others wait in this node's queue instead, first come first served.
// Events are spread over holdStripes queues by a hash of their id.
const (
	holdSlots   = 4
	holdStripes = 64
)

// holdSlot waits for a hold slot of eventID's stripe on PostgreSQL and
// returns its release (a no-op on SQLite).
func (s *Service) holdSlot(ctx context.Context, eventID string) (func(), error) {
	if s.holding == nil {
		return func() {}, nil
	}
	h := fnv.New32a()
	h.Write([]byte(eventID))
	slots := s.holding[h.Sum32()%holdStripes]
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// UseTickets connects the ticket domain after construction, for wiring that
// builds the ticket service later.
func (s *Service) UseTickets(t TicketIssuer) { s.tickets = t }
