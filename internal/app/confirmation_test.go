package app_test

import (
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestConfirmationNamesTheEvent holds an order through the API and reads
// the confirmation the development outbox got: it names the event, its
// venue and its start in the event's time zone. order.created carries only
// the event's id, and the confirmation used to go out with an empty name
// and venue and a start of "0001년 1월 1일 00:00 (UTC)".
func TestConfirmationNamesTheEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		b.app.StartBackground()
		own := b.signup("Mail Org", "mail@tickets.example")
		ev := b.do("POST", "/v1/events", own.Access, validEvent("메일 컨퍼런스"))
		b.want(ev, 201, "")
		eventID := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eventID+"/ticket-types", own.Access, map[string]any{"name": "General", "price": 1000, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		b.want(b.do("POST", "/v1/events/"+eventID+"/publish", own.Access, nil), 200, "")
		for _, lang := range []string{"ko", "en"} {
			ord := b.do("POST", "/v1/events/"+eventID+"/orders", own.Access, map[string]any{
				"buyer":  map[string]any{"name": "박지훈", "email": lang + "@mail.example"},
				"items":  []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}},
				"locale": lang,
			})
			b.want(ord, 201, "")
		}
		var got []map[string]any
		waitFor(t, func() bool {
			got = got[:0]
			for _, m := range b.messages(own.Access) {
				if m["kind"] == "confirmation" {
					got = append(got, m)
				}
			}
			return len(got) == 2
		})
		// validEvent starts at 2027-03-01 10:00 in Asia/Seoul.
		want := map[string]string{"ko": "2027년 3월 1일 10:00 (KST)", "en": "Mon, 1 Mar 2027 10:00 (KST)"}
		for _, m := range got {
			lang, _ := m["lang"].(string)
			subject, _ := m["subject"].(string)
			body, _ := m["body"].(string)
			if !strings.Contains(subject, "메일 컨퍼런스") || !strings.Contains(body, "메일 컨퍼런스") {
				t.Errorf("%s confirmation does not name the event: %q / %q", lang, subject, body)
			}
			if !strings.Contains(body, "COEX Hall A") || !strings.Contains(body, want[lang]) {
				t.Errorf("%s confirmation lacks the venue or the start %q: %q", lang, want[lang], body)
			}
		}
	})
}

// messages lists the organization's sent messages (the development outbox
// in tests), newest first, up to 50.
func (b *bundle) messages(token string) []map[string]any {
	b.t.Helper()
	r := b.do("GET", "/v1/messages?limit=50", token, nil)
	b.want(r, 200, "")
	var out []map[string]any
	for _, raw := range r.Body["data"].([]any) {
		out = append(out, raw.(map[string]any))
	}
	return out
}
