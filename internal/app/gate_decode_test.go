package app_test

import (
	"testing"

	"github.com/usher-events/usher/internal/db"
)

// TestScanDecode sends a ticket's QR image to the decoder that browsers
// without BarcodeDetector use, and scans what comes back.
func TestScanDecode(t *testing.T) {
	b := setup(t, db.SQLite)
	own := b.signup("Decode Org", "decode@example.com")
	eid, _, _, tickets := b.gateEvent(own.Access, "Decode", 1)
	key := b.gateKey(own.Access)
	png := b.do("GET", "/v1/public/tickets/"+tickets[0].ID+"/qr.png", "", nil)
	b.want(png, 200, "")
	dec := b.do("POST", "/v1/scan/decode", key, png.Raw, "Content-Type", "image/png")
	b.want(dec, 200, "")
	if dec.str("code") != tickets[0].Code {
		t.Fatalf("decoded %q, want the ticket's code", dec.str("code"))
	}
	b.want(b.do("POST", "/v1/scan/decode", key, []byte("not an image"), "Content-Type", "image/png"), 422, "validation_failed")
	b.want(b.do("POST", "/v1/scan/decode", "", png.Raw), 401, "unauthorized")
	g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Main", "kind": "main"})
	b.want(b.do("POST", "/v1/checkins", key, map[string]any{"code": dec.str("code"), "gate_id": g.str("id")}), 200, "")
}
