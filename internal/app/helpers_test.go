package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// bundle is a running server for one test.
type bundle struct {
	t   testing.TB
	app *app.App
	srv *httptest.Server
}

// setup starts a real server on a fresh database of the dialect; opts
// change its configuration.
func setup(t testing.TB, d db.Dialect, opts ...func(*app.Config)) *bundle {
	t.Helper()
	dc := dbtest.Config(t, d)
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: dc.DataDir, DatabaseURL: dc.URL}
	for _, o := range opts {
		o(&cfg)
	}
	level := slog.LevelWarn
	if os.Getenv("USHER_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close(context.Background())
	})
	return &bundle{t: t, app: a, srv: srv}
}

// response is an answer with its decoded JSON body.
type response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func (r *response) str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

func (r *response) obj(key string) map[string]any {
	m, _ := r.Body[key].(map[string]any)
	return m
}

// do sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON). headers are pairs of name and value.
func (b *bundle) do(method, path, token string, body any, headers ...string) *response {
	b.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		j, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.srv.Client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	json.Unmarshal(raw, &out.Body)
	return out
}

// want fails the test unless the answer has the status (and, for errors,
// the problem code).
func (b *bundle) want(r *response, status int, code string) {
	b.t.Helper()
	if r.Status != status {
		b.t.Fatalf("status = %d, want %d; body: %s", r.Status, status, r.Raw)
	}
	if code != "" {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			b.t.Fatalf("content type = %q, want problem+json; body: %s", ct, r.Raw)
		}
		if got := r.str("code"); got != code {
			b.t.Fatalf("code = %q, want %q; body: %s", got, code, r.Raw)
		}
	}
}

// tenant is a signed-up organization seen from the test.
type tenant struct {
	ID, UserID, Email, Access, Refresh string
}

func (b *bundle) signup(org, email string) tenant {
	b.t.Helper()
	r := b.do("POST", "/v1/signup", "", map[string]any{"organization": org, "email": email, "password": "correct horse battery"})
	b.want(r, 201, "")
	return tenant{
		ID: r.obj("tenant")["id"].(string), UserID: r.obj("user")["id"].(string), Email: email,
		Access: r.str("access_token"), Refresh: r.str("refresh_token"),
	}
}

// fontInstalled reports whether Debian's fonts-nanum is there: PDFs with
// Korean text need it, and without it they answer 503 font_unavailable.
// .ci/run installs it; a bare `go test ./...` on a fresh machine may not.
func fontInstalled() bool {
	_, err := os.Stat("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
	return err == nil
}

// wantPDF checks a PDF answer, or the clear 503 when the font is missing.
// member invites a person with the role into the owner's organization and
// accepts for them; it returns their user id and access token.
func (b *bundle) member(ownerToken, email, role string) (userID, access string) {
	b.t.Helper()
	inv := b.do("POST", "/v1/users/invites", ownerToken, map[string]any{"email": email, "role": role})
	b.want(inv, 201, "")
	acc := b.do("POST", "/v1/public/invites/accept", "", map[string]any{"token": inv.str("token"), "password": "a member's passphrase"})
	b.want(acc, 201, "")
	return acc.obj("user")["id"].(string), acc.str("access_token")
}

func (b *bundle) wantPDF(r *response) {
	b.t.Helper()
	if !fontInstalled() {
		b.want(r, 503, "font_unavailable")
		return
	}
	b.want(r, 200, "")
	if ct := r.Header.Get("Content-Type"); ct != "application/pdf" || !bytes.HasPrefix(r.Raw, []byte("%PDF-")) {
		b.t.Fatalf("pdf: %q %.20q", ct, r.Raw)
	}
}

// validEvent is a body for POST /v1/events.
func validEvent(name string) map[string]any {
	return map[string]any{
		"name": name, "starts_at": "2027-03-01T10:00:00+09:00", "ends_at": "2027-03-01T18:00:00+09:00",
		"timezone": "Asia/Seoul", "venue": "COEX Hall A", "capacity": 500,
	}
}
