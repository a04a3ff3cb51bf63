package app_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestSealedAnswers: with a secrets key, the answers kept for retried
// requests are sealed (a new API key's secret is not in the database), a
// retry still gets the first answer, and a personal-data erasure still
// blanks the person in the sealed answers a retry would replay.
func TestSealedAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		key := bytes.Repeat([]byte{7}, db.SecretsKeySize)
		b := setup(t, d, func(c *app.Config) { c.SecretsKey = key })
		own := b.signup("Sealed Answers", "owner@sealed-answers.example")

		first := b.do("POST", "/v1/api-keys", own.Access, map[string]any{"name": "door", "role": "staff"}, "Idempotency-Key", "key-1")
		b.want(first, 201, "")
		secret := first.str("key")
		again := b.do("POST", "/v1/api-keys", own.Access, map[string]any{"name": "door", "role": "staff"}, "Idempotency-Key", "key-1")
		b.want(again, 201, "")
		if again.Header.Get("Idempotent-Replayed") != "true" || again.str("key") != secret || again.str("id") != first.str("id") {
			t.Fatalf("replay: %s, first: %s", again.Raw, first.Raw)
		}
		bodies := storedAnswers(t, b)
		if len(bodies) != 1 || !db.IsSealed(bodies[0]) || bytes.Contains(bodies[0], []byte(secret)) {
			t.Fatalf("stored answers: %q", bodies)
		}

		ev := b.do("POST", "/v1/events", own.Access, validEvent("Sealed Night"))
		b.want(ev, 201, "")
		tt := b.do("POST", "/v1/events/"+ev.str("id")+"/ticket-types", own.Access, map[string]any{"name": "R", "price": 1000, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		b.want(b.do("POST", "/v1/events/"+ev.str("id")+"/publish", own.Access, nil), 200, "")
		order := func(email string) map[string]any {
			return map[string]any{"buyer": map[string]any{"name": "김지우", "email": email},
				"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}}}
		}
		pub := b.do("POST", "/v1/public/events/"+ev.str("id")+"/orders", "", order("jiwoo@sealed-answers.example"), "Idempotency-Key", "pub-1")
		b.want(pub, 201, "")
		other := b.do("POST", "/v1/public/events/"+ev.str("id")+"/orders", "", order("other@sealed-answers.example"), "Idempotency-Key", "pub-2")
		b.want(other, 201, "")
		staff := b.do("POST", "/v1/events/"+ev.str("id")+"/orders", own.Access, order("jiwoo@sealed-answers.example"), "Idempotency-Key", "staff-1")
		b.want(staff, 201, "")

		er := b.do("POST", "/v1/personal-data/erase", own.Access, map[string]any{"email": "jiwoo@sealed-answers.example", "confirm": true})
		b.want(er, 200, "")
		if n, _ := er.obj("erased")["stored_answers"].(float64); n != 2 {
			t.Errorf("stored answers erased: %s", er.Raw)
		}
		for _, c := range []struct {
			token, path, key, id string
			body                 map[string]any
		}{
			{"", "/v1/public/events/" + ev.str("id") + "/orders", "pub-1", pub.str("id"), order("jiwoo@sealed-answers.example")},
			{own.Access, "/v1/events/" + ev.str("id") + "/orders", "staff-1", staff.str("id"), order("jiwoo@sealed-answers.example")},
		} {
			r := b.do("POST", c.path, c.token, c.body, "Idempotency-Key", c.key)
			b.want(r, 201, "")
			if r.str("id") != c.id || bytes.Contains(r.Raw, []byte("jiwoo@")) || bytes.Contains(r.Raw, []byte("김지우")) {
				t.Errorf("replay of %s after the erasure: %s", c.key, r.Raw)
			}
		}
		r := b.do("POST", "/v1/public/events/"+ev.str("id")+"/orders", "", order("other@sealed-answers.example"), "Idempotency-Key", "pub-2")
		b.want(r, 201, "")
		if !bytes.Contains(r.Raw, []byte("other@sealed-answers.example")) {
			t.Errorf("the other person's replay lost them: %s", r.Raw)
		}
		for _, s := range storedAnswers(t, b) {
			if !db.IsSealed(s) {
				t.Errorf("an answer left unsealed: %s", s)
			}
		}
	})
}

// storedAnswers reads the bodies kept for retried requests.
func storedAnswers(t *testing.T, b *bundle) [][]byte {
	t.Helper()
	var out [][]byte
	if err := b.app.DB().Read(context.Background(), func(tx *db.Tx) error {
		return tx.Global().Select(&out, `SELECT body FROM idempotency_keys WHERE body IS NOT NULL ORDER BY created_at`)
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
