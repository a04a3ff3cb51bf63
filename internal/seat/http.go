package seat

import (
	"context"
)

// EventPath names an event in a path.
type EventPath struct {
	EventID string `path:"event_id" maxLength:"100"`
}

// CreateRequest is the body of POST /v1/events/{event_id}/seats.
type CreateRequest struct {
	EventPath
	Body struct {
		Seats []NewSeat `json:"seats" minItems:"1" maxItems:"10000"`
	}
}

// CreateResponse says how many seats were created.
type CreateResponse struct {
	Body struct {
		Created int `json:"created"`
	}
}

// HandleCreate adds seats to an event's map.
func (s *Service) HandleCreate(ctx context.Context, in *CreateRequest) (*CreateResponse, error) {
	n, err := s.Create(ctx, in.EventID, in.Body.Seats)
	if err != nil {
		return nil, err
	}
	out := &CreateResponse{}
	out.Body.Created = n
	return out, nil
}

// ListResponse is an event's seats.
type ListResponse struct {
	Body struct {
		Data []Seat `json:"data"`
	}
}

func list(seats []Seat, err error) (*ListResponse, error) {
	if err != nil {
		return nil, err
	}
	out := &ListResponse{}
	out.Body.Data = seats
	if out.Body.Data == nil {
		out.Body.Data = []Seat{}
	}
	return out, nil
}

// HandlePublicList returns a published event's seats with their status.
func (s *Service) HandlePublicList(ctx context.Context, in *EventPath) (*ListResponse, error) {
	return list(s.Public(ctx, in.EventID))
}

// HandleList returns an event's seats for its organizer.
func (s *Service) HandleList(ctx context.Context, in *EventPath) (*ListResponse, error) {
	return list(s.List(ctx, in.EventID))
}

// BestRequest asks for the best adjacent seats.
type BestRequest struct {
	EventPath
	Count        int    `query:"count" minimum:"1" maximum:"20" default:"1"`
	TicketTypeID string `query:"ticket_type_id" maxLength:"100" doc:"Only seats of this ticket type."`
}

// HandleBestAvailable suggests the best count adjacent available seats
// without holding them; order them with seat_ids or best_available.
func (s *Service) HandleBestAvailable(ctx context.Context, in *BestRequest) (*ListResponse, error) {
	return list(s.BestAvailable(ctx, in.EventID, in.TicketTypeID, in.Count, false))
}

// RemoveRequest is DELETE /v1/events/{event_id}/seats.
type RemoveRequest struct {
	EventPath
	Section string `query:"section" required:"true" maxLength:"50" doc:"The section whose seats go."`
	Row     string `query:"row" maxLength:"20" doc:"Only this row of the section."`
}

// RemoveResponse says how many seats were removed.
type RemoveResponse struct {
	Body struct {
		Removed int `json:"removed"`
	}
}

// HandleRemove removes a section's (or a row's) seats that no order held.
func (s *Service) HandleRemove(ctx context.Context, in *RemoveRequest) (*RemoveResponse, error) {
	n, err := s.Remove(ctx, in.EventID, in.Section, in.Row)
	if err != nil {
		return nil, err
	}
	out := &RemoveResponse{}
	out.Body.Removed = n
	return out, nil
}

// RetypeRequest is PATCH /v1/events/{event_id}/seats.
type RetypeRequest struct {
	EventPath
	Section string `query:"section" required:"true" maxLength:"50" doc:"The section whose seats change."`
	Row     string `query:"row" maxLength:"20" doc:"Only this row of the section."`
	Body    struct {
		TicketTypeID string `json:"ticket_type_id" minLength:"1" maxLength:"100" doc:"The event's ticket type the seats are sold as from now on."`
	}
}

// RetypeResponse says how many seats changed.
type RetypeResponse struct {
	Body struct {
		Updated int `json:"updated"`
	}
}

// HandleRetype gives a section's (or a row's) seats another ticket type.
func (s *Service) HandleRetype(ctx context.Context, in *RetypeRequest) (*RetypeResponse, error) {
	n, err := s.Retype(ctx, in.EventID, in.Section, in.Row, in.Body.TicketTypeID)
	if err != nil {
		return nil, err
	}
	out := &RetypeResponse{}
	out.Body.Updated = n
	return out, nil
}
