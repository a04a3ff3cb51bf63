package order

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/outbox"
)

// lockRow reads an order for a change: on PostgreSQL its row is locked so
// that two payments or a payment and a cancellation of one order take turns.
func (s *Service) lockRow(tx *db.Tx, orderID string) (*row, error) {
	lock := tx.ForUpdate()
	var r row
	err := tx.Get(&r, `SELECT `+rowColumns+` FROM orders WHERE id = ? AND tenant_id = @tenant`+lock, orderID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no order %q", orderID)
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// load completes an order with its items, sessions, consents and tickets.
func (s *Service) load(tx *db.Tx, r *row, now time.Time) (*Order, error) {
	o := r.order(now)
	if err := tx.Select(&o.Items, `SELECT ticket_type_id, quantity, unit_price FROM order_items WHERE tenant_id = @tenant AND order_id = ? ORDER BY ticket_type_id`, r.ID); err != nil {
		return nil, err
	}
	if err := tx.Select(&o.SeatIDs, `SELECT seat_id FROM order_seats WHERE tenant_id = @tenant AND order_id = ? ORDER BY seat_id`, r.ID); err != nil {
		return nil, err
	}
	if err := tx.Select(&o.Sessions, `SELECT session_id FROM order_sessions WHERE tenant_id = @tenant AND order_id = ? ORDER BY session_id`, r.ID); err != nil {
		return nil, err
	}
	if err := tx.Select(&o.Consents, `SELECT key, version, granted FROM order_consents WHERE tenant_id = @tenant AND order_id = ? ORDER BY key`, r.ID); err != nil {
		return nil, err
	}
	if err := tx.Select(&o.Tickets, `SELECT ticket_id, code, ticket_type_id, attendee_name, attendee_email, issued_at, revoked_at
		FROM order_tickets WHERE tenant_id = @tenant AND order_id = ? ORDER BY ticket_id`, r.ID); err != nil {
		return nil, err
	}
	if err := loadProof(tx, o); err != nil {
		return nil, err
	}
	return o, nil
}

// Get returns one order.
func (s *Service) Get(ctx context.Context, orderID string) (*Order, error) {
	var out *Order
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var r row
		err := tx.Get(&r, `SELECT `+rowColumns+` FROM orders WHERE id = ? AND tenant_id = @tenant`, orderID)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.NotFound, "no order %q", orderID)
		}
		if err != nil {
			return err
		}
		out, err = s.load(tx, &r, s.now())
		return err
	})
	return out, err
}

// Pay pays a held order with the customer's wallet or, for staff, by a
// manual transfer, and issues its tickets. Paying a paid order again
// answers as the first payment did, so a retry is safe. An expired hold is
// hold_expired and can never be paid: its quota or seats may already be
// someone else's. The payment is a conditional write on the order (still
// held, not given back, not expired) and on each seat (still held by this
// order), so it needs no lock on the ticket types.
func (s *Service) Pay(ctx context.Context, orderID, method string) (*Order, error) {
	if method != MethodWallet && method != MethodManual {
		return nil, fault.Field("method", "must be wallet or manual")
	}
	var out *Order
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		r, err := s.lockRow(tx, orderID)
		if err != nil {
			return err
		}
		switch r.Status {
		case StatusPaid:
			out, err = s.load(tx, r, s.now())
			return err
		case StatusPendingVerification:
			return fault.New(fault.VerificationRequired, "the order waits for staff to verify it")
		case StatusCancelled, StatusRejected:
			return fault.New(fault.InvalidTransition, "a %s order cannot be paid", r.Status)
		}
		now := s.now()
		if r.expired(now) || r.HoldReleased {
			return fault.New(fault.HoldExpired, "the hold expired at %s", r.ExpiresAt.Format(time.RFC3339))
		}
		if method == MethodWallet {
			if r.CustomerID == nil {
				return fault.Field("method", "the order has no customer_id whose wallet could pay")
			}
			if r.Total > 0 {
				if err := s.wallets.DebitTx(tx, *r.CustomerID, r.Total, r.ID, now); err != nil {
					return err
				}
			}
		}
		// Conditional: a writer that gave this hold back (or another
		// payment) got here first, whatever this node's clock says.
		err = tx.ExecOne(`UPDATE orders SET status = 'paid', payment_method = ?, paid_at = ?, updated_at = ?
			WHERE id = ? AND tenant_id = @tenant AND status = 'held' AND hold_released = FALSE
			AND (expires_at IS NULL OR expires_at > ?)`, method, now, now, r.ID, now)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.HoldExpired, "the hold expired")
		}
		if err != nil {
			return err
		}
		if err := s.sellSeats(tx, r.ID, now); err != nil {
			return err
		}
		r.Status, r.PaymentMethod, r.PaidAt, r.UpdatedAt = StatusPaid, &method, &now, now
		if err := s.issue(tx, r, now); err != nil {
			return err
		}
		out, err = s.load(tx, r, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, orderID)
	s.seatsChanged(out)
	s.completeQueue(ctx, orderID)
	return out, nil
}

