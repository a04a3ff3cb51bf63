package ticket

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/api"
)

// EventPath names an event in a path.
type EventPath struct {
	EventID string `path:"event_id" maxLength:"100"`
}

// KeysResponse lists an event's public keys.
type KeysResponse struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Keys []Key `json:"keys"`
	}
}

func keysResponse(keys []Key, cache string) *KeysResponse {
	out := &KeysResponse{CacheControl: cache}
	out.Body.Keys = keys
	return out
}

// HandlePublicKeys publishes an event's public keys for gates.
func (s *Service) HandlePublicKeys(ctx context.Context, in *EventPath) (*KeysResponse, error) {
	keys, err := s.PublicKeys(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	// Short: a rotated key must reach gates soon.
	return keysResponse(keys, "public, max-age=60"), nil
}

// HandleKeys lists an event's public keys for its tenant (also before any
// ticket exists, as an empty list).
func (s *Service) HandleKeys(ctx context.Context, in *EventPath) (*KeysResponse, error) {
	keys, err := s.Keys(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return keysResponse(keys, "no-store"), nil
}

// KeyResponse answers with one key.
type KeyResponse struct{ Body Key }

// HandleRotateKey makes a new signing key for an event.
func (s *Service) HandleRotateKey(ctx context.Context, in *EventPath) (*KeyResponse, error) {
	k, err := s.RotateKey(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, in.EventID)
	return &KeyResponse{Body: k}, nil
}

// KeyPath names one key of an event.
type KeyPath struct {
	EventID string `path:"event_id" maxLength:"100"`
	KID     string `path:"kid" maxLength:"100"`
}

// HandleRemoveKey deletes a retired key.
func (s *Service) HandleRemoveKey(ctx context.Context, in *KeyPath) (*struct{}, error) {
	if err := s.RemoveKey(ctx, in.EventID, in.KID); err != nil {
		return nil, err
	}
	api.SetTarget(ctx, in.EventID)
	return &struct{}{}, nil
}

// RevocationsRequest is the query of the revocation list.
type RevocationsRequest struct {
	EventID string    `path:"event_id" maxLength:"100"`
	Since   time.Time `query:"since" doc:"RFC 3339; only revocations at or after this time. Gates pass the newest revoked_at they hold minus a few minutes and merge by ticket_id."`
	api.PageParams
}

// HandleRevocations lists an event's revoked tickets.
func (s *Service) HandleRevocations(ctx context.Context, in *RevocationsRequest) (*api.List[Revocation], error) {
	return s.Revocations(ctx, in.EventID, in.Since, in.PageParams)
}

// TicketPath names a ticket in a public path.
type TicketPath struct {
	TicketID string `path:"ticket_id" maxLength:"100"`
}

// FileResponse is a binary answer: an image, a PDF or a calendar file.
type FileResponse struct {
	ContentType        string `header:"Content-Type"`
	CacheControl       string `header:"Cache-Control"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// Binary declares an operation's binary answer in the OpenAPI document.
func Binary(contentType string, o huma.Operation) huma.Operation {
	o.Responses = map[string]*huma.Response{
		"200": {
			Description: "OK",
			Content: map[string]*huma.MediaType{
				contentType: {Schema: &huma.Schema{Type: "string", Format: "binary"}},
			},
		},
	}
	return o
}

// Caching, always "private", because the URL is the ticket. A QR depends
// only on the ticket's code, which never changes, but it is served only
// while the ticket is valid (a revoked ticket's is 410 ticket_revoked), so a
// browser may keep it for a few minutes, not for good. A PDF and a calendar
// file show the ticket's status and the event's details, which change, so
// they are revalidated each time.
const (
	cacheQR      = "private, max-age=300"
	cacheRecheck = "private, no-cache"
)

// public resolves a public ticket's owner and runs fn in the owner's scope.
func (s *Service) public(ctx context.Context, ticketID string, fn func(context.Context) ([]byte, error)) ([]byte, error) {
	sctx, err := s.resolve(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	return fn(sctx)
}

// HandleQRPNG serves a ticket's QR as PNG; a revoked ticket's is 410
// ticket_revoked.
func (s *Service) HandleQRPNG(ctx context.Context, in *TicketPath) (*FileResponse, error) {
	b, err := s.public(ctx, in.TicketID, func(c context.Context) ([]byte, error) { return s.QRPNG(c, in.TicketID) })
	if err != nil {
		return nil, err
	}
	return &FileResponse{ContentType: "image/png", CacheControl: cacheQR, Body: b}, nil
}

// HandleQRSVG serves a ticket's QR as SVG; a revoked ticket's is 410
// ticket_revoked.
func (s *Service) HandleQRSVG(ctx context.Context, in *TicketPath) (*FileResponse, error) {
	b, err := s.public(ctx, in.TicketID, func(c context.Context) ([]byte, error) { return s.QRSVG(c, in.TicketID) })
	if err != nil {
		return nil, err
	}
	return &FileResponse{ContentType: "image/svg+xml", CacheControl: cacheQR, Body: b}, nil
}

// HandlePDF serves a ticket as PDF.
func (s *Service) HandlePDF(ctx context.Context, in *TicketPath) (*FileResponse, error) {
	b, err := s.public(ctx, in.TicketID, func(c context.Context) ([]byte, error) { return s.PDF(c, in.TicketID) })
	if err != nil {
		return nil, err
	}
	return &FileResponse{
		ContentType: "application/pdf", CacheControl: cacheRecheck,
		ContentDisposition: `inline; filename="ticket-` + in.TicketID + `.pdf"`, Body: b,
	}, nil
}

// HandleICS serves a ticket's event as an iCalendar file.
func (s *Service) HandleICS(ctx context.Context, in *TicketPath) (*FileResponse, error) {
	b, err := s.public(ctx, in.TicketID, func(c context.Context) ([]byte, error) { return s.ICS(c, in.TicketID) })
	if err != nil {
		return nil, err
	}
	return &FileResponse{
		ContentType: "text/calendar; charset=utf-8", CacheControl: cacheRecheck,
		ContentDisposition: `attachment; filename="ticket-` + in.TicketID + `.ics"`, Body: b,
	}, nil
}
