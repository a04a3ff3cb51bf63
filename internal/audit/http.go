package audit

import (
	"context"
	"time"

	"github.com/usher-events/usher/internal/api"
)

// ListInput is the query of GET /v1/audit-log.
type ListInput struct {
	api.PageParams
	Actor  string    `query:"actor" maxLength:"256" doc:"Only entries by this user or API key id."`
	Action string    `query:"action" maxLength:"256" doc:"Only entries of this action, such as create-event or auth.login_failed."`
	Target string    `query:"target" maxLength:"256" doc:"Only entries about this object id."`
	Since  time.Time `query:"since" doc:"Only entries at or after this time (RFC 3339)."`
	Until  time.Time `query:"until" doc:"Only entries before this time (RFC 3339)."`
}

// ListHandler serves GET /v1/audit-log.
func (s *Service) ListHandler(ctx context.Context, in *ListInput) (*api.List[Entry], error) {
	var f Filter
	if in.Actor != "" {
		f.Actor = &in.Actor
	}
	if in.Action != "" {
		f.Action = &in.Action
	}
	if in.Target != "" {
		f.Target = &in.Target
	}
	if !in.Since.IsZero() {
		f.Since = &in.Since
	}
	if !in.Until.IsZero() {
		f.Until = &in.Until
	}
	return s.List(ctx, f, in.PageParams)
}
