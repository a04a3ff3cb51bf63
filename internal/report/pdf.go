package report

import (
	"fmt"
	"strconv"
	"time"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/image"
	"github.com/johnfercher/maroto/v2/pkg/components/page"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/extension"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/fontrepository"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/font"
)

// pdfFont is the family the Korean font is registered under in the PDF.
const pdfFont = "nanum"

// PDF renders the report as an A4 PDF with the totals, the charts and the
// tables, all text in the Korean font's faces.
func PDF(st *campaign.Stats, faces *font.Faces, at time.Time) ([]byte, error) {
	fonts, err := fontrepository.New().
		AddUTF8FontFromBytes(pdfFont, fontstyle.Normal, faces.Regular).
		AddUTF8FontFromBytes(pdfFont, fontstyle.Bold, faces.Bold).
		Load()
	if err != nil {
		return nil, fmt.Errorf("pdf font: %w", err)
	}
	cfg := config.NewBuilder().WithCustomFonts(fonts).
		WithDefaultFont(&props.Font{Family: pdfFont, Size: 10}).
		WithLeftMargin(15).WithRightMargin(15).WithTopMargin(15).Build()
	m := maroto.New(cfg)

	title := props.Text{Family: pdfFont, Size: 18, Style: fontstyle.Bold}
	small := props.Text{Family: pdfFont, Size: 9, Color: &props.Color{Red: 90, Green: 90, Blue: 90}}
	m.AddRows(
		text.NewRow(10, "캠페인 결과 보고서 — "+st.CampaignName, title),
		text.NewRow(6, fmt.Sprintf("기간 %s ~ %s · 상태 %s · 작성 %s", st.StartsAt.In(at.Location()).Format("2006-01-02 15:04"),
			st.EndsAt.In(at.Location()).Format("2006-01-02 15:04"), st.Status, at.Format("2006-01-02 15:04 MST")), small),
	)
	m.AddRows(row.New(4))
	box := props.Text{Family: pdfFont, Size: 12, Align: align.Center, Style: fontstyle.Bold}
	label := props.Text{Family: pdfFont, Size: 9, Align: align.Center}
	m.AddRow(6,
		text.NewCol(3, "참가자", label), text.NewCol(3, "성공", label), text.NewCol(3, "실패", label), text.NewCol(3, "경품 발송", label))
	m.AddRow(9,
		text.NewCol(3, strconv.Itoa(st.Participants), box), text.NewCol(3, strconv.Itoa(st.Successes), box),
		text.NewCol(3, strconv.Itoa(st.Failures), box), text.NewCol(3, strconv.Itoa(st.GiftsSent), box))

	for _, kind := range []string{ChartResults, ChartSchools, ChartDepartments, ChartChannels, ChartHours} {
		png, err := Chart(st, kind, "png")
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", kind, err)
		}
		// 80 mm a chart: two fit under the totals on the first page and
		// three on the next, rather than two per page with a gap below.
		m.AddRows(row.New(80).Add(image.NewFromBytesCol(12, png, extension.Png, props.Rect{Center: true, Percent: 100})))
	}

	head := props.Text{Family: pdfFont, Size: 9, Style: fontstyle.Bold}
	headNum := props.Text{Family: pdfFont, Size: 9, Style: fontstyle.Bold, Align: align.Right}
	cell := props.Text{Family: pdfFont, Size: 9}
	num := props.Text{Family: pdfFont, Size: 9, Align: align.Right}
	// The tables start on a page of their own, so that a section's heading
	// is never left at the foot of the chart pages without its rows.
	var tables []core.Row
	for _, sec := range sections(st) {
		tables = append(tables, row.New(4), text.NewRow(8, sec.Label, props.Text{Family: pdfFont, Size: 12, Style: fontstyle.Bold}),
			row.New(6).Add(text.NewCol(6, "이름", head), text.NewCol(2, "참가자", headNum), text.NewCol(2, "성공", headNum), text.NewCol(2, "실패", headNum)))
		for _, g := range sec.Groups {
			name := g.Name
			if name == "" {
				name = g.Key
			}
			tables = append(tables, row.New(5).Add(
				text.NewCol(6, name, cell), text.NewCol(2, strconv.Itoa(g.Participants), num),
				text.NewCol(2, strconv.Itoa(g.Successes), num), text.NewCol(2, strconv.Itoa(g.Failures), num)))
		}
	}
	m.AddPages(page.New().Add(tables...))
	doc, err := m.Generate()
	if err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	return doc.GetBytes(), nil
}
