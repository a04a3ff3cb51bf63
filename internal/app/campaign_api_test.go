package app_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// campaignBody is a valid POST /v1/campaigns body, open now.
func campaignBody(name string, game map[string]any, approval string) map[string]any {
	now := time.Now().UTC()
	return map[string]any{
		"name": name, "starts_at": now.Add(-time.Hour).Format(time.RFC3339), "ends_at": now.Add(48 * time.Hour).Format(time.RFC3339),
		"game": game, "approval": approval,
	}
}

var quizGame = map[string]any{"type": "quiz", "pass_mark": 1, "gift": "Coffee",
	"questions": []any{map[string]any{"question": "2+2?", "choices": []string{"3", "4"}, "answer": "4"}}}

func TestCampaignAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Campus Org", "owner@campus.example")

		// Game settings are validated with per-field errors.
		bad := b.do("POST", "/v1/campaigns", o.Access, campaignBody("x", map[string]any{"type": "ox", "questions": []any{map[string]any{"question": "q", "answer": "maybe"}}}, "auto"))
		b.want(bad, 422, "validation_failed")
		if !strings.Contains(string(bad.Raw), "game.questions[0].answer") {
			t.Fatalf("no per-field error: %s", bad.Raw)
		}
		b.want(b.do("POST", "/v1/campaigns", o.Access, campaignBody("x", map[string]any{"type": "lottery"}, "auto")), 422, "")

		sc := b.do("POST", "/v1/schools", o.Access, map[string]any{"name": "서울대학교"})
		b.want(sc, 201, "")
		dep := b.do("POST", "/v1/schools/"+sc.str("id")+"/departments", o.Access, map[string]any{"name": "컴퓨터공학과"})
		b.want(dep, 201, "")

		body := campaignBody("봄 축제", quizGame, "manual")
		body["school_ids"] = []string{sc.str("id")}
		c := b.do("POST", "/v1/campaigns", o.Access, body)
		b.want(c, 201, "")
		cid := c.str("id")
		if c.str("status") != "active" || cid == "" {
			t.Fatalf("campaign: %s", c.Raw)
		}
		b.want(b.do("GET", "/v1/campaigns/"+cid, o.Access, nil), 200, "")
		// The list names each campaign's schools as GET does.
		b.want(b.do("POST", "/v1/campaigns", o.Access, campaignBody("No schools", quizGame, "auto")), 201, "")
		list := b.do("GET", "/v1/campaigns", o.Access, nil)
		for _, it := range list.Body["data"].([]any) {
			c := it.(map[string]any)
			want := "[]"
			if c["id"] == cid {
				want = `["` + sc.str("id") + `"]`
			}
			if got, _ := json.Marshal(c["school_ids"]); string(got) != want {
				t.Errorf("listed campaign %v has school_ids %s, want %s", c["name"], got, want)
			}
		}
		g := b.do("POST", "/v1/campaigns/"+cid+"/gifts", o.Access, map[string]any{"name": "Coffee", "stock": 1})
		b.want(g, 201, "")
		if g.str("id") == "" {
			t.Fatalf("gift: %s", g.Raw)
		}

		ch := b.do("GET", "/v1/campaigns/"+cid+"/channels", o.Access, nil)
		b.want(ch, 200, "")
		if !strings.Contains(string(ch.Raw), "?ch=instagram") {
			t.Fatalf("channels: %s", ch.Raw)
		}
		qr := b.do("GET", "/v1/campaigns/"+cid+"/channels/instagram/qr.png", o.Access, nil)
		b.want(qr, 200, "")
		if qr.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(string(qr.Raw), "\x89PNG") {
			t.Fatalf("qr: %s", qr.Header)
		}

		pub := "/v1/public/campaigns/" + cid + "/participations"
		p := b.do("POST", pub, "", map[string]any{"name": "김철수", "phone": "010-1234-5678", "channel": "instagram",
			"school": sc.str("id"), "department": "컴퓨터공학과", "consent": true})
		b.want(p, 201, "")
		if p.Body["participation_number"] != float64(1) || p.str("id") == "" {
			t.Fatalf("participation: %s", p.Raw)
		}
		b.want(b.do("POST", pub, "", map[string]any{"name": "김철수", "phone": "+82 10 1234 5678", "consent": true}), 409, "duplicate_participation")
		b.want(b.do("POST", pub, "", map[string]any{"name": "A", "phone": "010-2222-3333", "consent": false}), 422, "validation_failed")
		b.want(b.do("POST", pub, "", map[string]any{"name": "A", "phone": "010-2222-3333"}), 422, "validation_failed")
		// The honeypot answers like a success and stores nothing.
		hp := b.do("POST", pub, "", map[string]any{"name": "Bot", "phone": "010-9999-0000", "consent": true, "website": "http://spam"})
		b.want(hp, 201, "")

		play := "/v1/public/participations/" + p.str("id") + "/play"
		r := b.do("POST", play, "", map[string]any{"answers": []string{"4"}})
		b.want(r, 200, "")
		if r.str("result") != "success" || r.obj("gift")["name"] != "Coffee" {
			t.Fatalf("play: %s", r.Raw)
		}
		b.want(b.do("POST", play, "", map[string]any{"answers": []string{"4"}}), 409, "already_played")

		// Manual approval; hand-out.
		b.want(b.do("POST", "/v1/participations/"+p.str("id")+"/approve", o.Access, nil), 200, "")
		ho := b.do("POST", "/v1/participations/"+p.str("id")+"/hand-out", o.Access, nil)
		b.want(ho, 200, "")
		if ho.str("gift_status") != "handed_out" {
			t.Fatalf("hand-out: %s", ho.Raw)
		}
		// A second winner finds the stock empty: success without a gift; rejection of it is a 200.
		p2 := b.do("POST", pub, "", map[string]any{"name": "이영희", "phone": "01098765432", "consent": true})
		b.want(p2, 201, "")
		r2 := b.do("POST", "/v1/public/participations/"+p2.str("id")+"/play", "", map[string]any{"answers": []string{"4"}})
		b.want(r2, 200, "")
		if r2.Body["gift"] != nil {
			t.Fatalf("won an out-of-stock gift: %s", r2.Raw)
		}
		b.want(b.do("POST", "/v1/participations/"+p2.str("id")+"/reject", o.Access, nil), 200, "")

		// Report.
		rep := b.do("GET", "/v1/campaigns/"+cid+"/report", o.Access, nil)
		b.want(rep, 200, "")
		for _, k := range []string{"participants", "successes", "failures", "gifts_sent", "by_school", "by_department", "by_channel", "by_hour"} {
			if _, ok := rep.Body[k]; !ok {
				t.Fatalf("report lacks %s: %s", k, rep.Raw)
			}
		}
		// The rejected win counts as a failure.
		if rep.Body["participants"] != float64(2) || rep.Body["successes"] != float64(1) || rep.Body["failures"] != float64(1) || rep.Body["gifts_sent"] != float64(1) {
			t.Fatalf("report: %s", rep.Raw)
		}
		csv := b.do("GET", "/v1/campaigns/"+cid+"/report?format=csv", o.Access, nil)
		b.want(csv, 200, "")
		if !strings.Contains(string(csv.Raw), "서울대학교") {
			t.Fatalf("csv: %s", csv.Raw)
		}
		pdf := b.do("GET", "/v1/campaigns/"+cid+"/report?format=pdf", o.Access, nil)
		if fontInstalled() {
			b.want(pdf, 200, "")
			cd := pdf.Header.Get("Content-Disposition")
			if !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "event_report_") || !strings.HasPrefix(string(pdf.Raw), "%PDF") {
				t.Fatalf("pdf: %q", cd)
			}
		} else {
			b.want(pdf, 503, "font_unavailable")
		}
		b.want(b.do("GET", "/v1/campaigns/"+cid+"/report?format=doc", o.Access, nil), 422, "")

		// Draw.
		dr := b.do("POST", "/v1/campaigns/"+cid+"/draws", o.Access, map[string]any{"count": 1, "eligibility": map[string]any{"success_only": true}})
		b.want(dr, 201, "")
		if dr.str("seed") != "" || len(dr.str("commitment")) != 64 {
			t.Fatalf("draw: %s", dr.Raw)
		}
		b.want(b.do("POST", "/v1/campaigns/"+cid+"/draws/"+dr.str("id")+"/run", o.Access, nil), 200, "")
		pd := b.do("GET", "/v1/public/draws/"+dr.str("id"), "", nil)
		b.want(pd, 200, "")
		if pd.str("seed") == "" || strings.Contains(string(pd.Raw), "1012345678") || strings.Contains(string(pd.Raw), "김철수") {
			t.Fatalf("public draw: %s", pd.Raw)
		}

		// Closing makes new participations 422 campaign_not_active.
		b.want(b.do("POST", "/v1/campaigns/"+cid+"/close", o.Access, nil), 200, "")
		b.want(b.do("POST", pub, "", map[string]any{"name": "늦은", "phone": "010-4444-5555", "consent": true}), 422, "campaign_not_active")
	})
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestExternalRecordAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Ext Org", "owner@ext.example")
		c := b.do("POST", "/v1/campaigns", o.Access, campaignBody("외부 연동", map[string]any{"type": "none"}, "auto"))
		b.want(c, 201, "")
		cr := b.do("POST", "/v1/external-credentials", o.Access, map[string]any{"name": "kiosk"})
		b.want(cr, 201, "")
		user, pass := cr.str("username"), cr.str("password")
		if user == "" || pass == "" || cr.str("id") == "" {
			t.Fatalf("credential: %s", cr.Raw)
		}
		rec := fmt.Sprintf(`{"name":"박지민","phone":"010-1111-2222","time":%q,"event_id":%q}`, time.Now().UTC().Format(time.RFC3339), c.str("id"))
		auth := basic(user, pass)
		b.want(b.do("POST", "/apidata/external_record", "", rec, "Authorization", auth), 201, "")
		b.want(b.do("POST", "/apidata/external_record", "", rec, "Authorization", auth), 409, "duplicate_participation")
		b.want(b.do("POST", "/apidata/external_record", "", rec), 401, "")
		b.want(b.do("POST", "/apidata/external_record", "", rec, "Authorization", basic(user, "wrong")), 401, "")
		for _, bad := range []string{`{`, `{"name":"x","phone":"12","time":"yesterday","event_id":""}`, `[]`, "\x00\xff"} {
			r := b.do("POST", "/apidata/external_record", "", bad, "Authorization", auth)
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("bad body %q: %d %s", bad, r.Status, r.Raw)
			}
		}
		list := b.do("GET", "/v1/external-records", o.Access, nil)
		b.want(list, 200, "")
		data, _ := list.Body["data"].([]any)
		accepted, rejected := 0, 0
		for _, x := range data {
			switch x.(map[string]any)["status"] {
			case "accepted":
				accepted++
			case "rejected":
				rejected++
			}
		}
		if accepted != 1 || rejected != 5 || !strings.Contains(string(list.Raw), `\"event_id\"`) {
			t.Fatalf("archive: %d accepted, %d rejected: %s", accepted, rejected, list.Raw)
		}
		// Revoked credentials stop working at once.
		b.want(b.do("DELETE", "/v1/external-credentials/"+cr.str("id"), o.Access, nil), http.StatusNoContent, "")
		b.want(b.do("POST", "/apidata/external_record", "", rec, "Authorization", auth), 401, "")
	})
}

func TestParticipationRateLimit(t *testing.T) {
	b := setup(t, db.SQLite)
	o := b.signup("Busy Org", "owner@busy.example")
	c := b.do("POST", "/v1/campaigns", o.Access, campaignBody("인기", map[string]any{"type": "none"}, "auto"))
	b.want(c, 201, "")
	var last *response
	for i := range 25 {
		last = b.do("POST", "/v1/public/campaigns/"+c.str("id")+"/participations", "", map[string]any{
			"name": "N", "phone": fmt.Sprintf("010-8000-%04d", i), "consent": true})
		if last.Status == 429 {
			break
		}
	}
	b.want(last, 429, "rate_limited")
	if last.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}
