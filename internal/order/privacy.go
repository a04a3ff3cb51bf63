package order

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/privacy"
)

// PersonalData is the order domain's part of a person's data: the orders
// they bought (by address, phone or customer record), and the tickets of
// other orders that name them as attendee. Erasure blanks the buyer, the
// answers, the attendees and the proof file; totals, statuses and items
// stay. The ids of the person's orders are noted as "order".
func (s *Service) PersonalData() privacy.Holder { return orderData{} }

type orderData struct{}

func (orderData) Section() string { return "orders" }

// personOrder is an order as exported.
type personOrder struct {
	ID         string          `json:"id" db:"id"`
	EventID    string          `json:"event_id" db:"event_id"`
	Status     string          `json:"status" db:"status"`
	Total      int64           `json:"total" db:"total"`
	Currency   string          `json:"currency" db:"currency"`
	BuyerName  string          `json:"buyer_name" db:"buyer_name"`
	BuyerEmail string          `json:"buyer_email" db:"buyer_email"`
	BuyerPhone string          `json:"buyer_phone,omitempty" db:"buyer_phone"`
	Answers    json.RawMessage `json:"answers" db:"-"`
	Attendees  json.RawMessage `json:"attendees" db:"-"`
	CreatedAt  time.Time       `json:"created_at" db:"created_at"`
	RawAnswers string          `json:"-" db:"answers"`
	RawAttend  string          `json:"-" db:"attendees"`
	Tickets    []personTicket  `json:"tickets,omitempty" db:"-"`
}

type personTicket struct {
	ID            string `json:"id" db:"ticket_id"`
	OrderID       string `json:"order_id" db:"order_id"`
	AttendeeName  string `json:"attendee_name" db:"attendee_name"`
	AttendeeEmail string `json:"attendee_email,omitempty" db:"attendee_email"`
}

// bought selects the orders the person bought, and the orders given.
func bought(p *privacy.Person) (string, []any) {
	byCustomer, args := privacy.In("customer_id", p.Refs["customer"])
	byID, idArgs := privacy.In("id", p.Refs["order"])
	return `tenant_id = @tenant AND ((buyer_email = ? AND ? <> '') OR (buyer_phone = ? AND ? <> '') OR ` + byCustomer + ` OR ` + byID + `)`,
		slices.Concat([]any{p.Email, p.Email, p.Phone, p.Phone}, args, idArgs)
}

func (orderData) Export(tx *db.Tx, p *privacy.Person) (any, int, error) {
	where, args := bought(p)
	var out []personOrder
	if err := tx.Select(&out, `SELECT id, event_id, status, total, currency, buyer_name, buyer_email, buyer_phone, answers, attendees, created_at
		FROM orders WHERE `+where+` ORDER BY id`, args...); err != nil {
		return nil, 0, err
	}
	mine := map[string]int{}
	for i := range out {
		o := &out[i]
		o.Answers, o.Attendees = json.RawMessage(o.RawAnswers), json.RawMessage(o.RawAttend)
		mine[o.ID] = i
		p.Note("order", o.ID)
	}
	var tickets []personTicket
	in, inArgs := privacy.In("order_id", p.Refs["order"])
	if err := tx.Select(&tickets, `SELECT ticket_id, order_id, attendee_name, attendee_email FROM order_tickets
		WHERE tenant_id = @tenant AND (`+in+` OR (attendee_email = ? AND ? <> '')) ORDER BY ticket_id`,
		append(inArgs, p.Email, p.Email)...); err != nil {
		return nil, 0, err
	}
	n := len(out)
	var others []personTicket
	for _, t := range tickets {
		if i, ok := mine[t.OrderID]; ok {
			out[i].Tickets = append(out[i].Tickets, t)
			continue
		}
		others = append(others, t)
	}
	if len(others) == 0 {
		return out, n, nil
	}
	return map[string]any{"orders": out, "tickets_as_attendee": others}, n + len(others), nil
}

func (orderData) Erase(tx *db.Tx, p *privacy.Person) (int, error) {
	where, args := bought(p)
	var found []struct {
		ID    string `db:"id"`
		Name  string `db:"buyer_name"`
		Email string `db:"buyer_email"`
		Phone string `db:"buyer_phone"`
	}
	if err := tx.Select(&found, `SELECT id, buyer_name, buyer_email, buyer_phone FROM orders WHERE `+where+` ORDER BY id`, args...); err != nil {
		return 0, err
	}
	ids := make([]string, len(found))
	for i, o := range found {
		ids[i] = o.ID
		p.NoteNames(o.Name)
		p.NoteAddresses(o.Email, o.Phone)
	}
	p.Note("order", ids...)
	in, inArgs := privacy.In("order_id", ids)
	var attendees []struct {
		Name  string `db:"attendee_name"`
		Email string `db:"attendee_email"`
	}
	if err := tx.Select(&attendees, `SELECT DISTINCT attendee_name, attendee_email FROM order_tickets WHERE tenant_id = @tenant AND `+in, inArgs...); err != nil {
		return 0, err
	}
	for _, a := range attendees {
		p.NoteNames(a.Name)
		p.NoteAddresses(a.Email)
	}
	n := 0
	for _, id := range ids {
		if _, err := tx.Exec(`UPDATE orders SET buyer_name = '', buyer_email = ?, buyer_phone = '', answers = '{}', attendees = '[]'
			WHERE tenant_id = @tenant AND id = ?`, privacy.Erased(id), id); err != nil {
			return 0, err
		}
		if err := dropProof(tx, id); err != nil {
			return 0, err
		}
		n++
	}
	res, err := tx.Exec(`UPDATE order_tickets SET attendee_name = '', attendee_email = ''
		WHERE tenant_id = @tenant AND (`+in+` OR (attendee_email = ? AND ? <> ''))`, append(inArgs, p.Email, p.Email)...)
	if err != nil {
		return 0, err
	}
	if t, err := res.RowsAffected(); err == nil {
		n += int(t)
	}
	// Orders of others that list the person among their attendees.
	if p.Email != "" {
		like, likeArgs := privacy.Like("attendees", p)
		var rows []struct {
			ID        string `db:"id"`
			Attendees string `db:"attendees"`
		}
		if err := tx.Select(&rows, `SELECT id, attendees FROM orders WHERE tenant_id = @tenant AND `+like, likeArgs...); err != nil {
			return 0, err
		}
		for _, r := range rows {
			out, changed := privacy.ScrubJSON([]byte(r.Attendees), p)
			if !changed {
				continue
			}
			if _, err := tx.Exec(`UPDATE orders SET attendees = ? WHERE tenant_id = @tenant AND id = ?`, string(out), r.ID); err != nil {
				return 0, err
			}
			n++
		}
	}
	return n, nil
}

// Purge erases the orders of events that ended before cutoff, as Erase
// erases a person's (their tickets follow in the ticket domain's purge).
func (d orderData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	var ids []string
	if err := tx.Select(&ids, `SELECT id FROM orders WHERE tenant_id = @tenant AND buyer_email NOT LIKE '%@erased.invalid'
		AND event_id IN (SELECT id FROM events WHERE tenant_id = @tenant AND ends_at < ?) ORDER BY id LIMIT ?`, cutoff, limit); err != nil {
		return 0, false, err
	}
	return privacy.PurgeRecords(tx, d, "order", ids, limit)
}
