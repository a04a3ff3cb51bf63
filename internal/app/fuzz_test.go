package app_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/usher-events/usher/internal/db"
)

// FuzzJSONBodies sends arbitrary bytes as the JSON body of creating
// operations: whatever arrives, the answer is never a server error.
// Run longer with: go test ./internal/app -run '^$' -fuzz FuzzJSONBodies -fuzztime 60s
func FuzzJSONBodies(f *testing.F) {
	b := setup(f, db.SQLite)
	ten := b.signup("Fuzz", "fuzz@example.com")
	paths := []string{"/v1/events", "/v1/signup", "/v1/auth/login", "/v1/auth/refresh", "/v1/api-keys", "/v1/users/invites", "/v1/public/invites/accept"}
	seeds := []string{
		`{"name":"x","starts_at":"2027-03-01T10:00:00Z","ends_at":"2027-03-01T12:00:00Z","timezone":"Asia/Seoul","capacity":10}`,
		`{"name":"x","starts_at":"2027-03-01T10:00:00Z","ends_at":"2027-03-01T12:00:00Z","timezone":"../../etc/passwd","capacity":10}`,
		`{"capacity":1e309}`, `{"capacity":-0}`, `{"name":null}`, `{"name":"\u0000"}`, `{"starts_at":"0000-00-00T00:00:00Z"}`,
		`{"organization":"o","email":"a@b.co","password":"pppppppppp"}`, `{"email":[],"password":{}}`,
		`{"refresh_token":"urt_x"}`, `{"name":"k","role":"owner"}`, `{"token":"uin_","password":"x"}`,
		`[`, `"str"`, `null`, `{}`, ``, `{"a":` + string(bytes.Repeat([]byte("["), 10000)),
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	h := b.app.Handler()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+ten.Access)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s %q: error %d without problem+json: %s", path, body, rec.Code, rec.Body.Bytes())
		}
	})
}
