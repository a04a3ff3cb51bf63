package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/app"
)

// server starts the whole program on a loopback port with a fresh SQLite
// data folder.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	srv, _ := serverApp(t)
	return srv
}

// serverApp is server with the app at hand, for tests that start its
// background work or act as the platform operator.
func serverApp(t *testing.T) (*httptest.Server, *app.App) {
	t.Helper()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close(ctx)
	})
	return srv, a
}

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so tests can see them.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
	// lang is sent as Accept-Language when set.
	lang string
}

func newBrowser(t *testing.T, srv *httptest.Server) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: srv.URL, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an answer as a test looks at it.
type page struct {
	status int
	header http.Header
	body   string
}

func (p page) location() string { return p.header.Get("Location") }

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form; headers are extra request headers as name, value pairs.
func (b *browser) post(path string, form url.Values, headers ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// submit loads the page at from, takes its CSRF token, and posts the form
// to action with it.
func (b *browser) submit(from, action string, form url.Values) page {
	b.t.Helper()
	p := b.get(from)
	if p.status != http.StatusOK {
		b.t.Fatalf("GET %s: status %d", from, p.status)
	}
	form.Set("csrf_token", csrfToken(b.t, p.body))
	return b.post(action, form)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func csrfToken(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf_token in page:\n%s", body)
	}
	return m[1]
}

// signup creates an organization through the sign-up page; the browser is
// signed in afterwards.
func (b *browser) signup(org, email string) {
	b.t.Helper()
	p := b.submit("/signup", "/signup", url.Values{"organization": {org}, "email": {email}, "password": {strongPassword}})
	if p.status != http.StatusSeeOther || p.location() != "/app" {
		b.t.Fatalf("sign-up: status %d, location %q\n%s", p.status, p.location(), p.body)
	}
}

const strongPassword = "correct horse battery"

// text returns the page's body with HTML entities decoded, for looking for
// messages that contain quotes or ampersands.
func (p page) text() string { return html.UnescapeString(p.body) }
