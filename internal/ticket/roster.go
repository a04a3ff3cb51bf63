package ticket

import (
	"context"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Holder is what a gate needs to know of a ticket: whose it is, its type and
// whether it still counts. It carries no code and no email.
type Holder struct {
	ID           string     `json:"id" db:"id"`
	EventID      string     `json:"event_id" db:"event_id"`
	TicketTypeID string     `json:"ticket_type_id" db:"ticket_type_id"`
	AttendeeName string     `json:"attendee_name" db:"attendee_name"`
	Status       string     `json:"status" db:"status" enum:"valid,revoked"`
	IssuedAt     time.Time  `json:"issued_at" db:"issued_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty" db:"revoked_at"`
}

const holderColumns = `id, event_id, ticket_type_id, attendee_name, status, issued_at, revoked_at`

// HolderTx returns one ticket of tx's tenant inside tx, for check-in, which
// decides in the same transaction that records the scan.
func (s *Service) HolderTx(tx *db.Tx, ticketID string) (Holder, error) {
	var h Holder
	err := tx.Get(&h, `SELECT `+holderColumns+` FROM tickets WHERE tenant_id = @tenant AND id = ?`, ticketID)
	if fault.Is(err, fault.NotFound) {
		return h, fault.New(fault.NotFound, "no ticket %q", ticketID)
	}
	h.IssuedAt = h.IssuedAt.UTC()
	return h, err
}

// Roster lists an event's tickets for the tenant of ctx in id order, after
// the id after, at most limit. since, when not zero, keeps only tickets
// issued or revoked at or after it, so that a gate node syncs changes only.
func (s *Service) Roster(ctx context.Context, eventID string, since time.Time, after string, limit int) ([]Holder, error) {
	q := `SELECT ` + holderColumns + ` FROM tickets WHERE tenant_id = @tenant AND event_id = ? AND id > ?`
	args := []any{eventID, after}
	if !since.IsZero() {
		q += ` AND (issued_at >= ? OR revoked_at >= ?)`
		args = append(args, since.UTC(), since.UTC())
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit)
	var hs []Holder
	err := s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&hs, q, args...) })
	for i := range hs {
		hs[i].IssuedAt = hs[i].IssuedAt.UTC()
		if hs[i].RevokedAt != nil {
			r := hs[i].RevokedAt.UTC()
			hs[i].RevokedAt = &r
		}
	}
	return hs, err
}
