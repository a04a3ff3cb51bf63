package webhook

import (
	"context"

	"github.com/usher-events/usher/internal/api"
)

// EndpointPath names an endpoint.
type EndpointPath struct {
	EndpointID string `path:"endpoint_id" maxLength:"100"`
}

// DeliveryPath names a delivery of an endpoint.
type DeliveryPath struct {
	EndpointPath
	DeliveryID string `path:"delivery_id" maxLength:"100"`
}

// CreateRequest is the body of POST /v1/webhooks.
type CreateRequest struct{ Body Input }

// NewEndpointResponse answers the calls that show a secret.
type NewEndpointResponse struct{ Body *NewEndpoint }

// EndpointResponse answers with one endpoint.
type EndpointResponse struct{ Body *Endpoint }

// UpdateRequest is PATCH /v1/webhooks/{endpoint_id}.
type UpdateRequest struct {
	EndpointPath
	Body Input
}

// ListRequest pages through endpoints.
type ListRequest struct{ api.PageParams }

// DeliveriesRequest pages through an endpoint's deliveries.
type DeliveriesRequest struct {
	EndpointPath
	api.PageParams
	Status string `query:"status" enum:"pending,retrying,succeeded,failed,cancelled" doc:"Only deliveries with this status."`
}

// DeliveryResponse answers with one delivery.
type DeliveryResponse struct{ Body *Delivery }

// KindsResponse lists the event kinds.
type KindsResponse struct {
	Body struct {
		Data []string `json:"data"`
	}
}

// HandleCreate registers an endpoint.
func (s *Service) HandleCreate(ctx context.Context, in *CreateRequest) (*NewEndpointResponse, error) {
	e, err := s.Create(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &NewEndpointResponse{Body: e}, nil
}

// HandleList lists endpoints.
func (s *Service) HandleList(ctx context.Context, in *ListRequest) (*api.List[Endpoint], error) {
	return s.List(ctx, in.PageParams)
}

// HandleGet returns an endpoint.
func (s *Service) HandleGet(ctx context.Context, in *EndpointPath) (*EndpointResponse, error) {
	e, err := s.Get(ctx, in.EndpointID)
	if err != nil {
		return nil, err
	}
	return &EndpointResponse{Body: e}, nil
}

// HandleUpdate changes an endpoint.
func (s *Service) HandleUpdate(ctx context.Context, in *UpdateRequest) (*EndpointResponse, error) {
	e, err := s.Update(ctx, in.EndpointID, in.Body)
	if err != nil {
		return nil, err
	}
	return &EndpointResponse{Body: e}, nil
}

// HandleDelete removes an endpoint.
func (s *Service) HandleDelete(ctx context.Context, in *EndpointPath) (*struct{}, error) {
	return nil, s.Delete(ctx, in.EndpointID)
}

// HandleRotate gives an endpoint a new secret.
func (s *Service) HandleRotate(ctx context.Context, in *EndpointPath) (*NewEndpointResponse, error) {
	e, err := s.RotateSecret(ctx, in.EndpointID)
	if err != nil {
		return nil, err
	}
	return &NewEndpointResponse{Body: e}, nil
}

// HandlePing sends a test delivery.
func (s *Service) HandlePing(ctx context.Context, in *EndpointPath) (*DeliveryResponse, error) {
	d, err := s.Ping(ctx, in.EndpointID)
	if err != nil {
		return nil, err
	}
	return &DeliveryResponse{Body: d}, nil
}

// HandleDeliveries lists an endpoint's deliveries.
func (s *Service) HandleDeliveries(ctx context.Context, in *DeliveriesRequest) (*api.List[Delivery], error) {
	return s.Deliveries(ctx, in.EndpointID, in.Status, in.PageParams)
}

// HandleDelivery returns one delivery with its attempts.
func (s *Service) HandleDelivery(ctx context.Context, in *DeliveryPath) (*DeliveryResponse, error) {
	d, err := s.Delivery(ctx, in.EndpointID, in.DeliveryID)
	if err != nil {
		return nil, err
	}
	return &DeliveryResponse{Body: d}, nil
}

// HandleRedeliver sends a delivery again.
func (s *Service) HandleRedeliver(ctx context.Context, in *DeliveryPath) (*DeliveryResponse, error) {
	d, err := s.Redeliver(ctx, in.EndpointID, in.DeliveryID)
	if err != nil {
		return nil, err
	}
	return &DeliveryResponse{Body: d}, nil
}

// HandleKinds lists the event kinds an endpoint may subscribe to.
func (s *Service) HandleKinds(context.Context, *struct{}) (*KindsResponse, error) {
	out := &KindsResponse{}
	out.Body.Data = append([]string{}, Kinds...)
	return out, nil
}
