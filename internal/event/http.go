package event

import (
	"context"

	"github.com/usher-events/usher/internal/api"
)

// CreateRequest is the body of POST /v1/events.
type CreateRequest struct{ Body CreateInput }

// EventResponse answers with one event.
type EventResponse struct{ Body *Event }

// HandleCreate creates an event.
func (s *Service) HandleCreate(ctx context.Context, in *CreateRequest) (*EventResponse, error) {
	e, err := s.Create(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &EventResponse{Body: e}, nil
}

// EventPath names an event in a path.
type EventPath struct {
	EventID string `path:"event_id" maxLength:"100"`
}

// HandleGet returns an event.
func (s *Service) HandleGet(ctx context.Context, in *EventPath) (*EventResponse, error) {
	e, err := s.Get(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return &EventResponse{Body: e}, nil
}

// ListRequest is the query of GET /v1/events.
type ListRequest struct{ api.PageParams }

// HandleList lists events.
func (s *Service) HandleList(ctx context.Context, in *ListRequest) (*api.List[Event], error) {
	return s.List(ctx, in.PageParams)
}

// HandlePublish publishes a draft event.
func (s *Service) HandlePublish(ctx context.Context, in *EventPath) (*EventResponse, error) {
	return s.move(ctx, in.EventID, Publish)
}

// HandleCloseSales stops sales of a published event.
func (s *Service) HandleCloseSales(ctx context.Context, in *EventPath) (*EventResponse, error) {
	return s.move(ctx, in.EventID, CloseSales)
}

// HandleReopenSales resumes sales of an event whose sales were closed.
func (s *Service) HandleReopenSales(ctx context.Context, in *EventPath) (*EventResponse, error) {
	return s.move(ctx, in.EventID, ReopenSales)
}

// HandleFinish marks an event as over.
func (s *Service) HandleFinish(ctx context.Context, in *EventPath) (*EventResponse, error) {
	return s.move(ctx, in.EventID, Finish)
}

// HandleCancel cancels an event with its orders.
func (s *Service) HandleCancel(ctx context.Context, in *EventPath) (*EventResponse, error) {
	return s.move(ctx, in.EventID, Cancel)
}

func (s *Service) move(ctx context.Context, eventID string, t Transition) (*EventResponse, error) {
	e, err := s.Move(ctx, eventID, t)
	if err != nil {
		return nil, err
	}
	return &EventResponse{Body: e}, nil
}

// PatchRequest is the body of PATCH /v1/events/{event_id}.
type PatchRequest struct {
	EventPath
	Body Update
}

// HandlePatch changes an event's fields.
func (s *Service) HandlePatch(ctx context.Context, in *PatchRequest) (*EventResponse, error) {
	e, err := s.Patch(ctx, in.EventID, in.Body)
	if err != nil {
		return nil, err
	}
	return &EventResponse{Body: e}, nil
}

// CreateTicketTypeRequest is the body of POST /v1/events/{event_id}/ticket-types.
type CreateTicketTypeRequest struct {
	EventPath
	Body TicketTypeInput
}

// TicketTypeResponse answers with one ticket type.
type TicketTypeResponse struct{ Body *TicketType }

// HandleCreateTicketType adds a ticket type to an event.
func (s *Service) HandleCreateTicketType(ctx context.Context, in *CreateTicketTypeRequest) (*TicketTypeResponse, error) {
	t, err := s.CreateTicketType(ctx, in.EventID, in.Body)
	if err != nil {
		return nil, err
	}
	return &TicketTypeResponse{Body: t}, nil
}

// PatchTicketTypeRequest is PATCH /v1/ticket-types/{ticket_type_id}.
type PatchTicketTypeRequest struct {
	TicketTypeID string `path:"ticket_type_id" maxLength:"100"`
	Body         TicketTypeUpdate
}

// HandlePatchTicketType changes a ticket type.
func (s *Service) HandlePatchTicketType(ctx context.Context, in *PatchTicketTypeRequest) (*TicketTypeResponse, error) {
	t, err := s.PatchTicketType(ctx, in.TicketTypeID, in.Body)
	if err != nil {
		return nil, err
	}
	return &TicketTypeResponse{Body: t}, nil
}

// TicketTypesResponse lists an event's ticket types.
type TicketTypesResponse struct {
	Body struct {
		Data []TicketType `json:"data"`
	}
}

// HandleListTicketTypes lists an event's ticket types with availability.
func (s *Service) HandleListTicketTypes(ctx context.Context, in *EventPath) (*TicketTypesResponse, error) {
	types, err := s.ListTicketTypes(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	out := &TicketTypesResponse{}
	out.Body.Data = types
	return out, nil
}

// CreateSessionRequest is the body of POST /v1/events/{event_id}/sessions.
type CreateSessionRequest struct {
	EventPath
	Body SessionInput
}

// SessionResponse answers with one session.
type SessionResponse struct{ Body *Session }

// HandleCreateSession adds a session to an event.
func (s *Service) HandleCreateSession(ctx context.Context, in *CreateSessionRequest) (*SessionResponse, error) {
	ss, err := s.CreateSession(ctx, in.EventID, in.Body)
	if err != nil {
		return nil, err
	}
	return &SessionResponse{Body: ss}, nil
}

// SessionsResponse lists an event's sessions.
type SessionsResponse struct {
	Body struct {
		Data []Session `json:"data"`
	}
}

// HandleListSessions lists an event's sessions with seats taken.
func (s *Service) HandleListSessions(ctx context.Context, in *EventPath) (*SessionsResponse, error) {
	sessions, err := s.ListSessions(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	out := &SessionsResponse{}
	out.Body.Data = sessions
	return out, nil
}

// SetFormRequest is the body of PUT /v1/events/{event_id}/form.
type SetFormRequest struct {
	EventPath
	Body Form
}

// FormResponse answers with a registration form.
type FormResponse struct{ Body *Form }

// HandleSetForm replaces an event's registration form.
func (s *Service) HandleSetForm(ctx context.Context, in *SetFormRequest) (*FormResponse, error) {
	f, err := s.SetForm(ctx, in.EventID, in.Body)
	if err != nil {
		return nil, err
	}
	return &FormResponse{Body: f}, nil
}

// HandleGetForm returns an event's registration form.
func (s *Service) HandleGetForm(ctx context.Context, in *EventPath) (*FormResponse, error) {
	f, err := s.GetForm(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return &FormResponse{Body: f}, nil
}

// PublicEventResponse answers with an event as anyone sees it.
type PublicEventResponse struct{ Body *PublicEvent }

// HandlePublicGet returns a published event with its ticket types and
// availability.
func (s *Service) HandlePublicGet(ctx context.Context, in *EventPath) (*PublicEventResponse, error) {
	e, err := s.Public(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return &PublicEventResponse{Body: e}, nil
}
