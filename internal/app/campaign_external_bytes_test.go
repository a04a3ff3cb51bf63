package app_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A record whose body is not UTF-8 (an outside system posting EUC-KR, or
// garbage) is archived exactly; the listing shows it as text with U+FFFD
// for the bytes text cannot hold, and the exact body in raw_body_base64.
// A body that is valid text has no raw_body_base64, and the field is in
// the OpenAPI document.
func TestExternalRecordBytesThatAreNotUTF8(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		o := b.signup("Bytes Org", "owner@bytes.example")
		cr := b.do("POST", "/v1/external-credentials", o.Access, map[string]any{"name": "kiosk"})
		b.want(cr, 201, "")
		auth := basic(cr.str("username"), cr.str("password"))

		// "김" in EUC-KR is B1 E8; then a lone continuation byte and NUL.
		raw := []byte("{\"name\": \"\xb1\xe8\", \"x\": \"\x80\x00\"}")
		b.want(b.do("POST", "/apidata/external_record", "", raw, "Authorization", auth), 400, "invalid_request")
		text := `{"name": "김", "phone": "not a phone"}`
		b.want(b.do("POST", "/apidata/external_record", "", text, "Authorization", auth), 422, "validation_failed")

		list := b.do("GET", "/v1/external-records", o.Access, nil)
		b.want(list, 200, "")
		data, _ := list.Body["data"].([]any)
		if len(data) != 2 {
			t.Fatalf("%d records, want 2: %s", len(data), list.Raw)
		}
		valid, broken := data[0].(map[string]any), data[1].(map[string]any)
		if _, ok := valid["raw_body_base64"]; ok || valid["raw_body"] != text {
			t.Errorf("a text body: %v", valid)
		}
		b64, _ := broken["raw_body_base64"].(string)
		exact, err := base64.StdEncoding.DecodeString(b64)
		if b64 == "" || err != nil || string(exact) != string(raw) {
			t.Errorf("raw_body_base64 holds %q (%v), the body was %q", exact, err, raw)
		}
		if want := strings.ToValidUTF8(string(raw), "\uFFFD"); broken["raw_body"] != want {
			t.Errorf("raw_body %q, want %q", broken["raw_body"], want)
		}

		doc := b.do("GET", "/openapi.json", "", nil)
		b.want(doc, 200, "")
		if !strings.Contains(string(doc.Raw), `"raw_body_base64":{"description":"The exact body in standard base64`) {
			t.Errorf("the OpenAPI document does not describe raw_body_base64")
		}
	})
}
