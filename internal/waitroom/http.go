package waitroom

import "context"

// EventPath names an event in a path.
type EventPath struct {
	EventID string `path:"event_id" maxLength:"100"`
}

// ConfigureRequest is PUT /v1/events/{event_id}/waiting-room.
type ConfigureRequest struct {
	EventPath
	Body Config
}

// RoomResponse answers with a room.
type RoomResponse struct{ Body *Room }

// HandleConfigure sets an event's waiting room.
func (s *Service) HandleConfigure(ctx context.Context, in *ConfigureRequest) (*RoomResponse, error) {
	if _, err := s.Configure(ctx, in.EventID, in.Body); err != nil {
		return nil, err
	}
	r, err := s.Room(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return &RoomResponse{Body: r}, nil
}

// HandleGet returns an event's waiting room with its counts.
func (s *Service) HandleGet(ctx context.Context, in *EventPath) (*RoomResponse, error) {
	r, err := s.Room(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return &RoomResponse{Body: r}, nil
}

// JoinRequest is POST /v1/public/events/{event_id}/queue.
type JoinRequest struct {
	EventPath
	ClientID string `header:"X-Client-Id" maxLength:"200" doc:"A stable id of the browser or customer: joining again with it returns the same token."`
	Body     *struct {
		ClientID string `json:"client_id,omitempty" maxLength:"200" doc:"The same as the X-Client-Id header."`
	} `required:"false"`
}

// StatusResponse answers with a token's status.
type StatusResponse struct {
	CacheControl string `header:"Cache-Control"`
	Body         *Status
}

// HandleJoin queues an arrival.
func (s *Service) HandleJoin(ctx context.Context, in *JoinRequest) (*StatusResponse, error) {
	client := in.ClientID
	if in.Body != nil && in.Body.ClientID != "" {
		client = in.Body.ClientID
	}
	st, err := s.Join(ctx, in.EventID, client)
	if err != nil {
		return nil, err
	}
	return &StatusResponse{CacheControl: "no-store", Body: st}, nil
}

// TokenPath names a queue token in a path.
type TokenPath struct {
	Token string `path:"token" maxLength:"200"`
}

// HandleStatus reports a token's place.
func (s *Service) HandleStatus(ctx context.Context, in *TokenPath) (*StatusResponse, error) {
	st, err := s.Status(ctx, in.Token)
	if err != nil {
		return nil, err
	}
	return &StatusResponse{CacheControl: "no-store", Body: st}, nil
}
