package order

import (
	"bytes"
	"context"

	"github.com/usher-events/usher/internal/api"
)

// EventPath names an event in a path.
type EventPath struct {
	EventID string `path:"event_id" maxLength:"100"`
}

// OrderPath names an order in a path.
type OrderPath struct {
	OrderID string `path:"order_id" maxLength:"100"`
}

// CreateRequest is the body of POST /v1/events/{event_id}/orders.
type CreateRequest struct {
	EventPath
	Body CreateInput
}

// OrderResponse answers with one order.
type OrderResponse struct{ Body *Order }

// HandleCreate holds tickets for a new order.
func (s *Service) HandleCreate(ctx context.Context, in *CreateRequest) (*OrderResponse, error) {
	return answer(s.Create(ctx, in.EventID, in.Body))
}

// HandleGet returns an order.
func (s *Service) HandleGet(ctx context.Context, in *OrderPath) (*OrderResponse, error) {
	return answer(s.Get(ctx, in.OrderID))
}

// PayRequest is the body of POST /v1/orders/{order_id}/pay.
type PayRequest struct {
	OrderPath
	Body struct {
		Method string `json:"method" enum:"wallet,manual" doc:"wallet: the customer's points; manual: staff mark a bank transfer as received."`
	}
}

// HandlePay pays an order and issues its tickets.
func (s *Service) HandlePay(ctx context.Context, in *PayRequest) (*OrderResponse, error) {
	return answer(s.Pay(ctx, in.OrderID, in.Body.Method))
}

// HandleCancel cancels an order.
func (s *Service) HandleCancel(ctx context.Context, in *OrderPath) (*OrderResponse, error) {
	return answer(s.Cancel(ctx, in.OrderID))
}

// HandleApproveVerification accepts an order's proof.
func (s *Service) HandleApproveVerification(ctx context.Context, in *OrderPath) (*OrderResponse, error) {
	return answer(s.ApproveVerification(ctx, in.OrderID))
}

// HandleRejectVerification refuses an order's proof.
func (s *Service) HandleRejectVerification(ctx context.Context, in *OrderPath) (*OrderResponse, error) {
	return answer(s.RejectVerification(ctx, in.OrderID))
}

func answer(o *Order, err error) (*OrderResponse, error) {
	if err != nil {
		return nil, err
	}
	return &OrderResponse{Body: o}, nil
}

// ListRequest is the query of GET /v1/events/{event_id}/orders.
type ListRequest struct {
	EventPath
	api.PageParams
	Q      string `query:"q" maxLength:"200" doc:"Only orders whose buyer name or email contains this."`
	Status string `query:"status" enum:"held,pending_verification,paid,cancelled,rejected,expired"`
}

// HandleList lists an event's orders.
func (s *Service) HandleList(ctx context.Context, in *ListRequest) (*api.List[Order], error) {
	return s.List(ctx, in.EventID, Filter{Q: in.Q, Status: in.Status}, in.PageParams)
}

// AttendeesRequest is the query of GET /v1/events/{event_id}/attendees.
type AttendeesRequest struct {
	EventPath
	api.PageParams
	Q string `query:"q" maxLength:"200" doc:"Only attendees whose name or email contains this."`
}

// HandleAttendees lists an event's attendees.
func (s *Service) HandleAttendees(ctx context.Context, in *AttendeesRequest) (*api.List[AttendeeRow], error) {
	return s.Attendees(ctx, in.EventID, in.Q, in.PageParams)
}

// CSVResponse is a CSV download.
type CSVResponse struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func csvFile(name string, b []byte, err error) (*CSVResponse, error) {
	if err != nil {
		return nil, err
	}
	return &CSVResponse{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Body: b}, nil
}

// HandleExportOrders downloads an event's orders as CSV.
func (s *Service) HandleExportOrders(ctx context.Context, in *EventPath) (*CSVResponse, error) {
	b, err := s.ExportOrders(ctx, in.EventID)
	return csvFile("orders.csv", b, err)
}

// HandleExportAttendees downloads an event's attendees as CSV.
func (s *Service) HandleExportAttendees(ctx context.Context, in *EventPath) (*CSVResponse, error) {
	b, err := s.ExportAttendees(ctx, in.EventID)
	return csvFile("attendees.csv", b, err)
}

// ImportRequest is the body of POST /v1/events/{event_id}/attendees/import:
// a CSV file whose header names the columns (see ImportAttendees).
type ImportRequest struct {
	EventPath
	RawBody []byte `contentType:"text/csv" doc:"CSV with a header row: name, email, phone, ticket_type or ticket_type_id, then one column per form field."`
}

// ImportResponse answers an import.
type ImportResponse struct{ Body *ImportResult }

// HandleImport creates paid orders with tickets from a CSV file, all or
// nothing; bad rows are a 422 naming each row and column.
func (s *Service) HandleImport(ctx context.Context, in *ImportRequest) (*ImportResponse, error) {
	res, err := s.ImportAttendees(ctx, in.EventID, bytes.NewReader(in.RawBody))
	if err != nil {
		return nil, err
	}
	return &ImportResponse{Body: res}, nil
}
