// Package phone normalizes phone numbers to E.164, so that every spelling of
// one number ("010-1234-5678", "01012345678", "+82 10 1234 5678") compares,
// deduplicates and is stored as one value. Domains normalize before any
// comparison or write; the raw spelling is never kept.
package phone

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/width"

	"github.com/usher-events/usher/internal/fault"
)

// DefaultRegion is the region assumed for numbers written without a country
// code: Usher's organizers and their buyers are in Korea.
const DefaultRegion = "KR"

// maxLen bounds the input: the parser accepts very long strings, and a phone
// field never holds one, so the bound keeps parsing cheap on hostile input.
const maxLen = 32

// dashes are the other dashes people type between a number's groups (a
// phone keyboard's or a word processor's).
var dashes = strings.NewReplacer("\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-", "\u2212", "-")

// ErrInvalid is returned for input that is not a valid phone number.
var ErrInvalid = errors.New("not a valid phone number")

// Message is the client-safe explanation for an invalid phone field, for
// fault.Field and fault.Check (c.Add(err != nil, "buyer.phone", phone.Message)).
const Message = "must be a valid phone number"

// Normalize returns the E.164 form of raw ("+821012345678"). Full-width
// digits and signs ("０１０－１２３４－５６７８", from an East Asian keyboard) and
// other dashes read as their ASCII forms. Numbers without
// a country code are read in defaultRegion (an ISO 3166 code such as "KR";
// empty means DefaultRegion). Input with letters (vanity numbers), more than
// 32 characters or no valid number is ErrInvalid; so is empty input, which
// callers with optional fields check for first.
func Normalize(raw, defaultRegion string) (string, error) {
	if len(raw) > 4*maxLen { // before folding, which may shrink it
		return "", ErrInvalid
	}
	raw = strings.TrimSpace(dashes.Replace(width.Narrow.String(raw)))
	if raw == "" || len(raw) > maxLen {
		return "", ErrInvalid
	}
	for _, r := range raw {
		switch {
		case r >= '0' && r <= '9', r == '+', r == '-', r == ' ', r == '(', r == ')', r == '.':
		default:
			return "", ErrInvalid
		}
	}
	if defaultRegion == "" {
		defaultRegion = DefaultRegion
	}
	n, err := phonenumbers.Parse(raw, strings.ToUpper(defaultRegion))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// NormalizeOptional is Normalize for optional fields: blank input stays "".
func NormalizeOptional(raw, defaultRegion string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	return Normalize(raw, defaultRegion)
}

// Invalid is the validation error (422 validation_failed) for an invalid
// phone number in field, such as "buyer.phone".
func Invalid(field string) *fault.Error { return fault.Field(field, Message) }
