package order

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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
	"github.com/usher-events/usher/internal/phone"
	"github.com/usher-events/usher/internal/seat"
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
	Items      []ItemInput `json:"items,omitempty" maxItems:"20" doc:"Quantities of ticket types; needed unless seat_ids or best_available names seats."`
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
	// SeatIDs are seats to hold, all of them or none; each is one ticket of
	// the seat's ticket type.
	SeatIDs []string `json:"seat_ids,omitempty" maxItems:"20"`
	// BestAvailable asks the server to pick the best adjacent seats.
	BestAvailable *BestAvailableInput `json:"best_available,omitempty"`

	// accessHash is the hash of the key that opens the order's public page
	// (orders made on the public pages).
	accessHash string
}

// BestAvailableInput asks for count adjacent seats in one row, in the best
// section with room (seat-map order: sections and rows as first created).
type BestAvailableInput struct {
	TicketTypeID string `json:"ticket_type_id,omitempty" maxLength:"100" doc:"Only seats of this ticket type."`
	Count        int    `json:"count" minimum:"1" maximum:"20"`
}

// validate checks what can be checked without the database.
func (in *CreateInput) validate() error {
	var c fault.Check
	in.Buyer.Name = strings.TrimSpace(in.Buyer.Name)
	in.Buyer.Email = strings.ToLower(strings.TrimSpace(in.Buyer.Email))
	// The phone is optional; when given it is stored in E.164 so that one
	// buyer's spellings of it match everywhere (messages, searches, exports).
	ph, err := phone.NormalizeOptional(in.Buyer.Phone, phone.DefaultRegion)
	c.Add(err != nil, "buyer.phone", phone.Message)
	in.Buyer.Phone = ph
	c.Add(in.Buyer.Name == "", "buyer.name", "must not be empty")
	a, err := mail.ParseAddress(in.Buyer.Email)
	c.Add(err != nil || a.Address != in.Buyer.Email, "buyer.email", "must be an email address")
	c.Add(len(in.Items) == 0 && len(in.SeatIDs) == 0, "items", "must name at least one ticket type or seat")
	c.Add(len(in.SeatIDs) > 20, "seat_ids", "at most 20 seats per order")
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
// sold_out when a quota cannot cover it; seat_unavailable when a seat is
// someone else's; session_full when a chosen session cannot.
func (s *Service) Create(ctx context.Context, eventID string, in CreateInput) (*Order, error) {
	if s.queue != nil {
		if err := s.queue.CheckActive(ctx, eventID, in.QueueToken); err != nil {
			// Ownership first, so another tenant's event stays a 404 and
			// says nothing about its waiting room. Only refusals pay for
			// this read; admitted buyers go straight to the hold.
			if _, gerr := s.events.Get(ctx, eventID); gerr != nil {
				return nil, gerr
			}
			return nil, err
		}
	}
	if in.BestAvailable != nil {
		return s.createBest(ctx, eventID, in)
	}
	out, err := s.write(ctx, eventID, in)
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, out.ID)
	return out, nil
}

// createBest picks the best adjacent seats from this node's snapshot and
// holds them. When someone else got one of them first, it picks again from
// a fresh read, a few times, before answering seat_unavailable.
func (s *Service) createBest(ctx context.Context, eventID string, in CreateInput) (*Order, error) {
	if s.seats == nil {
		return nil, fault.New(fault.Unavailable, "seat maps are not configured")
	}
	if len(in.SeatIDs) > 0 {
		return nil, fault.Field("best_available", "cannot be combined with seat_ids")
	}
	// Ownership before the seat map says anything.
	if _, err := s.events.Get(ctx, eventID); err != nil {
		return nil, err
	}
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		var best []seat.Seat
		best, err = s.seats.BestAvailable(ctx, eventID, in.BestAvailable.TicketTypeID, in.BestAvailable.Count, attempt > 0)
		if err != nil {
			return nil, err
		}
		try := in
		try.SeatIDs = make([]string, len(best))
		for i, st := range best {
			try.SeatIDs[i] = st.ID
		}
		var out *Order
		out, err = s.write(ctx, eventID, try)
		if err == nil {
			api.SetTarget(ctx, out.ID)
			return out, nil
		}
		if !fault.Is(err, fault.SeatUnavailable) {
			return nil, err
		}
	}
	return nil, err
}

