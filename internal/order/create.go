package order

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/outbox"
)

// ItemInput asks for a quantity of one ticket type.
type ItemInput struct {
	TicketTypeID string `json:"ticket_type_id" minLength:"1" maxLength:"100"`
	Quantity     int    `json:"quantity" minimum:"1" maximum:"100"`
	// Attendees name the people the tickets are for; tickets without one
	// are in the buyer's name.
	Attendees []AttendeeInput `json:"attendees,omitempty" maxItems:"100"`
}

// AttendeeInput names the person one ticket is for.
type AttendeeInput struct {
	Name  string `json:"name" minLength:"1" maxLength:"200"`
	Email string `json:"email,omitempty" maxLength:"254"`
}

// CreateInput is a new order.
type CreateInput struct {
	CustomerID string      `json:"customer_id,omitempty" maxLength:"100" doc:"The customer whose wallet may pay."`
	Buyer      Buyer       `json:"buyer"`
	Items      []ItemInput `json:"items" minItems:"1" maxItems:"20"`
	// Answers to the event's registration form, by field key.
	Answers map[string]any `json:"answers,omitempty"`
	// Sessions are the ids of the sessions chosen; each takes one seat per
	// ticket of the order.
	Sessions []string `json:"sessions,omitempty" maxItems:"50"`
	// Consents say, by key, which of the form's consents were given.
	Consents map[string]bool `json:"consents,omitempty"`
	Locale   string          `json:"locale,omitempty" enum:"ko,en" doc:"Language of the buyer's messages; default ko."`
	// QueueToken is the buyer's active waiting-room token, required while
	// the event's waiting room is on.
	QueueToken string `json:"queue_token,omitempty" maxLength:"200"`
}

// validate checks what can be checked without the database.
func (in *CreateInput) validate() error {
	var c fault.Check
	in.Buyer.Name = strings.TrimSpace(in.Buyer.Name)
	in.Buyer.Email = strings.ToLower(strings.TrimSpace(in.Buyer.Email))
	in.Buyer.Phone = strings.TrimSpace(in.Buyer.Phone)
	c.Add(in.Buyer.Name == "", "buyer.name", "must not be empty")
	a, err := mail.ParseAddress(in.Buyer.Email)
	c.Add(err != nil || a.Address != in.Buyer.Email, "buyer.email", "must be an email address")
	c.Add(len(in.Items) == 0, "items", "must name at least one ticket type")
	seen := map[string]bool{}
	for i, it := range in.Items {
		f := fmt.Sprintf("items[%d]", i)
		c.Add(seen[it.TicketTypeID], f+".ticket_type_id", "each ticket type may appear once")
		seen[it.TicketTypeID] = true
		c.Add(it.Quantity < 1 || it.Quantity > 100, f+".quantity", "must be between 1 and 100")
		c.Add(len(it.Attendees) > it.Quantity, f+".attendees", "names more attendees than the quantity")
		for j, at := range it.Attendees {
			c.Add(strings.TrimSpace(at.Name) == "", fmt.Sprintf("%s.attendees[%d].name", f, j), "must not be empty")
			if at.Email != "" {
				a, err := mail.ParseAddress(at.Email)
				c.Add(err != nil || a.Address != at.Email, fmt.Sprintf("%s.attendees[%d].email", f, j), "must be an email address")
			}
		}
	}
	c.Add(len(slices.Compact(slices.Sorted(slices.Values(in.Sessions)))) != len(in.Sessions), "sessions", "each session may appear once")
	if in.Locale == "" {
		in.Locale = "ko"
	}
	c.Add(in.Locale != "ko" && in.Locale != "en", "locale", "must be ko or en")
	return c.Err()
}

// Create holds the order's tickets: 201 with status held and an expiry, or
// pending_verification when a ticket type needs staff to check a proof.
// sold_out when a quota cannot cover it; session_full when a chosen
// session cannot.
func (s *Service) Create(ctx context.Context, eventID string, in CreateInput) (*Order, error) {
	if s.queue != nil {
		// Ownership first, so another tenant's event stays a 404 and says
		// nothing about its waiting room.
		if _, err := s.events.Get(ctx, eventID); err != nil {
			return nil, err
		}
		if err := s.queue.CheckActive(ctx, eventID, in.QueueToken); err != nil {
			return nil, err
		}
	}
	var out *Order
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.create(tx, eventID, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, out.ID)
	return out, nil
}

