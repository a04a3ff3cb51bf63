package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/tz"
)

// Formatting for the events and tickets pages: money in its currency,
// times in the event's time zone, and the reverse for forms.

func init() {
	// Registered before New parses the templates (package variables are
	// initialized before init functions run), so every page may use them.
	funcs["money"] = formatMoney
	funcs["inZone"] = inZone
	funcs["inZoneInput"] = inZoneInput
	funcs["zoneRange"] = zoneRange
}

// Access levels of the events and tickets pages, as the API has them:
// viewers read, staff write.
var (
	reader = access{signedIn: true, roles: api.Viewer}
	writer = access{signedIn: true, roles: api.Staff}
)

// minorDigits are the minor-unit digits of currencies that do not have
// two (ISO 4217); KRW, like JPY, has none: 99000 is ₩99,000.
var minorDigits = map[string]int{"KRW": 0, "JPY": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}

// currencySymbols are shown before the amount; other currencies show
// their code after it.
var currencySymbols = map[string]string{"KRW": "₩", "USD": "$", "EUR": "€", "JPY": "¥", "GBP": "£"}

// currencies are offered by the ticket type form.
var currencies = []string{"KRW", "USD", "EUR", "JPY"}

func digitsOf(currency string) int {
	if d, ok := minorDigits[currency]; ok {
		return d
	}
	return 2
}

// moneyInput writes an amount of minor units as it is typed in the ticket
// type form: major units grouped by thousands, without a symbol
// (moneyInput(99000, "KRW") is "99,000", (1250, "USD") "12.50").
func moneyInput(minor int64, currency string) string {
	d := digitsOf(currency)
	pow := int64(1)
	for range d {
		pow *= 10
	}
	s := group(strconv.FormatInt(minor/pow, 10))
	if d > 0 {
		s += "." + fmt.Sprintf("%0*d", d, minor%pow)
	}
	return s
}

// formatMoney shows an amount of minor units in its currency, grouped by
// thousands: formatMoney(99000, "KRW") is "₩99,000", (1250, "USD") "$12.50".
func formatMoney(minor int64, currency string) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := moneyInput(minor, currency)
	if sym, ok := currencySymbols[currency]; ok {
		s = sym + s
	} else {
		s += " " + currency
	}
	if neg {
		s = "−" + s
	}
	return s
}

func group(digits string) string {
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// parseMoney reads an amount typed in major units ("99,000", "12.50") as
// minor units of the currency.
func parseMoney(s, currency string) (int64, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, false
	}
	d := digitsOf(currency)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if hasFrac && (d == 0 || len(frac) > d || frac == "") {
		return 0, false
	}
	frac += strings.Repeat("0", d-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 || len(whole) > 13 {
		return 0, false
	}
	return n, true
}

// timezones are offered by the event form; the first is the default.
var timezones = []string{"Asia/Seoul", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore", "Asia/Bangkok",
	"Australia/Sydney", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York",
	"America/Chicago", "America/Los_Angeles", "UTC"}

// location loads a time zone, falling back to UTC for a name that does not
// load (which validation keeps out of stored events).
func location(name string) *time.Location { return tz.Location(name) }

// inZone shows a time (or *time.Time) in the time zone tz, for people who
// think of the event in its local time.
func inZone(v any, tz string) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	return t.In(location(tz)).Format("2006-01-02 15:04")
}

// zoneRange shows a span of time in tz, without repeating the date when
// both ends fall on one day: "2031-05-01 09:00 – 18:00".
func zoneRange(start, end time.Time, tz string) string {
	a, b := inZone(start, tz), inZone(end, tz)
	if a[:10] == b[:10] {
		return a + " – " + b[11:]
	}
	return a + " – " + b
}

// inZoneInput formats a time for a datetime-local input in tz.
func inZoneInput(v any, tz string) string {
	s := inZone(v, tz)
	return strings.Replace(s, " ", "T", 1)
}

// localTimeLayouts are what datetime-local inputs send (seconds appear
// when a browser's step allows them).
var localTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"}

// parseLocal reads a datetime-local value as a time in tz.
func parseLocal(s, tz string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range localTimeLayouts {
		if t, err := time.ParseInLocation(l, s, location(tz)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formCheck collects a page form's field errors before a service is
// called, with the same field names the services use, so that the message
// shown is the field's.
type formCheck struct{ c fault.Check }

func (f *formCheck) add(bad bool, field string) { f.c.Add(bad, field, "is not valid") }

func (f *formCheck) err() error { return f.c.Err() }

// atoi reads a whole number from a form, reporting whether it was one.
func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

// scoped names a validation error's fields within one form ("event." +
// "starts_at"), so that the message keys of this group's forms
// (err.field.event.starts_at) cannot clash with another group's fields of
// the same name.
func scoped(err error, prefix string) error {
	var fe *fault.Error
	if !errors.As(err, &fe) || len(fe.Fields) == 0 {
		return err
	}
	c := *fe
	c.Fields = make([]fault.FieldError, len(fe.Fields))
	for i, f := range fe.Fields {
		c.Fields[i] = fault.FieldError{Field: prefix + f.Field, Message: f.Message}
	}
	return &c
}
