package web

import (
	"testing"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/ticket"
)

// TestPrivacyKeysBuiltFromValues checks the message keys the personal data
// page builds from values (sections, statuses, channels, notices), which
// the literal-key test cannot see, and the messages of its form fields.
func TestPrivacyKeysBuiltFromValues(t *testing.T) {
	var keys []string
	for _, s := range privacySections {
		keys = append(keys, "pd.section."+s)
	}
	for _, s := range []string{ticket.StatusValid, ticket.StatusRevoked} {
		keys = append(keys, "pd.tstatus."+s)
	}
	for _, s := range []string{campaign.StatusPending, campaign.StatusApproved, campaign.StatusRejected} {
		keys = append(keys, "camp.pstatus."+s)
	}
	for _, c := range []string{"email", "sms"} {
		keys = append(keys, "pd.channel."+c)
	}
	for _, n := range privacyNotices {
		keys = append(keys, n)
	}
	for _, k := range keys {
		if !hasKey(k) {
			t.Errorf("message %q is missing", k)
		}
	}
	for _, field := range []string{"retention_days", "email", "phone", "person", "confirm"} {
		if k := errorKey(scoped(fault.Field(field, "x"), "privacy.")); k != "err.field.privacy."+field {
			t.Errorf("field %s: key %s", field, k)
		}
	}
}
