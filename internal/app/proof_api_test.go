package app_test

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// The proof of a student order over HTTP: the buyer PUTs the file with the
// order's key, staff see it on the order and download it with headers that
// keep a browser from running it; bad files get 4xx problems.
func TestProofAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tok := b.signup("Proofs", "owner@proofs.example").Access
		ev := b.do("POST", "/v1/events", tok, validEvent("Student Day"))
		b.want(ev, 201, "")
		eid := ev.str("id")
		tt := b.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{
			"name": "Student", "price": 500, "currency": "KRW", "quota": 5, "requires_verification": true})
		b.want(tt, 201, "")
		b.want(b.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")
		o := b.do("POST", "/v1/public/events/"+eid+"/orders", "", map[string]any{
			"buyer": map[string]any{"name": "Han", "email": "han@example.com"},
			"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}}})
		b.want(o, 201, "")
		oid, key := o.str("id"), o.str("access_key")
		if o.str("status") != "pending_verification" {
			t.Fatalf("order = %s", o.Raw)
		}

		var img bytes.Buffer
		if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
			t.Fatal(err)
		}
		path := "/v1/public/orders/" + oid + "/proof?key=" + key
		b.want(b.do("PUT", "/v1/public/orders/"+oid+"/proof?key=oak_nope", "", img.Bytes(), "Content-Type", "image/png"), 404, "not_found")
		b.want(b.do("PUT", path, "", "<html></html>", "Content-Type", "text/html"), 415, "unsupported_media_type")
		b.want(b.do("PUT", path, "", img.Bytes(), "Content-Type", "image/jpeg"), 415, "unsupported_media_type")
		b.want(b.do("PUT", path, "", bytes.Repeat([]byte{0x89}, 1_000_001), "Content-Type", "image/png"), 413, "request_too_large")
		b.want(b.do("GET", "/v1/orders/"+oid+"/proof", tok, nil), 404, "not_found")

		up := b.do("PUT", path, "", img.Bytes(), "Content-Type", "image/png")
		b.want(up, 200, "")
		if p := up.obj("proof"); p["content_type"] != "image/png" || p["size"] != float64(img.Len()) {
			t.Fatalf("upload answered %s", up.Raw)
		}
		if p := b.do("GET", "/v1/orders/"+oid, tok, nil).obj("proof"); p["sha256"] == nil {
			t.Fatalf("staff order view has no proof: %v", p)
		}
		got := b.do("GET", "/v1/orders/"+oid+"/proof", tok, nil)
		b.want(got, 200, "")
		if !bytes.Equal(got.Raw, img.Bytes()) || got.Header.Get("Content-Type") != "image/png" ||
			got.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(got.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("download: %d bytes, headers %v", len(got.Raw), got.Header)
		}
		other := b.signup("Other", "owner@other.example").Access
		b.want(b.do("GET", "/v1/orders/"+oid+"/proof", other, nil), 404, "not_found")
		b.want(b.do("PUT", "/v1/orders/"+oid+"/proof", other, img.Bytes(), "Content-Type", "image/png"), 404, "not_found")

		b.want(b.do("POST", "/v1/orders/"+oid+"/approve-verification", tok, nil), 200, "")
		b.want(b.do("PUT", path, "", img.Bytes(), "Content-Type", "image/png"), 409, "invalid_transition")
	})
}
