package app_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A participation whose game succeeded and that staff then rejected counts
// as a failure in the report, in every format the API gives: the JSON, the
// CSV and the workbook (the PDF and the page's charts draw the same
// numbers). The participants stay three and successes + failures the games
// played.
func TestReportCountsRejectedWinsAsFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Report Org", "owner@report.example")
		c := b.do("POST", "/v1/campaigns", o.Access, campaignBody("리포트", quizGame, "manual"))
		b.want(c, 201, "")
		cid := c.str("id")
		b.want(b.do("POST", "/v1/campaigns/"+cid+"/gifts", o.Access, map[string]any{"name": "Coffee", "stock": 5}), 201, "")
		var ids []string
		for i, answer := range []string{"4", "4", "3"} { // won, won (to be rejected), lost
			p := b.do("POST", "/v1/public/campaigns/"+cid+"/participations", "", map[string]any{
				"name": "참가자", "phone": []string{"010-6100-0001", "010-6100-0002", "010-6100-0003"}[i], "consent": true})
			b.want(p, 201, "")
			b.want(b.do("POST", "/v1/public/participations/"+p.str("id")+"/play", "", map[string]any{"answers": []string{answer}}), 200, "")
			ids = append(ids, p.str("id"))
		}
		b.want(b.do("POST", "/v1/participations/"+ids[0]+"/approve", o.Access, nil), 200, "")
		b.want(b.do("POST", "/v1/participations/"+ids[1]+"/reject", o.Access, nil), 200, "")

		rep := b.do("GET", "/v1/campaigns/"+cid+"/report", o.Access, nil)
		b.want(rep, 200, "")
		for k, want := range map[string]float64{"participants": 3, "successes": 1, "failures": 2, "gifts_sent": 1} {
			if rep.Body[k] != want {
				t.Errorf("json %s = %v, want %v", k, rep.Body[k], want)
			}
		}
		for _, it := range rep.Body["by_channel"].([]any) {
			g := it.(map[string]any)
			if g["successes"] != float64(1) || g["failures"] != float64(2) {
				t.Errorf("json by_channel %v: %v successes, %v failures; want 1, 2", g["key"], g["successes"], g["failures"])
			}
		}

		raw := b.do("GET", "/v1/campaigns/"+cid+"/report?format=csv", o.Access, nil)
		b.want(raw, 200, "")
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw.Raw, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[1:] {
			if (r[0] == "total" || r[0] == "channel" || r[0] == "school") && (r[4] != "1" || r[5] != "2") {
				t.Errorf("csv %v: %s successes, %s failures; want 1, 2", r[:2], r[4], r[5])
			}
		}

		raw = b.do("GET", "/v1/campaigns/"+cid+"/report?format=xlsx", o.Access, nil)
		b.want(raw, 200, "")
		x, err := excelize.OpenReader(bytes.NewReader(raw.Raw))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		for cell, want := range map[string]string{"B2": "3", "B3": "1", "B4": "2"} {
			if got, err := x.GetCellValue("Summary", cell); err != nil || got != want {
				t.Errorf("xlsx Summary!%s = %q (%v), want %q", cell, got, err, want)
			}
		}
	})
}
