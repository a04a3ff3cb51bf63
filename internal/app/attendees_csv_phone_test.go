package app_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestAttendeesCSVNormalizesPhoneAnswers: in attendees.csv (and orders.csv)
// an answer to a phone field is written in E.164, like the buyer's phone
// typed the same way, and an answer that is no phone number stays as typed.
// The answers used to be written as typed, so one person's spellings did
// not match.
func TestAttendeesCSVNormalizesPhoneAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("CSV Phone Org", "csv@phones.example")
		ev := b.do("POST", "/v1/events", own.Access, validEvent("전화 컨퍼런스"))
		b.want(ev, 201, "")
		eventID := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eventID+"/ticket-types", own.Access, map[string]any{"name": "General", "price": 0, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		b.want(b.do("PUT", "/v1/events/"+eventID+"/form", own.Access, map[string]any{
			"fields": []any{
				map[string]any{"key": "emergency_phone", "type": "phone", "required": true},
				map[string]any{"key": "office_phone", "type": "phone", "required": false},
				map[string]any{"key": "organization", "required": false},
			},
			"consents": []any{},
		}), 200, "")
		b.want(b.do("POST", "/v1/events/"+eventID+"/publish", own.Access, nil), 200, "")
		ord := b.do("POST", "/v1/events/"+eventID+"/orders", own.Access, map[string]any{
			"buyer":   map[string]any{"name": "김민준", "email": "minjun@phones.example", "phone": "010-9876-5432"},
			"items":   []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}},
			"answers": map[string]any{"emergency_phone": "010 9876 5432", "office_phone": "0000-0000", "organization": "010-1234-5678 Inc"},
		})
		b.want(ord, 201, "")
		b.want(b.do("POST", "/v1/orders/"+ord.str("id")+"/pay", own.Access, map[string]any{"method": "manual"}), 200, "")

		for _, tc := range []struct{ file, phoneCol string }{{"attendees.csv", "phone"}, {"orders.csv", "buyer_phone"}} {
			r := b.do("GET", "/v1/events/"+eventID+"/"+tc.file, own.Access, nil)
			b.want(r, 200, "")
			recs, err := csv.NewReader(strings.NewReader(string(r.Raw))).ReadAll()
			if err != nil || len(recs) != 2 {
				t.Fatalf("%s: %v\n%s", tc.file, err, r.Raw)
			}
			row := map[string]string{}
			for i, h := range recs[0] {
				row[h] = recs[1][i]
			}
			buyer := row[tc.phoneCol]
			if !strings.Contains(buyer, "+821098765432") {
				t.Fatalf("%s: the buyer's phone is %q", tc.file, buyer)
			}
			if got := row["answer_emergency_phone"]; got != buyer {
				t.Errorf("%s: the phone answer is %q, want %q like the buyer's", tc.file, got, buyer)
			}
			if got := row["answer_office_phone"]; got != "0000-0000" {
				t.Errorf("%s: an answer that is no phone number became %q", tc.file, got)
			}
			if got := row["answer_organization"]; got != "010-1234-5678 Inc" {
				t.Errorf("%s: a text answer became %q", tc.file, got)
			}
		}
	})
}
