package app_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
)

// FuzzCheckinBody sends arbitrary bytes to the check-in and batch
// endpoints: whatever a scanner or a node sends, the answer is never a
// server error. Run longer with:
// go test ./internal/app -run '^$' -fuzz FuzzCheckinBody -fuzztime 60s
func FuzzCheckinBody(f *testing.F) {
	b := setup(f, db.SQLite)
	own := b.signup("Fuzz Gate", "fuzz-gate@example.com")
	eid, _, _, tickets := b.gateEvent(own.Access, "Fuzz", 2)
	g := b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "Main", "kind": "main"})
	gid := g.str("id")
	code := tickets[0].Code
	seeds := []string{
		`{"code":"` + code + `","gate_id":"` + gid + `"}`,
		`{"code":"` + code + `","gate_id":"` + gid + `","direction":"out","scan_id":"s1"}`,
		`{"code":"` + strings.ToLower(code) + `","gate_id":"` + gid + `","scanned_at":"0001-01-01T00:00:00Z"}`,
		`{"code":"` + code[:50] + `","gate_id":"` + gid + `"}`,
		`{"code":"1` + strings.Repeat("Z", 176) + `","gate_id":"` + gid + `"}`,
		`{"code":"","gate_id":""}`, `{"code":null}`, `{"scan_id":` + strings.Repeat("9", 400) + `}`,
		`{"scans":[{"scan_id":"x","code":"` + code + `","gate_id":"` + gid + `","direction":"in","scanned_at":"2026-01-01T00:00:00Z","result":"admitted"}]}`,
		`{"scans":[{"scan_id":"","result":"internal"}]}`, `{"scans":null}`, `[`, `null`, ``,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	h := b.app.Handler()
	paths := []string{"/v1/checkins", "/v1/events/" + eid + "/checkins/batch"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+own.Access)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body.Bytes())
		}
	})
}