// write runs create in one transaction and, for seats, clears this node's
// seat-map snapshot once the hold is committed. On PostgreSQL, holds
// without sessions join their event's group (see group.go).
func (s *Service) write(ctx context.Context, eventID string, in CreateInput) (*Order, error) {
	if s.groups != nil && groupable(in) {
		return s.joinGroup(ctx, eventID, in)
	}
	return s.writeOne(ctx, eventID, in)
}

// writeOne runs create in a transaction of its own.
func (s *Service) writeOne(ctx context.Context, eventID string, in CreateInput) (*Order, error) {
	// What the order needs from the event is read before the write, from
	// this node's copy when it is current (SQLite), so that the single
	// writer only checks that it still is.
	snap := s.events.Snapshot(ctx, eventID)
	release, err := s.holdSlot(ctx, eventID)
	if err != nil {
		return nil, err
	}
	defer release()
	pre, refused := s.prePlan(snap, eventID, in)
	if refused != nil && s.events.Fresh(snap) {
		// The plan needs nothing but the snapshot, which no change to the
		// event has overtaken: inside the writer it would refuse the same.
		return nil, refused
	}
	var out *Order
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		if pre != nil && s.events.Current(tx, snap) {
			out, err = s.hold(tx, pre)
		} else {
			out, err = s.create(tx, snap, eventID, in)
		}
		return err
	})
	if len(in.SeatIDs) > 0 && s.seats != nil {
		s.seats.Invalidate(eventID)
	}
	return out, err
}

// create holds an order inside tx. The hot path is a handful of statements:
// the event and its ticket types (and form) by primary key, the order's
// inserts, and one conditional write per ticket type (and per seat).
func (s *Service) create(tx *db.Tx, snap *event.Snapshot, eventID string, in CreateInput) (*Order, error) {
	// The event first (inside SaleFor): another tenant's event is a 404
	// before anything about the body is said.
	sale, err := s.events.SaleFor(tx, snap, eventID, in.typeIDs(), in.Sessions)
	if err != nil {
		return nil, err
	}
	d, err := s.plan(tx, sale, in, s.now(), nil)
	if err != nil {
		return nil, err
	}
	return s.hold(tx, d)
}

// hold writes a planned order and takes its quotas: the order is held.
func (s *Service) hold(tx *db.Tx, d *draft) (*Order, error) {
	// On SQLite the quota first: the single writer locks nothing, and a
	// sold-out order is refused before its rows are written and rolled
	// back, which is most of the orders once a flash sale has sold out. On
	// PostgreSQL the quota last: its conditional write locks the ticket
	// type's row until commit, so the lock is held for the commit alone,
	// not for the inserts.
	if tx.Dialect() == db.SQLite {
		if err := s.takeQuotas(tx, d); err != nil {
			return nil, err
		}
		if err := insert(tx, []*draft{d}); err != nil {
			return nil, err
		}
		return d.out, nil
	}
	if err := insert(tx, []*draft{d}); err != nil {
		return nil, err
	}
	if err := s.takeQuotas(tx, d); err != nil {
		return nil, err
	}
	return d.out, nil
}

// takeQuotas takes the tickets of every ticket type the order holds.
func (s *Service) takeQuotas(tx *db.Tx, d *draft) error {
	for _, tid := range d.typeOrder() {
		if err := s.takeQuota(tx, d.sale.Event.ID, d.sale.TicketTypes[tid], d.qty[tid], d.now); err != nil {
			return err
		}
	}
	return nil
}

