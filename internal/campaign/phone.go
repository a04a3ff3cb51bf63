package campaign

import (
	"strings"

	"github.com/usher-events/usher/internal/phone"
)

// DefaultRegion is the region assumed for phone numbers written without a
// country code.
const DefaultRegion = phone.DefaultRegion

// NormalizePhone returns the E.164 form of a phone number written any way a
// person might ("010-1234-5678", "01012345678", "+82 10 1234 5678"), so that
// every spelling of one number compares equal. It reports false for input
// that is not a valid number. The rules live in package phone, shared with
// orders and customers, so one person is one number everywhere.
func NormalizePhone(raw string) (string, bool) {
	e164, err := phone.Normalize(raw, DefaultRegion)
	return e164, err == nil
}

// MaskPhone hides all but the last four digits of a number, for public lists.
func MaskPhone(e164 string) string {
	if len(e164) < 4 {
		return "****"
	}
	return "***-****-" + e164[len(e164)-4:]
}

// MaskName hides the middle of a name ("김철수" → "김*수", "Kim" → "K*m",
// "이슬" → "이*"), for public lists.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}
