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