// prePlan plans and prepares a quantity hold from this node's snapshot of
// the event before the write, so that the single writer only checks that
// the snapshot is still current, inserts and takes the quota (hold). It
// gives nil for orders whose plan reads inside the write (a customer,
// sessions, seats: plan uses its tx for nothing else, so it runs here
// without one) and when there is no snapshot: then create plans it inside
// the write. When the plan refuses the order (sales closed, a limit, a bad
// item) it gives the refusal, which the caller answers at once while the
// snapshot is still fresh, so that refusals cost the writer nothing.
func (s *Service) prePlan(snap *event.Snapshot, eventID string, in CreateInput) (*draft, error) {
	if snap == nil || in.CustomerID != "" || len(in.Sessions) > 0 || len(in.SeatIDs) > 0 {
		return nil, nil
	}
	sale, err := snap.Sale(in.typeIDs(), nil)
	if err != nil || sale.Event.ID != eventID {
		return nil, nil
	}
	d, err := s.plan(nil, sale, in, s.now(), nil)
	if err != nil {
		return nil, err
	}
	d.prepare()
	return d, nil
}

// typeIDs are the ticket types the order's items name.
func (in *CreateInput) typeIDs() []string {
	ids := make([]string, len(in.Items))
	for i, it := range in.Items {
		ids[i] = it.TicketTypeID
	}
	return ids
}

// draft is an order checked against its sale and ready to be written.
type draft struct {
	o         *row
	in        CreateInput
	sale      *event.Sale
	now       time.Time
	qty       map[string]int // per ticket type: items and seats together
	types     []string       // ticket types in first-seen order
	held      []seat.Held
	count     int // tickets in all
	attendees []Attendee
	answers   map[string]any
	consents  []event.ConsentRecord

	// Set by prepare.
	orderArgs, itemArgs, seatArgs []any
	event                         outbox.Subject
	out                           *Order
}

