package event

import "testing"

// TestPhoneAnswersAreNormalized: a phone question's answer is kept in
// E.164 whatever the spelling; one the phone library cannot place is kept
// as typed, and one that is no phone number is refused.
func TestPhoneAnswersAreNormalized(t *testing.T) {
	f := Form{Fields: []Field{{Key: "guardian_phone", Type: FieldPhone}}}
	for in, want := range map[string]string{
		"010-1234-5678":    "+821012345678",
		"+82 10 1234 5678": "+821012345678",
		"０１０ １２３４ ５６７８":    "+821012345678",
		"+1 415 555 2671":  "+14155552671",
		"+999 1234 5678":   "+999 1234 5678",
	} {
		clean, _, err := f.Check(map[string]any{"guardian_phone": in}, nil, nil)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := clean["guardian_phone"]; got != want {
			t.Errorf("%q kept as %q, want %q", in, got, want)
		}
	}
	if _, _, err := f.Check(map[string]any{"guardian_phone": "call me"}, nil, nil); err == nil {
		t.Error("a phone answer that is no number was accepted")
	}
}
