package privacy

import (
	"context"

	"github.com/usher-events/usher/internal/fault"
)

// ExportRequest is the body of POST /v1/personal-data/export.
type ExportRequest struct{ Body Request }

// ExportResponse answers it.
type ExportResponse struct{ Body *Export }

// EraseRequest is the body of POST /v1/personal-data/erase.
type EraseRequest struct {
	Body struct {
		Request
		Confirm bool `json:"confirm" doc:"Must be true: erasure cannot be undone."`
	}
}

// EraseResponse answers it.
type EraseResponse struct{ Body *Erasure }

// HandleExport exports what the organization holds about a person.
func (s *Service) HandleExport(ctx context.Context, in *ExportRequest) (*ExportResponse, error) {
	e, err := s.Export(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &ExportResponse{Body: e}, nil
}

// HandleErase erases it.
func (s *Service) HandleErase(ctx context.Context, in *EraseRequest) (*EraseResponse, error) {
	if !in.Body.Confirm {
		return nil, fault.Field("confirm", "must be true: erasure cannot be undone")
	}
	e, err := s.Erase(ctx, in.Body.Request)
	if err != nil {
		return nil, err
	}
	return &EraseResponse{Body: e}, nil
}

// SettingsResponse answers GET and PUT /v1/settings/privacy.
type SettingsResponse struct{ Body *Settings }

// SettingsRequest is the body of PUT /v1/settings/privacy.
type SettingsRequest struct {
	Body struct {
		RetentionDays int `json:"retention_days" minimum:"0" maximum:"3650" doc:"0 keeps personal data until erased by hand; otherwise 30 to 3650 days."`
	}
}

// HandleGetSettings returns the tenant's privacy settings.
func (s *Service) HandleGetSettings(ctx context.Context, _ *struct{}) (*SettingsResponse, error) {
	out, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &SettingsResponse{Body: out}, nil
}

// HandlePutSettings sets them.
func (s *Service) HandlePutSettings(ctx context.Context, in *SettingsRequest) (*SettingsResponse, error) {
	out, err := s.SetRetention(ctx, in.Body.RetentionDays)
	if err != nil {
		return nil, err
	}
	return &SettingsResponse{Body: out}, nil
}