func (s *Service) create(tx *db.Tx, eventID string, in CreateInput) (*Order, error) {
	// The event first: another tenant's event is a 404 before anything
	// about the body is said.
	if _, err := s.events.EventTx(tx, eventID); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	typeIDs := make([]string, len(in.Items))
	for i, it := range in.Items {
		typeIDs[i] = it.TicketTypeID
	}
	sale, err := s.events.LockForSale(tx, eventID, typeIDs, in.Sessions)
	if err != nil {
		return nil, err
	}
	switch sale.Event.Status {
	case event.StatusPublished:
	case event.StatusDraft:
		return nil, fault.New(fault.EventNotPublished, "the event is not published yet")
	default:
		return nil, fault.New(fault.SalesNotOpen, "the event's sales are %s", strings.ReplaceAll(sale.Event.Status, "_", " "))
	}
	var customerID *string
	if in.CustomerID != "" {
		c, err := s.wallets.CustomerTx(tx, in.CustomerID)
		if err != nil {
			return nil, err
		}
		customerID = &c.ID
	}
	// Taken after the locks, so that the expiry of other holds is judged
	// by the same clock as everything this writer sees.
	now := s.now()
	o := &row{
		ID: id.New(Prefix), EventID: sale.Event.ID, CustomerID: customerID, Status: StatusHeld,
		BuyerName: in.Buyer.Name, BuyerEmail: in.Buyer.Email, BuyerPhone: in.Buyer.Phone, Locale: in.Locale,
		CreatedAt: now, UpdatedAt: now,
	}
	var c fault.Check
	var attendees []Attendee
	count := 0
	for i, it := range in.Items {
		t := sale.TicketTypes[it.TicketTypeID]
		if !t.OnSale(now) {
			return nil, fault.New(fault.SalesNotOpen, "%s is not on sale now", t.Name)
		}
		f := fmt.Sprintf("items[%d].quantity", i)
		c.Add(it.Quantity < t.MinPerOrder, f, fmt.Sprintf("must be at least %d for %s", t.MinPerOrder, t.Name))
		c.Add(it.Quantity > t.MaxPerOrder, f, fmt.Sprintf("must be at most %d for %s", t.MaxPerOrder, t.Name))
		if t.RequiresVerification {
			o.Status = StatusPendingVerification
		}
		o.Total += int64(it.Quantity) * t.Price
		o.Currency = t.Currency
		count += it.Quantity
		for j := range it.Quantity {
			a := Attendee{TicketTypeID: t.ID, Name: o.BuyerName, Email: o.BuyerEmail}
			if j < len(it.Attendees) {
				a.Name, a.Email = strings.TrimSpace(it.Attendees[j].Name), strings.TrimSpace(it.Attendees[j].Email)
			}
			attendees = append(attendees, a)
		}
	}
	answers, consents, formErr := sale.Form.Check(in.Answers, map[string]string{"name": o.BuyerName, "email": o.BuyerEmail, "phone": o.BuyerPhone}, in.Consents)
	if err := c.Err(); err != nil {
		return nil, err
	}
	if formErr != nil {
		return nil, formErr
	}
	for i, a := range in.Sessions {
		for _, b := range in.Sessions[i+1:] {
			if sale.Sessions[a].Overlaps(sale.Sessions[b]) {
				return nil, fault.Field("sessions", fmt.Sprintf("%s and %s run at the same time", sale.Sessions[a].Name, sale.Sessions[b].Name))
			}
		}
	}
	for _, it := range in.Items {
		t := sale.TicketTypes[it.TicketTypeID]
		used, err := s.usedTicketType(tx, t.ID, now)
		if err != nil {
			return nil, err
		}
		if t.Quota-used < it.Quantity {
			return nil, &fault.Error{Code: fault.SoldOut, Message: fmt.Sprintf("%s has %d left", t.Name, max(0, t.Quota-used))}
		}
	}
	for _, sid := range in.Sessions {
		ss := sale.Sessions[sid]
		used, err := s.usedSession(tx, sid, now)
		if err != nil {
			return nil, err
		}
		if ss.Capacity-used < count {
			return nil, fault.New(fault.SessionFull, "%s has %d seats left", ss.Name, max(0, ss.Capacity-used))
		}
	}
	if o.Status == StatusHeld {
		exp := now.Add(sale.Event.HoldTTL())
		o.ExpiresAt = &exp
	}
	ab, _ := json.Marshal(answers)
	atb, _ := json.Marshal(attendees)
	o.Answers, o.Attendees = string(ab), string(atb)
	if _, err := tx.Exec(`INSERT INTO orders (tenant_id, id, event_id, customer_id, status, buyer_name, buyer_email, buyer_phone, locale,
		total, currency, expires_at, answers, attendees, source, created_at, updated_at, queue_token)
		VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'api', ?, ?, ?)`,
		o.ID, o.EventID, o.CustomerID, o.Status, o.BuyerName, o.BuyerEmail, o.BuyerPhone, o.Locale,
		o.Total, o.Currency, o.ExpiresAt, o.Answers, o.Attendees, o.CreatedAt, o.UpdatedAt, in.QueueToken); err != nil {
		return nil, err
	}
	for _, it := range in.Items {
		if _, err := tx.Exec(`INSERT INTO order_items (tenant_id, order_id, ticket_type_id, quantity, unit_price) VALUES (@tenant, ?, ?, ?, ?)`,
			o.ID, it.TicketTypeID, it.Quantity, sale.TicketTypes[it.TicketTypeID].Price); err != nil {
			return nil, err
		}
	}
	for _, sid := range in.Sessions {
		if _, err := tx.Exec(`INSERT INTO order_sessions (tenant_id, order_id, session_id, quantity) VALUES (@tenant, ?, ?, ?)`, o.ID, sid, count); err != nil {
			return nil, err
		}
	}
	for _, cr := range consents {
		if _, err := tx.Exec(`INSERT INTO order_consents (tenant_id, order_id, key, version, granted, at) VALUES (@tenant, ?, ?, ?, ?, ?)`,
			o.ID, cr.Key, cr.Version, cr.Granted, now); err != nil {
			return nil, err
		}
	}
	if _, err := outbox.Emit(tx, "order.created", o.ID, map[string]any{
		"order_id": o.ID, "event_id": o.EventID, "status": o.Status, "expires_at": o.ExpiresAt,
		"total": o.Total, "currency": o.Currency, "locale": o.Locale,
		"buyer": map[string]string{"name": o.BuyerName, "email": o.BuyerEmail, "phone": o.BuyerPhone},
	}, now); err != nil {
		return nil, err
	}
	return s.load(tx, o, now)
}

