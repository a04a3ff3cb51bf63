package campaign_test

import (
	"testing"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/campaign"
)

func apiPage(n int) api.PageParams { return api.PageParams{Limit: n} }

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"010-1234-5678", "+821012345678", true},
		{"01012345678", "+821012345678", true},
		{"+82 10 1234 5678", "+821012345678", true},
		{"+82-10-1234-5678", "+821012345678", true},
		{" 010.1234.5678 ", "+821012345678", true},
		{"(010) 1234-5678", "+821012345678", true},
		{"02-312-3456", "+8223123456", true},
		{"+1 650-253-0000", "+16502530000", true},
		{"", "", false},
		{"12", "", false},
		{"010-1234-567a", "", false},
		{"0000000000000000000000000000000000000", "", false},
		{"전화번호", "", false},
	} {
		got, ok := campaign.NormalizePhone(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMask(t *testing.T) {
	if got := campaign.MaskName("김철수"); got != "김*수" {
		t.Errorf("MaskName = %q", got)
	}
	if got := campaign.MaskPhone("+821012345678"); got != "***-****-5678" {
		t.Errorf("MaskPhone = %q", got)
	}
}
