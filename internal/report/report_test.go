package report_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/font"
	"github.com/usher-events/usher/internal/report"
)

type fixed struct{ st *campaign.Stats }

func (f fixed) Stats(context.Context, string) (*campaign.Stats, error) { return f.st, nil }

func sample() *campaign.Stats {
	t0 := time.Date(2027, 5, 1, 1, 0, 0, 0, time.UTC)
	return &campaign.Stats{
		CampaignID: "cmp_1", CampaignName: "봄 축제 퀴즈 이벤트", StartsAt: t0, EndsAt: t0.Add(48 * time.Hour), Status: "active",
		Participants: 120, Successes: 80, Failures: 40, GiftsSent: 30,
		BySchool:     []campaign.Group{{Key: "sch_1", Name: "서울대학교", Participants: 70, Successes: 50, Failures: 20}, {Key: "sch_2", Name: "부산대학교", Participants: 50, Successes: 30, Failures: 20}},
		ByDepartment: []campaign.Group{{Key: "dep_1", Name: "컴퓨터공학과", Participants: 60}, {Key: "dep_2", Name: "경영학과", Participants: 60}},
		ByChannel:    []campaign.Group{{Key: "instagram", Name: "instagram", Participants: 90}, {Key: "direct", Name: "direct", Participants: 30}},
		ByHour:       []campaign.Group{{Key: "2027-05-01T01:00:00Z", Participants: 20}, {Key: "2027-05-01T02:00:00Z", Participants: 60}, {Key: "2027-05-01T03:00:00Z", Participants: 40}},
	}
}

func TestRenderFormats(t *testing.T) {
	if _, err := font.NewKorean("").Load(); err != nil {
		t.Skip("fonts-nanum is not installed")
	}
	now := time.Date(2027, 5, 2, 15, 30, 0, 0, time.UTC) // 2027-05-03 in Seoul
	s := report.NewService(fixed{sample()}, func() time.Time { return now }, report.Config{})
	for _, format := range []string{"json", "csv", "xlsx", "pdf"} {
		f, err := s.Render(context.Background(), "cmp_1", format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if f.Name != "event_report_20270503."+format {
			t.Errorf("name = %q", f.Name)
		}
		if len(f.Body) == 0 {
			t.Fatalf("%s: empty", format)
		}
		switch format {
		case "pdf":
			if !bytes.HasPrefix(f.Body, []byte("%PDF")) {
				t.Fatalf("not a PDF")
			}
			if out := os.Getenv("USHER_REPORT_OUT"); out != "" {
				os.WriteFile(filepath.Join(out, f.Name), f.Body, 0o644)
			}
		case "csv":
			if !strings.Contains(string(f.Body), "서울대학교") {
				t.Fatalf("csv lacks Korean names: %s", f.Body)
			}
		case "xlsx":
			if !bytes.HasPrefix(f.Body, []byte("PK")) {
				t.Fatalf("not a zip")
			}
		}
	}
	for _, kind := range []string{report.ChartResults, report.ChartSchools, report.ChartHours} {
		svg, err := report.Chart(sample(), kind, "svg")
		if err != nil || !bytes.Contains(svg, []byte("<svg")) {
			t.Fatalf("svg %s: %v", kind, err)
		}
	}
}

func TestMissingFontIsAClearProblem(t *testing.T) {
	s := report.NewService(fixed{sample()}, time.Now, report.Config{FontPath: filepath.Join(t.TempDir(), "none.ttf")})
	_, err := s.Render(context.Background(), "cmp_1", "pdf")
	if !fault.Is(err, fault.FontUnavailable) {
		t.Fatalf("err = %v, want font_unavailable", err)
	}
	var fe *fault.Error
	if !asFault(err, &fe) || !strings.Contains(fe.Message, "fonts-nanum") {
		t.Fatalf("message does not name fonts-nanum: %v", err)
	}
	if _, err := s.Render(context.Background(), "cmp_1", "csv"); err != nil {
		t.Fatalf("csv without the font: %v", err)
	}
}

// TestCountAxisIsWhole: the value axis of a chart of people counts steps
// in whole, round numbers from zero (0, 1, 2 for two people, not 0, 0.4, …;
// 0, 50, 100, 150 for 137).
func TestCountAxisIsWhole(t *testing.T) {
	texts := regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)
	for _, tc := range []struct {
		counts []int
		want   []string
	}{
		{[]int{2, 1}, []string{"0", "1", "2"}},
		{[]int{137, 40}, []string{"0", "50", "100", "150"}},
	} {
		st := &campaign.Stats{}
		for i, n := range tc.counts {
			st.ByChannel = append(st.ByChannel, campaign.Group{Key: fmt.Sprint("ch", i), Name: fmt.Sprint("채널", i), Participants: n})
		}
		svg, err := report.Chart(st, report.ChartChannels, "svg")
		if err != nil {
			t.Fatal(err)
		}
		var labels []string
		for _, m := range texts.FindAllStringSubmatch(string(svg), -1) {
			if _, err := strconv.Atoi(m[1]); err == nil || strings.Contains(m[1], ".") {
				labels = append(labels, m[1])
			}
		}
		for _, w := range tc.want {
			if !slices.Contains(labels, w) {
				t.Errorf("counts %v: the chart's numbers %v lack %s", tc.counts, labels, w)
			}
		}
		for _, l := range labels {
			if strings.Contains(l, ".") {
				t.Errorf("counts %v: a fractional label %s", tc.counts, l)
			}
		}
	}
}
