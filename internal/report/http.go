package report

import (
	"context"
	"mime"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/campaign"
)

// Operation documents op's answers per format: the report's JSON, or the
// file of a CSV, XLSX or PDF download.
func Operation(a huma.API, op huma.Operation) huma.Operation {
	file := func() *huma.MediaType {
		return &huma.MediaType{Schema: &huma.Schema{Type: huma.TypeString, Format: "binary"}}
	}
	op.Responses = map[string]*huma.Response{"200": {
		Description: "The report: JSON inline (format=json), or a download named event_report_YYYYMMDD.<ext>",
		Headers: map[string]*huma.Param{
			"Content-Disposition": {Schema: &huma.Schema{Type: huma.TypeString}, Description: "attachment; filename=… for csv, xlsx and pdf"},
		},
		Content: map[string]*huma.MediaType{
			"application/json": {Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(campaign.Stats{}), true, "")},
			"text/csv":         file(),
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": file(),
			"application/pdf": file(),
		},
	}}
	return op
}

// ReportRequest asks for a campaign's report.
type ReportRequest struct {
	CampaignID string `path:"campaign_id" maxLength:"100"`
	Format     string `query:"format" enum:"json,csv,xlsx,pdf" default:"json"`
}

// FileResponse is a rendered report.
type FileResponse struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	CacheControl       string `header:"Cache-Control"`
	Body               []byte
}

// HandleReport renders a campaign's report. JSON is shown inline; the other
// formats download as event_report_YYYYMMDD.<ext>.
func (s *Service) HandleReport(ctx context.Context, in *ReportRequest) (*FileResponse, error) {
	f, err := s.Render(ctx, in.CampaignID, in.Format)
	if err != nil {
		return nil, err
	}
	out := &FileResponse{ContentType: f.ContentType, CacheControl: "no-store", Body: f.Body}
	if in.Format != "json" && in.Format != "" {
		out.ContentDisposition = mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})
	}
	return out, nil
}
