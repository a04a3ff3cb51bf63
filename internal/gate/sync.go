package gate

import (
	"context"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/ticket"
)

// SyncPage is one page of what a gate node needs: tickets (with their
// status, so revocations come along), and on every page the event's gates
// and settings, which are small.
type SyncPage struct {
	EventID  string          `json:"event_id"`
	Tickets  []ticket.Holder `json:"tickets"`
	Gates    []Gate          `json:"gates"`
	Settings Settings        `json:"settings"`
	// TicketTypes name the event's ticket types, so that a node's answers
	// show "VIP" as the server's do.
	TicketTypes []TicketTypeRef `json:"ticket_types"`
	// Presence lists the tickets admitted so far (changed since since)
	// whose ids fall in this page's stretch of ticket ids (after the
	// cursor, up to the page's last ticket, or to the end on the last
	// page), so that a node that is online refuses a ticket admitted at
	// another place instead of letting it in twice. A full sync's pages
	// thus carry no more admissions than tickets.
	Presence []PresenceRef `json:"presence,omitempty"`
	// ServerTime is when this page was read; pass it (minus a margin for
	// transactions that commit late) as since on the next sync.
	ServerTime time.Time `json:"server_time"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// PresenceRef is one admitted ticket as a gate node learns it.
type PresenceRef struct {
	TicketID string `json:"ticket_id" db:"ticket_id"`
	Inside   bool   `json:"inside" db:"inside"`
}

// Sync returns a page of an event's gate data for the tenant of ctx.
func (s *Service) Sync(ctx context.Context, eventID string, since time.Time, cursor string, limit int) (*SyncPage, error) {
	after, err := api.DecodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	now := s.now()
	gates, err := s.Gates(ctx, eventID)
	if err != nil {
		return nil, err
	}
	st, err := s.Settings(ctx, eventID)
	if err != nil {
		return nil, err
	}
	types, err := s.TicketTypeRefs(ctx, eventID)
	if err != nil {
		return nil, err
	}
	hs, err := s.tickets.Roster(ctx, eventID, since, after, limit+1)
	if err != nil {
		return nil, err
	}
	page := &SyncPage{EventID: eventID, Gates: gates, Settings: st, TicketTypes: types, ServerTime: now}
	if len(hs) > limit {
		hs = hs[:limit]
		page.NextCursor = api.EncodeCursor(hs[len(hs)-1].ID)
	}
	if hs == nil {
		hs = []ticket.Holder{}
	}
	page.Tickets = hs
	q := `SELECT ticket_id, inside FROM presence WHERE tenant_id = @tenant AND event_id = ? AND ticket_id > ?`
	args := []any{eventID, after}
	if page.NextCursor != "" {
		q += ` AND ticket_id <= ?`
		args = append(args, hs[len(hs)-1].ID)
	}
	if !since.IsZero() {
		q += ` AND updated_at >= ?`
		args = append(args, since.UTC())
	}
	if err := s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&page.Presence, q+` ORDER BY ticket_id`, args...) }); err != nil {
		return nil, err
	}
	return page, nil
}
