package ticket

import (
	"context"
	"fmt"
	"time"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/col"
	"github.com/johnfercher/maroto/v2/pkg/components/image"
	"github.com/johnfercher/maroto/v2/pkg/components/line"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/extension"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/consts/pagesize"
	"github.com/johnfercher/maroto/v2/pkg/fontrepository"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/usher-events/usher/internal/font"
	"github.com/usher-events/usher/internal/tz"
)

// fontFamily is the name the PDF uses for the Korean font.
const fontFamily = "nanumgothic"

// PDF returns a ticket of the tenant of ctx as a one-page PDF: event, date
// and time in the event's time zone, venue, attendee, ticket type, seat and
// the QR. A revoked ticket still renders, under a red "revoked" banner, so
// that the holder learns why the gate will refuse it, but without its QR:
// a revoked ticket hands out no code to scan.
func (s *Service) PDF(ctx context.Context, ticketID string) ([]byte, error) {
	fonts, err := s.fonts.Load()
	if err != nil {
		return nil, err
	}
	t, ev, err := s.withEvent(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	var qrPNG []byte
	if t.Status != StatusRevoked {
		if qrPNG, err = QRCodePNG(t.Code); err != nil {
			return nil, err
		}
	}
	return renderPDF(fonts, t, ev, qrPNG, s.now())
}

var (
	gray  = &props.Color{Red: 110, Green: 110, Blue: 110}
	red   = &props.Color{Red: 200, Green: 30, Blue: 30}
	white = &props.Color{Red: 255, Green: 255, Blue: 255}
)

// renderPDF lays the ticket out; a nil qrPNG leaves the QR out.
func renderPDF(fonts *font.Faces, t *Ticket, ev EventInfo, qrPNG []byte, now time.Time) ([]byte, error) {
	custom, err := fontrepository.New().
		AddUTF8FontFromBytes(fontFamily, fontstyle.Normal, fonts.Regular).
		AddUTF8FontFromBytes(fontFamily, fontstyle.Bold, fonts.Bold).
		Load()
	if err != nil {
		return nil, fmt.Errorf("ticket pdf: load font: %w", err)
	}
	cfg := config.NewBuilder().
		WithPageSize(pagesize.A4).
		WithLeftMargin(15).WithRightMargin(15).WithTopMargin(15).
		WithCustomFonts(custom).
		WithDefaultFont(&props.Font{Family: fontFamily, Style: fontstyle.Normal, Size: 11}).
		WithTitle(ev.Name, true).
		WithCreator("Usher", true).
		WithCreationDate(now).
		Build()
	m := maroto.New(cfg)

	if t.Status == StatusRevoked {
		m.AddRows(row.New(14).Add(
			text.NewCol(12, "취소된 티켓 · REVOKED — 이 티켓으로는 입장할 수 없습니다 / not valid for entry",
				props.Text{Size: 12, Style: fontstyle.Bold, Color: white, Align: align.Center, Top: 4}),
		).WithStyle(&props.Cell{BackgroundColor: red}))
		m.AddRow(4)
	}
	m.AddRows(
		text.NewRow(8, "USHER TICKET · 입장권", props.Text{Size: 9, Color: gray, Style: fontstyle.Bold}),
		text.NewAutoRow(ev.Name, props.Text{Size: 20, Style: fontstyle.Bold}),
		row.New(4),
		line.NewRow(1, props.Line{Color: gray, Thickness: 0.3}),
		row.New(4),
	)

	fields := []struct{ label, value string }{
		{"참석자 · Attendee", t.AttendeeName},
		{"일시 · Date and time", when(ev)},
		{"장소 · Venue", ev.Venue},
		{"티켓 종류 · Ticket type", ev.TicketTypeName},
		{"좌석 · Seat", t.Seat},
		{"티켓 번호 · Ticket", t.ID},
	}
	// The details stack in the left column, each a small label over its
	// value (components in one column share the cell, so each gets its own
	// offset); the QR takes the right column.
	details := col.New(7)
	y := 0.0
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		details.Add(
			text.New(f.label, props.Text{Size: 8, Color: gray, Top: y}),
			text.New(f.value, props.Text{Size: 12, Style: fontstyle.Bold, Top: y + 4.5}),
		)
		y += 14
	}
	height := max(y, 75)
	if qrPNG == nil {
		m.AddRow(height, details, text.NewCol(5, "QR 없음 · No QR code",
			props.Text{Size: 12, Style: fontstyle.Bold, Color: red, Align: align.Center, Top: height / 2}))
	} else {
		m.AddRow(height, details, image.NewFromBytesCol(5, qrPNG, extension.Png, props.Rect{Center: true, Percent: 100}))
		m.AddRows(
			row.New(6),
			text.NewAutoRow("게이트에서 이 QR 코드를 보여 주세요. 화면 밝기를 높이면 더 빨리 인식됩니다. · Show this QR code at the gate.",
				props.Text{Size: 9, Color: gray}),
		)
	}
	doc, err := m.Generate()
	if err != nil {
		return nil, fmt.Errorf("ticket pdf: %w", err)
	}
	return doc.GetBytes(), nil
}

// when writes the event's date and time in its own time zone, with the
// weekday in Korean and the zone's abbreviation.
func when(ev EventInfo) string {
	loc := tz.Location(ev.Timezone)
	start, end := ev.StartsAt.In(loc), ev.EndsAt.In(loc)
	day := func(t time.Time) string {
		return fmt.Sprintf("%s (%s)", t.Format("2006-01-02"), weekdaysKo[t.Weekday()])
	}
	s := day(start) + " " + start.Format("15:04") + " – "
	if end.YearDay() != start.YearDay() || end.Year() != start.Year() {
		s += day(end) + " "
	}
	s += end.Format("15:04") + " " + start.Format("MST")
	if loc != time.UTC && ev.Timezone != start.Format("MST") {
		s += " (" + ev.Timezone + ")"
	}
	return s
}

var weekdaysKo = [...]string{"일", "월", "화", "수", "목", "금", "토"}
