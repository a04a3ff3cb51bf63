package ticket

import (
	"context"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Revocation is one entry of an event's revocation list.
type Revocation struct {
	TicketID  string    `json:"ticket_id" db:"id"`
	RevokedAt time.Time `json:"revoked_at" db:"revoked_at"`
}

// Revocations lists the event's revoked tickets, oldest revocation first,
// for the tenant of ctx. since, when not zero, leaves out revocations before
// it, so a gate can sync incrementally.
//
// The list is a set: a gate should ask again from (the newest revoked_at it
// holds minus a few minutes) and merge by ticket id, because a revocation is
// stamped before its transaction commits and may appear slightly late.
func (s *Service) Revocations(ctx context.Context, eventID string, since time.Time, page api.PageParams) (*api.List[Revocation], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, revoked_at FROM tickets WHERE tenant_id = @tenant AND event_id = ? AND revoked_at IS NOT NULL`
	args := []any{eventID}
	if !since.IsZero() {
		q += ` AND revoked_at >= ?`
		args = append(args, since.UTC())
	}
	if after != "" {
		at, tid, ok := strings.Cut(after, "|")
		t, perr := time.Parse(time.RFC3339Nano, at)
		if !ok || perr != nil {
			return nil, fault.Field("cursor", "is not a cursor returned by this API")
		}
		q += ` AND (revoked_at > ? OR (revoked_at = ? AND id > ?))`
		args = append(args, t.UTC(), t.UTC(), tid)
	}
	q += ` ORDER BY revoked_at, id LIMIT ?`
	args = append(args, page.Limit+1)
	var rs []Revocation
	if err := s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&rs, q, args...) }); err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		if err := s.eventExists(ctx, eventID); err != nil {
			return nil, err
		}
	}
	for i := range rs {
		rs[i].RevokedAt = rs[i].RevokedAt.UTC()
	}
	return api.NewList(rs, page.Limit, func(r Revocation) string {
		return r.RevokedAt.Format(time.RFC3339Nano) + "|" + r.TicketID
	}), nil
}