// live is the condition under which an order takes quota: paid, waiting
// for verification, or held and not yet expired. Its one argument is now.
const live = `(o.status IN ('paid', 'pending_verification') OR (o.status = 'held' AND o.expires_at > ?))`

func (s *Service) usedTicketType(tx *db.Tx, ticketTypeID string, now time.Time) (int, error) {
	var n int
	err := tx.Get(&n, `SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
		WHERE i.tenant_id = @tenant AND i.ticket_type_id = ? AND `+live, ticketTypeID, now)
	return n, err
}

func (s *Service) usedSession(tx *db.Tx, sessionID string, now time.Time) (int, error) {
	var n int
	err := tx.Get(&n, `SELECT COALESCE(SUM(x.quantity), 0) FROM order_sessions x JOIN orders o ON o.id = x.order_id
		WHERE x.tenant_id = @tenant AND x.session_id = ? AND `+live, sessionID, now)
	return n, err
}

// Taken reports, for the event domain, what is held and sold of each of an
// event's ticket types and how many seats of each session are taken.
func (s *Service) Taken(tx *db.Tx, eventID string, now time.Time) (event.Taken, error) {
	out := event.Taken{TicketTypes: map[string]event.Usage{}, Sessions: map[string]int{}}
	var rows []struct {
		TicketTypeID string `db:"ticket_type_id"`
		Sold         int    `db:"sold"`
		Held         int    `db:"held"`
	}
	if err := tx.Select(&rows, `SELECT i.ticket_type_id,
			COALESCE(SUM(CASE WHEN o.status = 'paid' THEN i.quantity ELSE 0 END), 0) AS sold,
			COALESCE(SUM(CASE WHEN o.status = 'paid' THEN 0 ELSE i.quantity END), 0) AS held
		FROM order_items i JOIN orders o ON o.id = i.order_id
		WHERE o.tenant_id = @tenant AND o.event_id = ? AND `+live+` GROUP BY i.ticket_type_id`, eventID, now); err != nil {
		return out, err
	}
	for _, r := range rows {
		out.TicketTypes[r.TicketTypeID] = event.Usage{Held: r.Held, Sold: r.Sold}
	}
	var sessions []struct {
		SessionID string `db:"session_id"`
		Taken     int    `db:"taken"`
	}
	if err := tx.Select(&sessions, `SELECT x.session_id, COALESCE(SUM(x.quantity), 0) AS taken
		FROM order_sessions x JOIN orders o ON o.id = x.order_id
		WHERE o.tenant_id = @tenant AND o.event_id = ? AND `+live+` GROUP BY x.session_id`, eventID, now); err != nil {
		return out, err
	}
	for _, r := range sessions {
		out.Sessions[r.SessionID] = r.Taken
	}
	return out, nil
}
