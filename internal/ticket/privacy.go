package ticket

import (
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/privacy"
)

// PersonalData is the ticket domain's part of a person's data: the tickets
// of the person's orders (noted as "order" by the order domain, which runs
// first) and the tickets that name them as attendee. Erasure blanks the
// attendee's name and email; the ticket, its code and its status stay (a
// code carries no name).
func (s *Service) PersonalData() privacy.Holder { return ticketData{} }

type ticketData struct{}

func (ticketData) Section() string { return "tickets" }

type personTicket struct {
	ID            string `json:"id" db:"id"`
	OrderID       string `json:"order_id" db:"order_id"`
	EventID       string `json:"event_id" db:"event_id"`
	AttendeeName  string `json:"attendee_name" db:"attendee_name"`
	AttendeeEmail string `json:"attendee_email,omitempty" db:"attendee_email"`
	Seat          string `json:"seat,omitempty" db:"seat"`
	Status        string `json:"status" db:"status"`
}

func ticketsOf(p *privacy.Person) (string, []any) {
	in, args := privacy.In("order_id", p.Refs["order"])
	return `tenant_id = @tenant AND (` + in + ` OR (attendee_email = ? AND ? <> ''))`, append(args, p.Email, p.Email)
}

func (ticketData) Export(tx *db.Tx, p *privacy.Person) (any, int, error) {
	where, args := ticketsOf(p)
	var out []personTicket
	err := tx.Select(&out, `SELECT id, order_id, event_id, attendee_name, attendee_email, seat, status FROM tickets WHERE `+where+` ORDER BY id`, args...)
	return out, len(out), err
}

func (ticketData) Erase(tx *db.Tx, p *privacy.Person) (int, error) {
	where, args := ticketsOf(p)
	res, err := tx.Exec(`UPDATE tickets SET attendee_name = '', attendee_email = '' WHERE `+where, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Purge blanks the attendees of tickets whose event ended before cutoff.
func (ticketData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	return privacy.PurgeRows(tx, "tickets", "id", `attendee_name = '', attendee_email = ''`,
		`(attendee_name <> '' OR attendee_email <> '') AND event_id IN (SELECT id FROM events WHERE tenant_id = @tenant AND ends_at < ?)`, limit, cutoff)
}