// completeQueue frees the buyer's waiting-room slot once the order is paid.
// It is best effort: a slot not freed here frees itself when the token's
// active time runs out.
func (s *Service) completeQueue(ctx context.Context, orderID string) {
	if s.queue == nil {
		return
	}
	var token string
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&token, `SELECT queue_token FROM orders WHERE id = ? AND tenant_id = @tenant`, orderID)
	})
	if err == nil && token != "" {
		err = s.queue.Complete(ctx, token)
	}
	if err != nil {
		api.Logger(ctx).Warn("waiting room: complete", "err", err)
	}
}

// issue asks the ticket domain for one ticket per attendee of a paid order,
// records them, and emits order.paid (the ticket domain emits ticket.issued).
func (s *Service) issue(tx *db.Tx, r *row, now time.Time) error {
	if s.tickets == nil {
		return fault.New(fault.Unavailable, "ticket issuing is not configured")
	}
	e, err := s.events.EventTx(tx, r.EventID)
	if err != nil {
		return err
	}
	types, err := s.events.TicketTypesTx(tx, r.EventID)
	if err != nil {
		return err
	}
	typeName := map[string]string{}
	for _, t := range types {
		typeName[t.ID] = t.Name
	}
	var attendees []Attendee
	if err := json.Unmarshal([]byte(r.Attendees), &attendees); err != nil {
		return fmt.Errorf("order %s attendees: %w", r.ID, err)
	}
	req := IssueRequest{OrderID: r.ID, EventID: r.EventID, EventStartsAt: e.StartsAt, EventEndsAt: e.EndsAt}
	for _, a := range attendees {
		req.Items = append(req.Items, IssueItem{TicketTypeID: a.TicketTypeID, AttendeeName: a.Name, AttendeeEmail: a.Email})
	}
	issued, err := s.tickets.Issue(tx, req)
	if err != nil {
		return err
	}
	if r.PaymentMethod != nil && *r.PaymentMethod == MethodImport {
		// Imported orders never held: they checked the quota themselves,
		// so their tickets are counted as taken here.
		for _, a := range attendees {
			if err := s.events.CountTaken(tx, a.TicketTypeID, 1); err != nil {
				return err
			}
		}
	}
	if len(issued) != len(attendees) {
		return fmt.Errorf("order %s: %d tickets issued for %d attendees", r.ID, len(issued), len(attendees))
	}
	type paidTicket struct {
		ID             string `json:"id"`
		TicketTypeID   string `json:"ticket_type_id"`
		TicketTypeName string `json:"ticket_type_name"`
		AttendeeName   string `json:"attendee_name"`
	}
	tickets := make([]paidTicket, 0, len(issued))
	for i, t := range issued {
		a := attendees[i]
		if _, err := tx.Exec(`INSERT INTO order_tickets (tenant_id, ticket_id, order_id, ticket_type_id, attendee_name, attendee_email, code, issued_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?)`, t.ID, r.ID, t.TicketTypeID, a.Name, a.Email, t.Code, now); err != nil {
			return err
		}
		// The ticket domain recorded ticket.issued for each as it issued it.
		tickets = append(tickets, paidTicket{ID: t.ID, TicketTypeID: t.TicketTypeID, TicketTypeName: typeName[t.TicketTypeID], AttendeeName: a.Name})
	}
	// The buyer's contact is here because messages need it; nothing else
	// personal is.
	_, err = outbox.Emit(tx, "order.paid", r.ID, map[string]any{
		"order_id": r.ID,
		"event": map[string]any{"id": e.ID, "name": e.Name, "starts_at": e.StartsAt, "ends_at": e.EndsAt,
			"timezone": e.Timezone, "venue": e.Venue},
		"buyer":  map[string]string{"name": r.BuyerName, "email": r.BuyerEmail, "phone": r.BuyerPhone},
		"locale": r.Locale, "total": r.Total, "currency": r.Currency, "tickets": tickets,
	}, now)
	return err
}

