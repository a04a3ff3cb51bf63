package gate

import (
	"context"
	"time"

	"github.com/usher-events/usher/internal/api"
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
	// ServerTime is when this page was read; pass it (minus a margin for
	// transactions that commit late) as since on the next sync.
	ServerTime time.Time `json:"server_time"`
	NextCursor string    `json:"next_cursor,omitempty"`
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
	return page, nil
}
