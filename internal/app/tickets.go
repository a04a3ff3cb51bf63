package app

import (
	"context"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/ticket"
)

// ticketIssuer lets the order domain issue and revoke tickets: the two
// domains define the same request types without importing each other, and
// this adapter converts between them.
type ticketIssuer struct{ t *ticket.Service }

func (i ticketIssuer) Issue(tx *db.Tx, in order.IssueRequest) ([]order.IssuedTicket, error) {
	req := ticket.IssueRequest{OrderID: in.OrderID, EventID: in.EventID, EventStartsAt: in.EventStartsAt, EventEndsAt: in.EventEndsAt}
	req.Items = make([]ticket.IssueItem, len(in.Items))
	for k, it := range in.Items {
		req.Items[k] = ticket.IssueItem(it)
	}
	issued, err := i.t.Issue(tx, req)
	if err != nil {
		return nil, err
	}
	out := make([]order.IssuedTicket, len(issued))
	for k, it := range issued {
		out[k] = order.IssuedTicket(it)
	}
	return out, nil
}

func (i ticketIssuer) RevokeOrder(tx *db.Tx, orderID string) error {
	return i.t.RevokeOrder(tx, orderID)
}

// ticketCatalog tells the ticket domain what a ticket shows of its event.
type ticketCatalog struct{ e *event.Service }

func (c ticketCatalog) TicketEvent(ctx context.Context, eventID, ticketTypeID string) (ticket.EventInfo, error) {
	ev, err := c.e.Get(ctx, eventID)
	if err != nil {
		return ticket.EventInfo{}, err
	}
	info := ticket.EventInfo{Name: ev.Name, Venue: ev.Venue, Timezone: ev.Timezone, StartsAt: ev.StartsAt, EndsAt: ev.EndsAt}
	if ticketTypeID == "" {
		return info, nil
	}
	types, err := c.e.ListTicketTypes(ctx, eventID)
	if err != nil {
		return ticket.EventInfo{}, err
	}
	for _, tt := range types {
		if tt.ID == ticketTypeID {
			info.TicketTypeName = tt.Name
		}
	}
	return info, nil
}

// eventExists lets the waiting room check an event without knowing the
// event domain.
type eventExists struct{ events *event.Service }

func (e eventExists) Exists(ctx context.Context, eventID string) error {
	_, err := e.events.Get(ctx, eventID)
	return err
}