// Cancel cancels an order: its quota is free again, a wallet payment is
// refunded, and its tickets are revoked. Cancelling a cancelled order
// answers the same again.
func (s *Service) Cancel(ctx context.Context, orderID string) (*Order, error) {
	var out *Order
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		r, err := s.lockRow(tx, orderID)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.cancel(tx, r, now); err != nil {
			return err
		}
		out, err = s.load(tx, r, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, orderID)
	s.seatsChanged(out)
	return out, nil
}

// seatsChanged clears this node's seat-map snapshot after a committed
// change to an order with seats.
func (s *Service) seatsChanged(o *Order) {
	if s.seats != nil && len(o.SeatIDs) > 0 {
		s.seats.Invalidate(o.EventID)
	}
}

func (s *Service) cancel(tx *db.Tx, r *row, now time.Time) error {
	switch r.Status {
	case StatusCancelled:
		return nil
	case StatusRejected:
		return fault.New(fault.InvalidTransition, "a rejected order cannot be cancelled")
	}
	wasPaid := r.Status == StatusPaid
	// Paid orders, orders waiting for verification and holds not yet given
	// back are counted in their ticket types' quotas.
	counted := r.Status != StatusHeld || !r.HoldReleased
	if err := tx.ExecOne(`UPDATE orders SET status = 'cancelled', cancelled_at = ?, updated_at = ?
		WHERE id = ? AND tenant_id = @tenant AND status = ?`, now, now, r.ID, r.Status); err != nil {
		return err
	}
	r.Status, r.CancelledAt, r.UpdatedAt = StatusCancelled, &now, now
	if counted {
		if err := s.giveBack(tx, []string{r.ID}); err != nil {
			return err
		}
	}
	if err := s.releaseSeats(tx, r, wasPaid); err != nil {
		return err
	}
	if err := dropProof(tx, r.ID); err != nil {
		return err
	}
	ticketIDs := []string{}
	if wasPaid {
		if r.PaymentMethod != nil && *r.PaymentMethod == MethodWallet && r.CustomerID != nil && r.Total > 0 {
			if err := s.wallets.RefundTx(tx, *r.CustomerID, r.Total, r.ID, now); err != nil {
				return err
			}
		}
		if err := tx.Select(&ticketIDs, `SELECT ticket_id FROM order_tickets WHERE tenant_id = @tenant AND order_id = ? ORDER BY ticket_id`, r.ID); err != nil {
			return err
		}
		if len(ticketIDs) > 0 {
			if s.tickets == nil {
				return fault.New(fault.Unavailable, "ticket revocation is not configured")
			}
			if err := s.tickets.RevokeOrder(tx, r.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE order_tickets SET revoked_at = ? WHERE tenant_id = @tenant AND order_id = ?`, now, r.ID); err != nil {
				return err
			}
		}
	}
	_, err := outbox.Emit(tx, "order.cancelled", r.ID, map[string]any{"order_id": r.ID, "event_id": r.EventID, "ticket_ids": ticketIDs}, now)
	return err
}

// CancelEventOrders cancels every order of a cancelled event that still
// takes quota or was paid, refunding and revoking as Cancel does. The event
// domain calls it in its own transaction.
func (s *Service) CancelEventOrders(tx *db.Tx, eventID string, now time.Time) error {
	lock := tx.ForUpdate()
	var rows []row
	if err := tx.Select(&rows, `SELECT `+rowColumns+` FROM orders WHERE tenant_id = @tenant AND event_id = ?
		AND status IN ('held', 'pending_verification', 'paid') ORDER BY id`+lock, eventID); err != nil {
		return err
	}
	for i := range rows {
		if err := s.cancel(tx, &rows[i], now); err != nil {
			return err
		}
	}
	return nil
}

// ApproveVerification accepts the proof of an order waiting for
// verification: it is held again, with a fresh expiry, and can be paid.
func (s *Service) ApproveVerification(ctx context.Context, orderID string) (*Order, error) {
	return s.verify(ctx, orderID, true)
}

// RejectVerification refuses the proof: the order is rejected and its
// quota is free again.
func (s *Service) RejectVerification(ctx context.Context, orderID string) (*Order, error) {
	return s.verify(ctx, orderID, false)
}

func (s *Service) verify(ctx context.Context, orderID string, approve bool) (*Order, error) {
	var out *Order
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		r, err := s.lockRow(tx, orderID)
		if err != nil {
			return err
		}
		if r.Status != StatusPendingVerification {
			return fault.New(fault.InvalidTransition, "the order is %s, not waiting for verification", r.order(s.now()).Status)
		}
		now := s.now()
		kind := "order.verification_rejected"
		if approve {
			e, err := s.events.EventTx(tx, r.EventID)
			if err != nil {
				return err
			}
			exp := now.Add(e.HoldTTL())
			r.Status, r.ExpiresAt, kind = StatusHeld, &exp, "order.verification_approved"
			if s.seats != nil {
				if err := s.seats.Extend(tx, r.ID, &exp); err != nil {
					return err
				}
			}
		} else {
			r.Status = StatusRejected
			if err := s.giveBack(tx, []string{r.ID}); err != nil {
				return err
			}
			if err := s.releaseSeats(tx, r, false); err != nil {
				return err
			}
			if err := dropProof(tx, r.ID); err != nil {
				return err
			}
		}
		if err := tx.ExecOne(`UPDATE orders SET status = ?, expires_at = ?, updated_at = ? WHERE id = ? AND tenant_id = @tenant AND status = 'pending_verification'`,
			r.Status, r.ExpiresAt, now, r.ID); err != nil {
			return err
		}
		r.UpdatedAt = now
		if _, err := outbox.Emit(tx, kind, r.ID, map[string]any{"order_id": r.ID, "event_id": r.EventID, "status": r.Status, "expires_at": r.ExpiresAt}, now); err != nil {
			return err
		}
		out, err = s.load(tx, r, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, orderID)
	return out, nil
}

// sellSeats sells the seats a paid order held, if it held any.
func (s *Service) sellSeats(tx *db.Tx, orderID string, now time.Time) error {
	var ids []string
	if err := tx.Select(&ids, `SELECT seat_id FROM order_seats WHERE tenant_id = @tenant AND order_id = ?`, orderID); err != nil || len(ids) == 0 {
		return err
	}
	if s.seats == nil {
		return fault.New(fault.Unavailable, "seat maps are not configured")
	}
	return s.seats.Sell(tx, orderID, ids, now)
}

// releaseSeats frees an order's seats: held ones, or sold ones of a paid
// order being cancelled.
func (s *Service) releaseSeats(tx *db.Tx, r *row, wasPaid bool) error {
	if s.seats == nil {
		return nil
	}
	if wasPaid {
		return s.seats.Unsell(tx, r.ID)
	}
	return s.seats.Release(tx, r.ID)
}

// Interface checks: the wiring hands the order service to the event domain.
var _ event.Sales = (*Service)(nil)
