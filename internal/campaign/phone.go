package campaign

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region assumed for phone numbers written without a
// country code.
const DefaultRegion = "KR"

// NormalizePhone returns the E.164 form of a phone number written any way a
// person might ("010-1234-5678", "01012345678", "+82 10 1234 5678"), so that
// every spelling of one number compares equal. It reports false for input
// that is not a valid number.
func NormalizePhone(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	// The parser accepts very long inputs and letters (vanity numbers); a
	// phone field holds neither, and bounding it keeps parsing cheap.
	if raw == "" || len(raw) > 32 {
		return "", false
	}
	for _, r := range raw {
		switch {
		case r >= '0' && r <= '9', r == '+', r == '-', r == ' ', r == '(', r == ')', r == '.':
		default:
			return "", false
		}
	}
	n, err := phonenumbers.Parse(raw, DefaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
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
