package notify

import (
	"context"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
)

// TemplatePath names a template in a path.
type TemplatePath struct {
	Kind string `path:"kind" enum:"confirmation,payment_received,reminder_d7,reminder_d1,thank_you_d1,participation_confirmation,participation_result,draw_winner"`
	Lang string `path:"lang" enum:"ko,en"`
}

// TemplateResponse answers with one template.
type TemplateResponse struct{ Body *Template }

// HandleGetTemplate returns a template.
func (s *Service) HandleGetTemplate(ctx context.Context, in *TemplatePath) (*TemplateResponse, error) {
	t, err := s.Template(ctx, in.Kind, in.Lang)
	if err != nil {
		return nil, err
	}
	return &TemplateResponse{Body: t}, nil
}

// TemplateInput is the body of PUT /v1/message-templates/{kind}/{lang}.
type TemplateInput struct {
	Subject string `json:"subject" maxLength:"300" doc:"text/template; empty only for SMS kinds."`
	Body    string `json:"body" minLength:"1" maxLength:"20000" doc:"text/template, e.g. {{.BuyerName}}."`
}

// PutTemplateRequest overrides a template.
type PutTemplateRequest struct {
	TemplatePath
	Body TemplateInput
}

// HandlePutTemplate saves a tenant's template.
func (s *Service) HandlePutTemplate(ctx context.Context, in *PutTemplateRequest) (*TemplateResponse, error) {
	t, err := s.SaveTemplate(ctx, in.Kind, in.Lang, in.Body.Subject, in.Body.Body)
	if err != nil {
		return nil, err
	}
	return &TemplateResponse{Body: t}, nil
}

// PreviewInput is the body of a preview: a draft, or nothing to preview the
// saved template.
type PreviewInput struct {
	Subject string `json:"subject,omitempty" maxLength:"300"`
	Body    string `json:"body,omitempty" maxLength:"20000"`
}

// PreviewRequest renders a template on sample data.
type PreviewRequest struct {
	TemplatePath
	Body *PreviewInput `required:"false"`
}

// PreviewResponse is a rendered message.
type PreviewResponse struct {
	Body struct {
		Subject string `json:"subject"`
		Body    string `json:"body"`
	}
}

// HandlePreview renders a template on sample data.
func (s *Service) HandlePreview(ctx context.Context, in *PreviewRequest) (*PreviewResponse, error) {
	var subj, body string
	if in.Body != nil {
		subj, body = in.Body.Subject, in.Body.Body
	}
	subj, body, err := s.Preview(ctx, in.Kind, in.Lang, subj, body)
	if err != nil {
		return nil, err
	}
	out := &PreviewResponse{}
	out.Body.Subject, out.Body.Body = subj, body
	return out, nil
}

// ListMessagesRequest is the query of GET /v1/messages.
type ListMessagesRequest struct {
	api.PageParams
	Status string `query:"status" maxLength:"20" doc:"Only messages with this status: sending, sent, outbox or failed."`
	Kind   string `query:"kind" maxLength:"50" doc:"Only messages of this kind."`
}

// HandleListMessages lists the tenant's sent messages and its outbox.
func (s *Service) HandleListMessages(ctx context.Context, in *ListMessagesRequest) (*api.List[Message], error) {
	switch in.Status {
	case "", StatusSending, StatusSent, StatusOutbox, StatusFailed:
	default:
		return nil, fault.Field("status", "must be sending, sent, outbox or failed")
	}
	return s.ListMessages(ctx, MessageFilter{Status: in.Status, Kind: in.Kind}, in.PageParams)
}
