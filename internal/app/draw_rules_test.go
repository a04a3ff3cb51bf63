package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A draw needs only its count: without an eligibility every participation
// that was not rejected takes part, and the rejected one is not in the
// frozen list.
func TestDrawWithoutEligibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Draw Org", "owner@draw.example")
		c := b.do("POST", "/v1/campaigns", o.Access, campaignBody("추첨", map[string]any{"type": "none"}, "manual"))
		b.want(c, 201, "")
		var ids []string
		for i := range 3 {
			p := b.do("POST", "/v1/public/campaigns/"+c.str("id")+"/participations", "", map[string]any{
				"name": "참가자", "phone": fmt.Sprintf("010-7100-%04d", i), "consent": true})
			b.want(p, 201, "")
			ids = append(ids, p.str("id"))
		}
		b.want(b.do("POST", "/v1/participations/"+ids[0]+"/reject", o.Access, nil), 200, "")
		dr := b.do("POST", "/v1/campaigns/"+c.str("id")+"/draws", o.Access, map[string]any{"count": 3})
		b.want(dr, 201, "")
		frozen, _ := dr.Body["frozen"].([]any)
		if fmt.Sprint(frozen) != "[2 3]" {
			t.Fatalf("frozen list %v, want [2 3] (number 1 was rejected): %s", frozen, dr.Raw)
		}
	})
}

// An external record dated after it arrives is refused with a 422 on its
// time, not counted as a participation that has not happened yet.
func TestExternalRecordInTheFuture(t *testing.T) {
	b := setup(t, db.SQLite)
	o := b.signup("Future Org", "owner@future.example")
	c := b.do("POST", "/v1/campaigns", o.Access, campaignBody("외부", map[string]any{"type": "none"}, "auto"))
	b.want(c, 201, "")
	cr := b.do("POST", "/v1/external-credentials", o.Access, map[string]any{"name": "kiosk"})
	b.want(cr, 201, "")
	rec := fmt.Sprintf(`{"name":"박지민","phone":"010-1111-2222","time":%q,"event_id":%q}`, time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339), c.str("id"))
	r := b.do("POST", "/apidata/external_record", "", rec, "Authorization", basic(cr.str("username"), cr.str("password")))
	b.want(r, 422, "validation_failed")
}
