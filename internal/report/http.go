package report

import (
	"context"
	"mime"
)

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
