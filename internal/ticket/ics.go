package ticket

import (
	"bytes"
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// icsTime is the UTC date-time form of RFC 5545 (section 3.3.5, form #2).
const icsTime = "20060102T150405Z"

// calendar is the data of one ticket's calendar file.
type calendar struct {
	UID      string
	Stamp    time.Time
	Start    time.Time
	End      time.Time
	Summary  string
	Location string
	Desc     string
	Canceled bool
}

// render writes an RFC 5545 calendar with one event: CRLF line ends, content
// lines folded at 75 octets, text values escaped.
func (c calendar) render() []byte {
	var b bytes.Buffer
	line := func(name, value string) { writeFolded(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Usher//Tickets//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("BEGIN", "VEVENT")
	line("UID", escapeText(c.UID))
	line("DTSTAMP", c.Stamp.UTC().Format(icsTime))
	line("DTSTART", c.Start.UTC().Format(icsTime))
	line("DTEND", c.End.UTC().Format(icsTime))
	line("SUMMARY", escapeText(c.Summary))
	if c.Location != "" {
		line("LOCATION", escapeText(c.Location))
	}
	if c.Desc != "" {
		line("DESCRIPTION", escapeText(c.Desc))
	}
	if c.Canceled {
		line("STATUS", "CANCELLED")
	} else {
		line("STATUS", "CONFIRMED")
	}
	line("END", "VEVENT")
	line("END", "VCALENDAR")
	return b.Bytes()
}

// escapeText escapes a TEXT value (RFC 5545 section 3.3.11): backslash,
// semicolon, comma and newlines; other control characters are dropped.
func escapeText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r < 0x20 && r != '\t', r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFolded writes a content line, folding it so that no line exceeds 75
// octets (section 3.1): a fold is CRLF plus one space, and never splits a
// UTF-8 character, which matters for Korean names.
func writeFolded(b *bytes.Buffer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space of a continuation line counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// ICS returns a ticket of the tenant of ctx as an iCalendar file.
func (s *Service) ICS(ctx context.Context, ticketID string) ([]byte, error) {
	t, ev, err := s.withEvent(ctx, ticketID)
	if err != nil {
		return nil, err
	}
	desc := "Ticket " + t.ID
	if ev.TicketTypeName != "" {
		desc = ev.TicketTypeName + " — " + desc
	}
	if t.Seat != "" {
		desc += "\nSeat " + t.Seat
	}
	return calendar{
		UID: t.ID + "@usher", Stamp: s.now(), Start: ev.StartsAt, End: ev.EndsAt,
		Summary: ev.Name, Location: ev.Venue, Desc: desc, Canceled: t.Status == StatusRevoked,
	}.render(), nil
}

// withEvent loads a ticket and what it shows of its event.
func (s *Service) withEvent(ctx context.Context, ticketID string) (*Ticket, EventInfo, error) {
	t, err := s.Get(ctx, ticketID)
	if err != nil {
		return nil, EventInfo{}, err
	}
	ev, err := s.events.TicketEvent(ctx, t.EventID, t.TicketTypeID)
	if err != nil {
		return nil, EventInfo{}, err
	}
	return t, ev, nil
}
