package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A record whose body is empty (or missing), or is not JSON, gets its 400
// invalid_request and is archived as rejected with its body exactly as it
// came, possibly empty, and the time it arrived.
func TestExternalRecordEmptyOrNotJSONIsArchived(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Empty Org", "owner@empty.example")
		cr := b.do("POST", "/v1/external-credentials", o.Access, map[string]any{"name": "kiosk"})
		b.want(cr, 201, "")
		auth := basic(cr.str("username"), cr.str("password"))

		before := time.Now().Add(-time.Second)
		bodies := []string{"", "not json", "{\"name\": "}
		for _, body := range bodies {
			b.want(b.do("POST", "/apidata/external_record", "", body, "Authorization", auth), 400, "invalid_request")
		}
		// No body at all, not even a Content-Type.
		req, err := http.NewRequest("POST", b.srv.URL+"/apidata/external_record", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		res, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 400 {
			t.Fatalf("no body: %d, want 400", res.StatusCode)
		}
		after := time.Now().Add(time.Second)

		list := b.do("GET", "/v1/external-records", o.Access, nil)
		b.want(list, 200, "")
		data, _ := list.Body["data"].([]any)
		// Newest first: the missing body, then the others in reverse.
		want := []string{"", "{\"name\": ", "not json", ""}
		if len(data) != len(want) {
			t.Fatalf("%d archived records, want %d: %s", len(data), len(want), list.Raw)
		}
		for i, x := range data {
			r := x.(map[string]any)
			at, err := time.Parse(time.RFC3339Nano, r["received_at"].(string))
			if r["raw_body"] != want[i] || r["status"] != "rejected" || r["reason"] == "" || err != nil || at.Before(before) || at.After(after) {
				t.Errorf("record %d: %v, want raw body %q, rejected with a reason, received between %s and %s", i, r, want[i], before, after)
			}
		}
	})
}
