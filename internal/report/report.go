// Package report turns a campaign's aggregates into what an organizer hands
// to a manager: JSON, CSV, XLSX, charts (PNG for the PDF, SVG for pages) and
// a PDF with Korean text.
package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/font"
)

// Source gives the aggregates of a campaign; the campaign service is one.
type Source interface {
	Stats(ctx context.Context, campaignID string) (*campaign.Stats, error)
}

// Config tunes the reports.
type Config struct {
	// FontPath is a TrueType font with Hangul; empty searches font.SearchPath.
	FontPath string
	// Location dates the file names and the PDF (default Asia/Seoul).
	Location *time.Location
}

// Service renders reports.
type Service struct {
	src Source
	cfg Config
	now func() time.Time

	fonts     *font.Korean
	chartMu   sync.Mutex
	chartFont bool // the font is installed for charts
}

// NewService returns the report service.
func NewService(src Source, now func() time.Time, cfg Config) *Service {
	if cfg.Location == nil {
		loc, err := time.LoadLocation("Asia/Seoul")
		if err != nil {
			loc = time.FixedZone("KST", 9*3600)
		}
		cfg.Location = loc
	}
	return &Service{src: src, cfg: cfg, now: now, fonts: font.NewKorean(cfg.FontPath)}
}

// loadFont loads the Korean font once it is first needed, so the server
// starts (and serves JSON, CSV and XLSX) on a machine without it, and
// installs it for charts.
func (s *Service) loadFont() (*font.Faces, error) {
	f, err := s.fonts.Load()
	if err != nil {
		return nil, err
	}
	s.chartMu.Lock()
	defer s.chartMu.Unlock()
	if !s.chartFont {
		if err := installChartFont(f.Regular); err != nil {
			return nil, fault.Wrap(err, fault.FontUnavailable, "the font %s cannot be used for charts; install the Debian package fonts-nanum", f.Path)
		}
		s.chartFont = true
	}
	return f, nil
}

// Stats returns the aggregates of a campaign.
func (s *Service) Stats(ctx context.Context, campaignID string) (*campaign.Stats, error) {
	return s.src.Stats(ctx, campaignID)
}

// File is a rendered report.
type File struct {
	Name        string
	ContentType string
	Body        []byte
}

// Render renders a campaign's report in a format: json, csv, xlsx or pdf.
func (s *Service) Render(ctx context.Context, campaignID, format string) (*File, error) {
	st, err := s.src.Stats(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	base := "event_report_" + s.now().In(s.cfg.Location).Format("20060102")
	switch format {
	case "", "json":
		b, err := json.Marshal(st)
		return &File{Name: base + ".json", ContentType: "application/json", Body: b}, err
	case "csv":
		b, err := CSV(st)
		return &File{Name: base + ".csv", ContentType: "text/csv; charset=utf-8", Body: b}, err
	case "xlsx":
		b, err := XLSX(st)
		return &File{Name: base + ".xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Body: b}, err
	case "pdf":
		faces, err := s.loadFont()
		if err != nil {
			return nil, err
		}
		b, err := PDF(st, faces, s.now().In(s.cfg.Location))
		return &File{Name: base + ".pdf", ContentType: "application/pdf", Body: b}, err
	}
	return nil, fault.Field("format", "must be one of json, csv, xlsx, pdf")
}

// section is one breakdown with its label. Gifts tells whether its groups
// carry gifts sent: only the channel breakdown counts them (see
// campaign.Stats), and a count that was never taken must not read as 0.
type section struct {
	Key, Label string
	Groups     []campaign.Group
	Gifts      bool
}

// sections lists the breakdowns with their labels.
func sections(st *campaign.Stats) []section {
	return []section{
		{"school", "학교별 (by school)", st.BySchool, false},
		{"department", "학과별 (by department)", st.ByDepartment, false},
		{"channel", "채널별 (by channel)", st.ByChannel, true},
		{"hour", "시간대별 (by hour, UTC)", st.ByHour, false},
	}
}

// CSV renders the report as CSV: the totals, then one row per group (the
// gifts_sent cell is empty in sections that do not count gifts). It
// starts with a UTF-8 byte order mark so that spreadsheet programs read
// Korean names correctly.
func CSV(st *campaign.Stats) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.Write([]string{"section", "key", "name", "participants", "successes", "failures", "gifts_sent"})
	w.Write([]string{"total", st.CampaignID, st.CampaignName, strconv.Itoa(st.Participants), strconv.Itoa(st.Successes), strconv.Itoa(st.Failures), strconv.Itoa(st.GiftsSent)})
	for _, sec := range sections(st) {
		for _, g := range sec.Groups {
			gifts := ""
			if sec.Gifts {
				gifts = strconv.Itoa(g.GiftsSent)
			}
			w.Write([]string{sec.Key, g.Key, g.Name, strconv.Itoa(g.Participants), strconv.Itoa(g.Successes), strconv.Itoa(g.Failures), gifts})
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// XLSX renders the report as a workbook: a summary sheet and one sheet per
// breakdown.
func XLSX(st *campaign.Stats) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sum := "Summary"
	f.SetSheetName("Sheet1", sum)
	rows := [][]any{
		{"캠페인 (campaign)", st.CampaignName},
		{"참가자 (participants)", st.Participants},
		{"성공 (successes)", st.Successes},
		{"실패 (failures)", st.Failures},
		{"경품 발송 (gifts sent)", st.GiftsSent},
		{"생성 (generated)", st.GeneratedAt.Format(time.RFC3339)},
	}
	for i, r := range rows {
		if err := f.SetSheetRow(sum, "A"+strconv.Itoa(i+1), &r); err != nil {
			return nil, err
		}
	}
	for _, sec := range sections(st) {
		name := sec.Key
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		head := []any{"key", "name", "participants", "successes", "failures", "gifts_sent"}
		if err := f.SetSheetRow(name, "A1", &head); err != nil {
			return nil, err
		}
		for i, g := range sec.Groups {
			var gifts any // an empty cell where the section does not count gifts
			if sec.Gifts {
				gifts = g.GiftsSent
			}
			r := []any{g.Key, g.Name, g.Participants, g.Successes, g.Failures, gifts}
			if err := f.SetSheetRow(name, "A"+strconv.Itoa(i+2), &r); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return buf.Bytes(), nil
}
