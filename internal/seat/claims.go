package seat

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Claims decides the seats of several orders written in one transaction
// (the order domain's hold groups): the seats they name are locked and
// read once, in id order, each order's seats are checked against what was
// read and what the orders before it claimed, and the claims are written
// together at the end. Between Lock and Write nobody else can change the
// locked seats, so a check that passes is a hold that will be written.
type Claims struct {
	tx      *db.Tx
	eventID string
	seats   map[string]*claimed
	claims  []claim
}

type claimed struct {
	typeID string
	free   bool
}

type claim struct {
	orderID string
	seatIDs []string
	until   *time.Time
}

// byID scopes a statement that names seats by id to the tenant and the
// event without letting the planner reach them through the event's index:
// PostgreSQL's generic plan for a prepared statement estimates one seat per
// event and would read every seat of the event (20,000 in a large hall) to
// find a few ids, where the primary key finds each at once. Concatenation
// keeps the condition off every index.
const byID = `tenant_id || '' = @tenant AND event_id || '' = ?`

// Lock locks and reads the seats of an event named in seatIDs (FOR UPDATE
// on PostgreSQL; SQLite's single writer serializes anyway). A seat is free
// when available or when its hold ran out at now.
func (s *Service) Lock(tx *db.Tx, eventID string, seatIDs []string, now time.Time) (*Claims, error) {
	c := &Claims{tx: tx, eventID: eventID, seats: map[string]*claimed{}}
	ids := slices.Compact(slices.Sorted(slices.Values(seatIDs)))
	if len(ids) == 0 {
		return c, nil
	}
	update := tx.ForUpdate()
	args := make([]any, 0, len(ids)+1)
	args = append(args, eventID)
	for _, id := range ids {
		args = append(args, id)
	}
	var rows []struct {
		ID           string     `db:"id"`
		TicketTypeID string     `db:"ticket_type_id"`
		Status       string     `db:"status"`
		HoldUntil    *time.Time `db:"hold_until"`
	}
	if err := tx.Select(&rows, `SELECT id, ticket_type_id, status, hold_until FROM seats
		WHERE `+byID+` AND id IN (`+db.Placeholders(len(ids))+`) ORDER BY id`+update, args...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		free := r.Status == StatusAvailable || (r.Status == StatusHeld && r.HoldUntil != nil && !r.HoldUntil.After(now))
		c.seats[r.ID] = &claimed{typeID: r.TicketTypeID, free: free}
	}
	return c, nil
}

// Check says whether one order can hold seatIDs, all of them, as Hold
// would: a seat named twice or not the event's is a validation error, one
// that is taken (or claimed by an earlier order of the group) is
// seat_unavailable. It writes nothing and claims nothing.
func (c *Claims) Check(seatIDs []string) ([]Held, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(seatIDs)))
	if len(ids) != len(seatIDs) {
		return nil, fault.Field("seat_ids", "each seat may appear once")
	}
	out := make([]Held, 0, len(ids))
	for _, sid := range ids {
		st := c.seats[sid]
		switch {
		case st == nil:
			return nil, fault.Field("seat_ids", "no seat "+sid+" in this event")
		case !st.free:
			return nil, &fault.Error{Code: fault.SeatUnavailable, Message: "seat " + sid + " is not available"}
		}
		out = append(out, Held{ID: sid, TicketTypeID: st.typeID})
	}
	return out, nil
}

// Claim gives checked seats to an order, held until until (nil: until a
// decision about the order).
func (c *Claims) Claim(orderID string, held []Held, until *time.Time) {
	ids := make([]string, len(held))
	for i, h := range held {
		ids[i] = h.ID
		c.seats[h.ID].free = false
	}
	c.claims = append(c.claims, claim{orderID: orderID, seatIDs: ids, until: until})
}

// Write holds the claimed seats: one statement for each hold expiry among
// the claims (all orders of a group share one, orders waiting for staff
// have none).
func (c *Claims) Write() error {
	byUntil := map[string][]claim{}
	var keys []string
	for _, cl := range c.claims {
		k := "none"
		if cl.until != nil {
			k = cl.until.UTC().Format(time.RFC3339Nano)
		}
		if _, ok := byUntil[k]; !ok {
			keys = append(keys, k)
		}
		byUntil[k] = append(byUntil[k], cl)
	}
	for _, k := range keys {
		cls := byUntil[k]
		var when strings.Builder
		var args, in []any
		n := 0
		for _, cl := range cls {
			for _, sid := range cl.seatIDs {
				when.WriteString(" WHEN ? THEN ?")
				args = append(args, sid, cl.orderID)
				in = append(in, sid)
				n++
			}
		}
		args = append(args, cls[0].until, c.eventID)
		args = append(args, in...)
		res, err := c.tx.Exec(`UPDATE seats SET status = 'held', hold_order = CASE id`+when.String()+` END, hold_until = ?
			WHERE `+byID+` AND id IN (`+db.Placeholders(n)+`)`, args...)
		if err != nil {
			return err
		}
		if got, err := res.RowsAffected(); err != nil || got != int64(n) {
			return fmt.Errorf("seat: %d of %d claimed seats written (%v)", got, n, err)
		}
	}
	return nil
}
