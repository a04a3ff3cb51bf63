package seat

import (
	"slices"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Held is a seat an order now holds.
type Held struct {
	ID           string `db:"id"`
	TicketTypeID string `db:"ticket_type_id"`
}

// Hold makes orderID the holder of every seat in seatIDs until until (nil:
// until released, for orders waiting for verification), inside the order's
// transaction. Each seat is one conditional write that succeeds only if the
// seat is available or its hold has run out at now; if any seat fails,
// Hold returns seat_unavailable and the caller's transaction rolls back the
// others, so several seats are held all together or not at all. Seats are
// written in id order so that two orders on PostgreSQL never deadlock.
func (s *Service) Hold(tx *db.Tx, eventID, orderID string, seatIDs []string, until *time.Time, now time.Time) ([]Held, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(seatIDs)))
	if len(ids) != len(seatIDs) {
		return nil, fault.Field("seat_ids", "each seat may appear once")
	}
	out := make([]Held, 0, len(ids))
	for _, sid := range ids {
		var typeID string
		err := tx.Get(&typeID, `UPDATE seats SET status = 'held', hold_order = ?, hold_until = ?
			WHERE id = ? AND tenant_id = @tenant AND event_id = ?
			AND (status = 'available' OR (status = 'held' AND hold_until <= ?))
			RETURNING ticket_type_id`, orderID, until, sid, eventID, now)
		if fault.Is(err, fault.NotFound) {
			return nil, s.explain(tx, eventID, sid)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Held{ID: sid, TicketTypeID: typeID})
	}
	return out, nil
}

// explain tells a seat that does not exist in the event (a bad request)
// from one someone else has (a conflict). Only failed holds pay for it.
func (s *Service) explain(tx *db.Tx, eventID, seatID string) error {
	var n int
	if err := tx.Get(&n, `SELECT COUNT(*) FROM seats WHERE id = ? AND tenant_id = @tenant AND event_id = ?`, seatID, eventID); err != nil {
		return err
	}
	if n == 0 {
		return fault.Field("seat_ids", "no seat "+seatID+" in this event")
	}
	return &fault.Error{Code: fault.SeatUnavailable, Message: "seat " + seatID + " is not available"}
}

// Extend moves the end of an order's seat holds, when a verified order is
// held again with a fresh expiry.
func (s *Service) Extend(tx *db.Tx, orderID string, until *time.Time) error {
	_, err := tx.Exec(`UPDATE seats SET hold_until = ? WHERE tenant_id = @tenant AND hold_order = ? AND status = 'held'`, until, orderID)
	return err
}

// Release frees the seats an order still holds (cancelled or rejected). A
// seat another order took over after this hold expired is not touched.
func (s *Service) Release(tx *db.Tx, orderID string) error {
	_, err := tx.Exec(`UPDATE seats SET status = 'available', hold_order = NULL, hold_until = NULL
		WHERE tenant_id = @tenant AND hold_order = ? AND status = 'held'`, orderID)
	return err
}

// Sell turns an order's seat holds into sales, inside the payment's
// transaction. Each seat must still be held by this order (a conditional
// write); one that was taken over after the hold ran out makes the payment
// hold_expired. The seat_sales row per seat is the last guard against a
// seat sold twice.
func (s *Service) Sell(tx *db.Tx, orderID string, seatIDs []string, now time.Time) error {
	for _, sid := range slices.Sorted(slices.Values(seatIDs)) {
		res, err := tx.Exec(`UPDATE seats SET status = 'sold', sold_order = ?, hold_order = NULL, hold_until = NULL
			WHERE id = ? AND tenant_id = @tenant AND status = 'held' AND hold_order = ?`, orderID, sid, orderID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fault.New(fault.HoldExpired, "seat %s is no longer held by this order", sid)
		}
		if _, err := tx.Exec(`INSERT INTO seat_sales (tenant_id, seat_id, order_id, sold_at) VALUES (@tenant, ?, ?, ?)`, sid, orderID, now); err != nil {
			if fault.Is(err, fault.Conflict) {
				return fault.Wrap(err, fault.SeatUnavailable, "seat %s is already sold", sid)
			}
			return err
		}
	}
	return nil
}

// Unsell makes a cancelled paid order's seats available again.
func (s *Service) Unsell(tx *db.Tx, orderID string) error {
	if _, err := tx.Exec(`UPDATE seats SET status = 'available', sold_order = NULL
		WHERE tenant_id = @tenant AND sold_order = ? AND status = 'sold'`, orderID); err != nil {
		return err
	}
	_, err := tx.Exec(`DELETE FROM seat_sales WHERE tenant_id = @tenant AND order_id = ?`, orderID)
	return err
}