// plan checks an order against its sale and works out what it takes. It
// reads, and writes nothing unless the order names seats: their holds are
// conditional writes made here, so that a seat someone else has is refused
// before anything else is said. With claims (a group of orders), the seats
// are checked against the group's locked seats instead, and nothing is
// written: the caller claims them once the order is planned.
func (s *Service) plan(tx *db.Tx, sale *event.Sale, in CreateInput, now time.Time, claims *seat.Claims) (*draft, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	switch sale.Event.Status {
	case event.StatusPublished:
	case event.StatusDraft:
		return nil, fault.New(fault.EventNotPublished, "the event is not published yet")
	default:
		return nil, fault.New(fault.SalesNotOpen, "%s", salesShut(sale.Event.Status))
	}
	var customerID *string
	if in.CustomerID != "" {
		c, err := s.wallets.CustomerTx(tx, in.CustomerID)
		if err != nil {
			return nil, err
		}
		customerID = &c.ID
	}
	o := &row{
		ID: id.New(Prefix), EventID: sale.Event.ID, CustomerID: customerID, Status: StatusHeld,
		BuyerName: in.Buyer.Name, BuyerEmail: in.Buyer.Email, BuyerPhone: in.Buyer.Phone, Locale: in.Locale,
		CreatedAt: now, UpdatedAt: now,
	}
	d := &draft{o: o, in: in, sale: sale, now: now, qty: map[string]int{}}
	exp := now.Add(sale.Event.HoldTTL())

	// Seats: one conditional write each; any failure rolls back them all.
	if len(in.SeatIDs) > 0 {
		if s.seats == nil {
			return nil, fault.New(fault.Unavailable, "seat maps are not configured")
		}
		var err error
		if claims != nil {
			d.held, err = claims.Check(in.SeatIDs)
		} else {
			d.held, err = s.seats.Hold(tx, sale.Event.ID, o.ID, in.SeatIDs, &exp, now)
		}
		if err != nil {
			return nil, err
		}
		missing := false
		for _, h := range d.held {
			missing = missing || sale.TicketTypes[h.TicketTypeID] == nil
		}
		if missing {
			types, err := s.events.TicketTypesTx(tx, sale.Event.ID)
			if err != nil {
				return nil, err
			}
			// The sale's map may be a snapshot's, shared with other holds.
			sale.TicketTypes = maps.Clone(sale.TicketTypes)
			for i := range types {
				if sale.TicketTypes[types[i].ID] == nil {
					sale.TicketTypes[types[i].ID] = &types[i]
				}
			}
		}
	}

	var c fault.Check
	add := func(t *event.TicketType, n int) error {
		if !t.OnSale(now) {
			return fault.New(fault.SalesNotOpen, "%s is not on sale now", t.Name)
		}
		if t.RequiresVerification {
			o.Status = StatusPendingVerification
		}
		if _, ok := d.qty[t.ID]; !ok {
			d.types = append(d.types, t.ID)
		}
		d.qty[t.ID] += n
		o.Total += int64(n) * t.Price
		o.Currency = t.Currency
		return nil
	}
	for i, it := range in.Items {
		t := sale.TicketTypes[it.TicketTypeID]
		if err := add(t, it.Quantity); err != nil {
			return nil, err
		}
		f := fmt.Sprintf("items[%d].quantity", i)
		c.Add(it.Quantity < t.MinPerOrder, f, fmt.Sprintf("must be at least %d for %s", t.MinPerOrder, t.Name))
		c.Add(it.Quantity > t.MaxPerOrder, f, fmt.Sprintf("must be at most %d for %s", t.MaxPerOrder, t.Name))
		d.count += it.Quantity
		for j := range it.Quantity {
			a := Attendee{TicketTypeID: t.ID, Name: o.BuyerName, Email: o.BuyerEmail}
			if j < len(it.Attendees) {
				a.Name, a.Email = strings.TrimSpace(it.Attendees[j].Name), strings.TrimSpace(it.Attendees[j].Email)
			}
			d.attendees = append(d.attendees, a)
		}
	}
	seated := map[string]int{} // seats per ticket type
	for _, h := range d.held {
		if err := add(sale.TicketTypes[h.TicketTypeID], 1); err != nil {
			return nil, err
		}
		seated[h.TicketTypeID]++
		d.count++
		d.attendees = append(d.attendees, Attendee{TicketTypeID: h.TicketTypeID, Name: o.BuyerName, Email: o.BuyerEmail})
	}
	// A type's limits per order count its seats too (with its items).
	for _, tid := range d.types {
		if seated[tid] == 0 {
			continue
		}
		t := sale.TicketTypes[tid]
		c.Add(d.qty[tid] > t.MaxPerOrder, "seat_ids", fmt.Sprintf("at most %d tickets of %s per order", t.MaxPerOrder, t.Name))
		c.Add(d.qty[tid] < t.MinPerOrder, "seat_ids", fmt.Sprintf("at least %d tickets of %s per order", t.MinPerOrder, t.Name))
	}
	var formErr error
	d.answers, d.consents, formErr = sale.Form.Check(in.Answers, map[string]string{"name": o.BuyerName, "email": o.BuyerEmail, "phone": o.BuyerPhone}, in.Consents)
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
	for _, sid := range in.Sessions {
		ss := sale.Sessions[sid]
		used, err := s.usedSession(tx, sid, now)
		if err != nil {
			return nil, err
		}
		if ss.Capacity-used < d.count {
			return nil, fault.New(fault.SessionFull, "%s has %d seats left", ss.Name, max(0, ss.Capacity-used))
		}
	}
	if o.Status == StatusHeld {
		o.ExpiresAt = &exp
	} else if len(d.held) > 0 && claims == nil {
		// Waiting for staff: the seats stay held until a decision.
		if err := s.seats.Extend(tx, o.ID, nil); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// typeOrder is the draft's ticket types in id order: the order in which
// their quotas are taken, so that two writers lock them alike.
func (d *draft) typeOrder() []string {
	return slices.Sorted(slices.Values(d.types))
}

// prepare works out the rows that insert writes for d, its order.created
// event and the order the API answers with. It only computes, so a hold
// planned before the writer (see prePlan) has it done there too.
func (d *draft) prepare() {
	if d.out != nil {
		return
	}
	o, in := d.o, d.in
	ab, _ := json.Marshal(d.answers)
	atb, _ := json.Marshal(d.attendees)
	o.Answers, o.Attendees = string(ab), string(atb)
	d.orderArgs = []any{o.ID, o.EventID, o.CustomerID, o.Status, o.BuyerName, o.BuyerEmail, o.BuyerPhone, o.Locale,
		o.Total, o.Currency, o.ExpiresAt, o.Answers, o.Attendees, o.CreatedAt, o.UpdatedAt, in.QueueToken, in.accessHash}
	out := o.fresh(d.now, d.answers, d.attendees)
	for _, tid := range d.types {
		it := Item{TicketTypeID: tid, Quantity: d.qty[tid], UnitPrice: d.sale.TicketTypes[tid].Price}
		d.itemArgs = append(d.itemArgs, o.ID, it.TicketTypeID, it.Quantity, it.UnitPrice)
		out.Items = append(out.Items, it)
	}
	for _, h := range d.held {
		d.seatArgs = append(d.seatArgs, o.ID, h.ID, h.TicketTypeID, d.sale.TicketTypes[h.TicketTypeID].Price)
		out.SeatIDs = append(out.SeatIDs, h.ID)
	}
	payload, _ := json.Marshal(createdPayload{
		OrderID: o.ID, EventID: o.EventID, Status: o.Status, ExpiresAt: o.ExpiresAt,
		Total: o.Total, Currency: o.Currency, Locale: o.Locale, SeatIDs: out.SeatIDs,
		Buyer: createdBuyer{Name: o.BuyerName, Email: o.BuyerEmail, Phone: o.BuyerPhone},
	})
	d.event = outbox.Subject{ID: o.ID, Raw: payload}
	slices.SortFunc(out.Items, func(a, b Item) int { return strings.Compare(a.TicketTypeID, b.TicketTypeID) })
	slices.Sort(out.SeatIDs)
	out.Sessions = slices.Sorted(slices.Values(in.Sessions))
	if out.Sessions == nil {
		out.Sessions = []string{}
	}
	out.Consents = append(out.Consents, d.consents...)
	slices.SortFunc(out.Consents, func(a, b event.ConsentRecord) int { return strings.Compare(a.Key, b.Key) })
	d.out = out
}

// salesShut says why an event that is not on sale takes no orders.
func salesShut(status string) string {
	switch status {
	case event.StatusSalesClosed:
		return "the event's sales are closed"
	case event.StatusFinished:
		return "the event has finished"
	case event.StatusCancelled:
		return "the event was cancelled"
	}
	return "the event is not on sale"
}

// createdPayload is the order.created event's payload.
type createdPayload struct {
	OrderID   string       `json:"order_id"`
	EventID   string       `json:"event_id"`
	Status    string       `json:"status"`
	ExpiresAt *time.Time   `json:"expires_at"`
	Total     int64        `json:"total"`
	Currency  string       `json:"currency"`
	Locale    string       `json:"locale"`
	SeatIDs   []string     `json:"seat_ids"`
	Buyer     createdBuyer `json:"buyer"`
}

type createdBuyer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// insert writes drafts' orders, their items, seats, sessions and consents,
// and their order.created events, a statement per table for them all, and
// makes the orders the API answers with. It does not take the quotas.
func insert(tx *db.Tx, ds []*draft) error {
	var orders, items, seats []any
	events := make([]outbox.Subject, len(ds))
	for i, d := range ds {
		d.prepare()
		orders = append(orders, d.orderArgs...)
		items = append(items, d.itemArgs...)
		seats = append(seats, d.seatArgs...)
		events[i] = d.event
	}
	if _, err := tx.Exec(`INSERT INTO orders (tenant_id, id, event_id, customer_id, status, buyer_name, buyer_email, buyer_phone, locale,
		total, currency, expires_at, answers, attendees, source, created_at, updated_at, queue_token, access_hash)
		VALUES `+db.Rows(len(ds), "@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'api', ?, ?, ?, ?"), orders...); err != nil {
		return err
	}
	if len(items) > 0 {
		if _, err := tx.Exec(`INSERT INTO order_items (tenant_id, order_id, ticket_type_id, quantity, unit_price) VALUES `+
			db.Rows(len(items)/4, "@tenant, ?, ?, ?, ?"), items...); err != nil {
			return err
		}
	}
	if len(seats) > 0 {
		if _, err := tx.Exec(`INSERT INTO order_seats (tenant_id, order_id, seat_id, ticket_type_id, unit_price) VALUES `+
			db.Rows(len(seats)/4, "@tenant, ?, ?, ?, ?"), seats...); err != nil {
			return err
		}
	}
	// Sessions and consents are rare: one row at a time.
	for _, d := range ds {
		o := d.o
		for _, sid := range d.in.Sessions {
			if _, err := tx.Exec(`INSERT INTO order_sessions (tenant_id, order_id, session_id, quantity) VALUES (@tenant, ?, ?, ?)`, o.ID, sid, d.count); err != nil {
				return err
			}
		}
		for _, cr := range d.consents {
			if _, err := tx.Exec(`INSERT INTO order_consents (tenant_id, order_id, key, version, granted, at) VALUES (@tenant, ?, ?, ?, ?, ?)`,
				o.ID, cr.Key, cr.Version, cr.Granted, d.now); err != nil {
				return err
			}
		}
	}
	_, err := outbox.EmitAll(tx, "order.created", events, ds[0].now)
	return err
}

// takeQuota takes n tickets of t, giving back the event's expired holds
// first when the quota looks full. sold_out when even then it has no room.
func (s *Service) takeQuota(tx *db.Tx, eventID string, t *event.TicketType, n int, now time.Time) error {
	ok, err := s.events.TakeQuota(tx, t.ID, n)
	if err != nil || ok {
		return err
	}
	for {
		freed, more, err := s.releaseExpired(tx, eventID, now)
		if err != nil {
			return err
		}
		if freed {
			if ok, err = s.events.TakeQuota(tx, t.ID, n); err != nil || ok {
				return err
			}
		}
		if !more {
			break
		}
	}
	left, err := s.events.QuotaLeft(tx, t.ID)
	if err != nil {
		return err
	}
	return &fault.Error{Code: fault.SoldOut, Message: fmt.Sprintf("%s has %d left", t.Name, left)}
}

// releaseBatch bounds how many expired holds one call gives back.
const releaseBatch = 500

// releaseExpired gives back the quota of up to releaseBatch expired holds
// of an event. Marking an order hold_released is a conditional write, so a
// hold is given back once even when two writers (two nodes) try together,
// and a payment (which requires hold_released to be false) can never pay a
// hold whose quantity was given back. more reports a full batch.
func (s *Service) releaseExpired(tx *db.Tx, eventID string, now time.Time) (freed, more bool, err error) {
	var ids []string
	if err := tx.Select(&ids, `UPDATE orders SET hold_released = TRUE
		WHERE id IN (SELECT id FROM orders WHERE tenant_id = @tenant AND event_id = ? AND status = 'held' AND hold_released = FALSE AND expires_at <= ? LIMIT `+fmt.Sprint(releaseBatch)+`)
		AND status = 'held' AND hold_released = FALSE AND expires_at <= ?
		RETURNING id`, eventID, now, now); err != nil {
		return false, false, err
	}
	if len(ids) == 0 {
		return false, false, nil
	}
	if err := s.giveBack(tx, ids); err != nil {
		return false, false, err
	}
	return true, len(ids) == releaseBatch, nil
}

// giveBack returns the quantities of orders to their ticket types' quotas.
func (s *Service) giveBack(tx *db.Tx, orderIDs []string) error {
	args := make([]any, len(orderIDs))
	for i, v := range orderIDs {
		args[i] = v
	}
	var sums []struct {
		TicketTypeID string `db:"ticket_type_id"`
		Quantity     int    `db:"quantity"`
	}
	if err := tx.Select(&sums, `SELECT ticket_type_id, SUM(quantity) AS quantity FROM order_items
		WHERE tenant_id = @tenant AND order_id IN (`+db.Placeholders(len(orderIDs))+`) GROUP BY ticket_type_id ORDER BY ticket_type_id`, args...); err != nil {
		return err
	}
	for _, sm := range sums {
		if err := s.events.GiveBackQuota(tx, sm.TicketTypeID, sm.Quantity); err != nil {
			return err
		}
	}
	return nil
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
