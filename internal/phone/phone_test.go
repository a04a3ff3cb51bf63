package phone_test

import (
	"errors"
	"testing"

	"github.com/usher-events/usher/internal/phone"
)

// The design's convention: the three spellings are one person.
func TestSpellingsAreOneNumber(t *testing.T) {
	for _, tc := range []struct {
		name      string
		spellings []string
		want      string
	}{
		{"mobile", []string{"010-1234-5678", "01012345678", "+82 10 1234 5678",
			"０１０-１２３４-５６７８", "０１０－１２３４－５６７８", "＋８２　１０　１２３４　５６７８", "010\u20131234\u20135678", "010\u22121234\u22125678"}, "+821012345678"},
		{"seoul landline", []string{"02-312-3456", "023123456", "+82 2 312 3456"}, "+8223123456"},
		{"us number", []string{"+1 650-253-0000", "+1 (650) 253-0000", "+16502530000"}, "+16502530000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range tc.spellings {
				got, err := phone.Normalize(s, phone.DefaultRegion)
				if err != nil || got != tc.want {
					t.Errorf("Normalize(%q) = %q, %v; want %q", s, got, err, tc.want)
				}
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in, region, want string
		ok               bool
	}{
		{"+82-10-1234-5678", "KR", "+821012345678", true},
		{" 010.1234.5678 ", "KR", "+821012345678", true},
		{"(010) 1234-5678", "", "+821012345678", true},
		{"650-253-0000", "US", "+16502530000", true},
		{"650-253-0000", "us", "+16502530000", true},
		{"", "KR", "", false},
		{"12", "KR", "", false},
		{"010-1234-567a", "KR", "", false},
		{"0000000000000000000000000000000000000", "KR", "", false},
		{"전화번호", "KR", "", false},
		{"1-800-FLOWERS", "US", "", false},
	} {
		got, err := phone.Normalize(tc.in, tc.region)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q, ok %v", tc.in, tc.region, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, phone.ErrInvalid) {
			t.Errorf("Normalize(%q): error %v is not ErrInvalid", tc.in, err)
		}
	}
}

func TestNormalizeOptional(t *testing.T) {
	if got, err := phone.NormalizeOptional("  ", phone.DefaultRegion); got != "" || err != nil {
		t.Errorf("blank = %q, %v; want empty and no error", got, err)
	}
	if got, err := phone.NormalizeOptional("010 1234 5678", phone.DefaultRegion); got != "+821012345678" || err != nil {
		t.Errorf("NormalizeOptional = %q, %v", got, err)
	}
	if _, err := phone.NormalizeOptional("12", phone.DefaultRegion); !errors.Is(err, phone.ErrInvalid) {
		t.Errorf("short number: err = %v, want ErrInvalid", err)
	}
}

// FuzzNormalize: any input either fails or yields an E.164 number that
// normalizes to itself.
// Run longer with: go test ./internal/phone -run '^$' -fuzz FuzzNormalize -fuzztime 60s
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"010-1234-5678", "+82 10 1234 5678", "+", "++82", "0", "(((", "+999999999999999", "1-800-FLOWERS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := phone.Normalize(s, phone.DefaultRegion)
		if err != nil {
			return
		}
		if got[0] != '+' {
			t.Fatalf("%q → %q: not E.164", s, got)
		}
		again, err := phone.Normalize(got, phone.DefaultRegion)
		if err != nil || again != got {
			t.Fatalf("%q → %q → %q, %v: not stable", s, got, again, err)
		}
	})
}
