package campaign

import (
	"testing"

	"github.com/usher-events/usher/internal/fault"
)

// FuzzParseExternal: any body either parses into a valid participant or is
// refused with a client error, never a panic or an internal error.
// Run longer with: go test ./internal/campaign -run '^$' -fuzz FuzzParseExternal -fuzztime 60s
func FuzzParseExternal(f *testing.F) {
	for _, s := range []string{
		`{"name":"김철수","phone":"010-1234-5678","time":"2027-05-01T10:00:00+09:00","event_id":"cmp_x"}`,
		`{"name":"\u0000","phone":"+82","time":"0000-01-01T00:00:00Z","event_id":""}`,
		`{}`, `[]`, `{"name":1}`, `{"a":{}} {}`, "\xff\xfe", ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, p, err := parseExternal(raw)
		if err != nil {
			if c := fault.CodeOf(err); c != fault.Invalid && c != fault.Validation {
				t.Fatalf("%q: code %s", raw, c)
			}
			return
		}
		if p.name == "" || p.phone == "" || p.phone[0] != '+' {
			t.Fatalf("%q accepted as %+v", raw, p)
		}
	})
}
