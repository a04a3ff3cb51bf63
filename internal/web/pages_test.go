package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/usher-events/usher/internal/app"
)

func TestSignedOutRedirects(t *testing.T) {
	t.Parallel()
	b := newBrowser(t, server(t))
	for path, want := range map[string]string{
		"/":                        "/login",
		"/app":                     "/login?next=%2Fapp",
		"/app/settings/api-keys":   "/login?next=%2Fapp%2Fsettings%2Fapi-keys",
		"/app/events":              "/login?next=%2Fapp%2Fevents",
		"/app/settings/users?x=1":  "/login?next=%2Fapp%2Fsettings%2Fusers%3Fx%3D1",
		"/app/no/such/page/either": "/login?next=%2Fapp%2Fno%2Fsuch%2Fpage%2Feither",
	} {
		p := b.get(path)
		if p.status != http.StatusSeeOther || p.location() != want {
			t.Errorf("GET %s: %d to %q, want 303 to %q", path, p.status, p.location(), want)
		}
	}
	// A signed-out post goes to the login without doing anything.
	p := b.post("/app/settings/api-keys", url.Values{"name": {"x"}, "role": {"admin"}})
	if p.status != http.StatusSeeOther || p.location() != "/login" {
		t.Errorf("signed-out POST: %d to %q", p.status, p.location())
	}
}

func TestLoginReturnsToThePageAskedFor(t *testing.T) {
	t.Parallel()
	srv := server(t)
	newBrowser(t, srv).signup("Return Org", "return@example.com")

	b := newBrowser(t, srv)
	p := b.get("/app/settings/api-keys")
	next := p.location()
	p = b.submit(next, "/login", url.Values{"email": {"return@example.com"}, "password": {strongPassword},
		"next": {"/app/settings/api-keys"}})
	if p.status != http.StatusSeeOther || p.location() != "/app/settings/api-keys" {
		t.Fatalf("login: %d to %q", p.status, p.location())
	}
	// A next that leads off-site is ignored.
	b2 := newBrowser(t, srv)
	p = b2.submit("/login", "/login", url.Values{"email": {"return@example.com"}, "password": {strongPassword},
		"next": {"//evil.example/phish"}})
	if p.location() != "/app" {
		t.Errorf("off-site next: redirected to %q", p.location())
	}
}

func TestSignupFormErrors(t *testing.T) {
	t.Parallel()
	srv := server(t)
	newBrowser(t, srv).signup("Taken Org", "taken@example.com")

	cases := []struct {
		name   string
		lang   string
		form   url.Values
		status int
		want   string
	}{
		{"weak password, Korean by default", "", url.Values{"organization": {"Acme & Co"}, "email": {"a@example.com"}, "password": {"short"}},
			http.StatusUnprocessableEntity, "비밀번호가 너무 약합니다"},
		{"weak password, English", "en-US,en;q=0.9", url.Values{"organization": {"Acme & Co"}, "email": {"a@example.com"}, "password": {"password123"}},
			http.StatusUnprocessableEntity, "The password is too weak"},
		{"email taken", "en", url.Values{"organization": {"Acme & Co"}, "email": {"taken@example.com"}, "password": {strongPassword}},
			http.StatusConflict, "An account with this email already exists"},
		{"bad email", "en", url.Values{"organization": {"Acme & Co"}, "email": {"not-an-email"}, "password": {strongPassword}},
			http.StatusUnprocessableEntity, "Enter a valid email address"},
		{"no organization", "en", url.Values{"organization": {"  "}, "email": {"a@example.com"}, "password": {strongPassword}},
			http.StatusUnprocessableEntity, "Enter an organization name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBrowser(t, srv)
			b.lang = tc.lang
			pw := tc.form.Get("password")
			p := b.submit("/signup", "/signup", tc.form)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tc.status, p.body)
			}
			if !strings.Contains(p.text(), tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, p.body)
			}
			if !strings.Contains(p.body, `role="alert"`) {
				t.Error("the message is not in an alert")
			}
			// The entered values come back; the password never does.
			if org := strings.TrimSpace(tc.form.Get("organization")); org != "" && !strings.Contains(p.text(), `value="`+org+`"`) {
				t.Errorf("organization %q not shown again", org)
			}
			if strings.Contains(p.body, `value="`+pw+`"`) {
				t.Error("the password was shown again")
			}
			if p.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", p.header.Get("Cache-Control"))
			}
		})
	}
}

func TestLoginFormErrors(t *testing.T) {
	t.Parallel()
	srv := server(t)
	newBrowser(t, srv).signup("Login Org", "login@example.com")
	b := newBrowser(t, srv)
	b.lang = "en"
	p := b.submit("/login", "/login", url.Values{"email": {"login@example.com"}, "password": {"wrong password"}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "The email or password is wrong") {
		t.Fatalf("wrong password: %d\n%s", p.status, p.body)
	}
	if !strings.Contains(p.body, `value="login@example.com"`) {
		t.Error("the email is not shown again")
	}
	p = b.submit("/login", "/login", url.Values{"email": {"nobody@example.com"}, "password": {strongPassword}})
	if p.status != http.StatusUnauthorized {
		t.Errorf("unknown email: %d", p.status)
	}
}

func TestLoginIsLimited(t *testing.T) {
	t.Parallel()
	srv := server(t)
	newBrowser(t, srv).signup("Limit Org", "limit@example.com")
	b := newBrowser(t, srv)
	var p page
	for range 11 {
		p = b.submit("/login", "/login", url.Values{"email": {"limit@example.com"}, "password": {"wrong password"}})
	}
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("after 11 failures: %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	if !strings.Contains(p.body, "로그인 시도가 너무 많습니다") {
		t.Errorf("no message:\n%s", p.body)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	srv := server(t)
	form := func() url.Values {
		return url.Values{"organization": {"CSRF Org"}, "email": {"csrf@example.com"}, "password": {strongPassword}}
	}
	b := newBrowser(t, srv)
	token := csrfToken(t, b.get("/signup").body)

	check := func(name string, p page) {
		t.Helper()
		if p.status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, p.status)
		}
		if !strings.Contains(p.body, "보안 확인에 실패했습니다") {
			t.Errorf("%s: not the CSRF page:\n%s", name, p.body)
		}
	}
	check("no token", b.post("/signup", form()))
	f := form()
	wrong := "x" + token[1:]
	if wrong == token { // one token in 32 starts with x
		wrong = "y" + token[1:]
	}
	f.Set("csrf_token", wrong)
	check("wrong token", b.post("/signup", f))
	f.Set("csrf_token", token)
	check("other origin", b.post("/signup", f, "Origin", "https://evil.example"))
	check("cross-site fetch", b.post("/signup", f, "Sec-Fetch-Site", "cross-site"))
	// Another browser's token does not fit this browser's cookie.
	check("token of another browser", newBrowser(t, srv).post("/signup", f))

	// The right token from the same origin works.
	p := b.post("/signup", f, "Origin", srv.URL, "Sec-Fetch-Site", "same-origin")
	if p.status != http.StatusSeeOther {
		t.Fatalf("good post: %d\n%s", p.status, p.body)
	}

	// Signed in, forms need the session's token: the pre-login cookie token
	// is not enough.
	create := url.Values{"name": {"k"}, "role": {"staff"}, "csrf_token": {token}}
	check("signed in with the cookie token", b.post("/app/settings/api-keys", create))
	create.Set("csrf_token", csrfToken(t, b.get("/app/settings/api-keys").body))
	if p := b.post("/app/settings/api-keys", create); p.status != http.StatusCreated {
		t.Fatalf("create key with session token: %d", p.status)
	}
	create.Set("csrf_token", "")
	check("logout without token", b.post("/logout", create))
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	srv := server(t)
	for _, tc := range []struct{ accept, want, title string }{
		{"", "ko", "로그인"},
		{"en-US,en;q=0.9", "en", "Sign in"},
		{"ko-KR,ko;q=0.9,en;q=0.8", "ko", "로그인"},
		{"ja,en;q=0.5", "en", "Sign in"},
		{"fr-FR", "ko", "로그인"},
		{"not a header;;", "ko", "로그인"},
	} {
		b := newBrowser(t, srv)
		b.lang = tc.accept
		p := b.get("/login")
		if !strings.Contains(p.body, `<html lang="`+tc.want+`">`) || !strings.Contains(p.body, "<title>"+tc.title+" · Usher</title>") {
			t.Errorf("Accept-Language %q: want %s page, got:\n%.400s", tc.accept, tc.want, p.body)
		}
	}

	// The switch sets a cookie that wins over the browser's languages.
	b := newBrowser(t, srv)
	b.lang = "ko"
	p := b.get("/login?next=%2Fapp%2Fevents")
	p = b.post("/lang", url.Values{"lang": {"en"}, "next": {"/login?next=%2Fapp%2Fevents"}, "csrf_token": {csrfToken(t, p.body)}})
	if p.status != http.StatusSeeOther || p.location() != "/login?next=%2Fapp%2Fevents" {
		t.Fatalf("switch: %d to %q", p.status, p.location())
	}
	if c := p.header.Get("Set-Cookie"); !strings.Contains(c, "lang=en") || !strings.Contains(c, "HttpOnly") {
		t.Errorf("Set-Cookie %q", c)
	}
	if p = b.get("/login"); !strings.Contains(p.body, `<html lang="en">`) {
		t.Error("the cookie did not switch the page to English")
	}
	// And back, from a signed-in page, with the session's token. Signing
	// up on an English page makes the person's messages English; the
	// switch changes them with the pages.
	b.signup("Lang Org", "lang@example.com")
	if got := userLocale(t, srv.URL, "lang@example.com"); got != "en" {
		t.Errorf("signed up on an English page: locale %q, want en", got)
	}
	p = b.get("/app")
	if !strings.Contains(p.body, "Dashboard") {
		t.Errorf("dashboard not in English")
	}
	p = b.post("/lang", url.Values{"lang": {"ko"}, "next": {"/app"}, "csrf_token": {csrfToken(t, p.body)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("switch back: %d", p.status)
	}
	if p = b.get("/app"); !strings.Contains(p.body, `<html lang="ko">`) || !strings.Contains(p.body, "대시보드") {
		t.Error("not switched back to Korean")
	}
	if got := userLocale(t, srv.URL, "lang@example.com"); got != "ko" {
		t.Errorf("after the switch to Korean: locale %q, want ko", got)
	}
	// Only known languages, and only local return paths.
	p = b.post("/lang", url.Values{"lang": {"xx"}, "csrf_token": {csrfToken(t, p.body)}})
	if p.status != http.StatusUnprocessableEntity {
		t.Errorf("unknown language: %d", p.status)
	}
	p = b.post("/lang", url.Values{"lang": {"en"}, "next": {"https://evil.example/"}, "csrf_token": {csrfToken(t, b.get("/app").body)}})
	if p.location() != "/" {
		t.Errorf("off-site next: %q", p.location())
	}
}

var keyRE = regexp.MustCompile(`value="(usk_[a-z0-9]+)"`)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	srv := server(t)
	b := newBrowser(t, srv)
	b.signup("Key Org", "keys@example.com")

	p := b.submit("/app/settings/api-keys", "/app/settings/api-keys", url.Values{"name": {"Box office"}, "role": {"staff"}})
	if p.status != http.StatusCreated {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	m := keyRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no key shown:\n%s", p.body)
	}
	key := m[1]
	if me := bearerGet(t, srv.URL+"/v1/me", key); me != http.StatusOK {
		t.Fatalf("GET /v1/me with the key: %d", me)
	}
	// Shown once: the list has only its hint.
	p = b.get("/app/settings/api-keys")
	if strings.Contains(p.body, key) || !strings.Contains(p.body, "usk_…"+key[len(key)-4:]) {
		t.Errorf("list shows the key or lacks its hint")
	}

	// A nameless key is a form error, not a 500.
	p = b.submit("/app/settings/api-keys", "/app/settings/api-keys", url.Values{"name": {""}, "role": {"staff"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Errorf("nameless key: %d", p.status)
	}

	// Revoke.
	action := regexp.MustCompile(`action="(/app/settings/api-keys/key_[a-z0-9]+/revoke)"`).FindStringSubmatch(p.body)
	if action == nil {
		t.Fatal("no revoke form")
	}
	p = b.submit("/app/settings/api-keys", action[1], url.Values{})
	if p.status != http.StatusSeeOther || p.location() != "/app/settings/api-keys?done=key_revoked" {
		t.Fatalf("revoke: %d to %q", p.status, p.location())
	}
	if me := bearerGet(t, srv.URL+"/v1/me", key); me != http.StatusUnauthorized {
		t.Errorf("revoked key: %d", me)
	}
	if p = b.get(p.location()); !strings.Contains(p.body, "키를 폐기했습니다") {
		t.Error("no notice after revoking")
	}
	// Revoking it again is a not-found form error.
	p = b.submit("/app/settings/api-keys", action[1], url.Values{})
	if p.status != http.StatusNotFound {
		t.Errorf("second revoke: %d", p.status)
	}
}

func bearerGet(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var inviteRE = regexp.MustCompile(`value="https?://[^/"]+(/invite/uin_[a-z0-9]+)"`)

func TestInviteRolesAndRemoval(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.lang = "en"
	owner.signup("Team Org", "owner@example.com")

	p := owner.submit("/app/settings/users", "/app/settings/users/invite", url.Values{"email": {"viewer@example.com"}, "role": {"viewer"}})
	if p.status != http.StatusCreated {
		t.Fatalf("invite: %d\n%s", p.status, p.body)
	}
	m := inviteRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no invitation link:\n%s", p.body)
	}
	link := m[1]

	guest := newBrowser(t, srv)
	guest.lang = "en"
	p = guest.get(link)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Team Org") || !strings.Contains(p.body, "viewer@example.com") {
		t.Fatalf("invite page: %d\n%s", p.status, p.body)
	}
	p = guest.submit(link, link, url.Values{"name": {"Vera"}, "password": {"short"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `value="Vera"`) {
		t.Fatalf("weak password: %d\n%s", p.status, p.body)
	}
	p = guest.submit(link, link, url.Values{"name": {"Vera"}, "password": {strongPassword}})
	if p.status != http.StatusSeeOther || p.location() != "/app" {
		t.Fatalf("accept: %d to %q", p.status, p.location())
	}
	// The link works once.
	if p = newBrowser(t, srv).get(link); p.status != http.StatusNotFound {
		t.Errorf("used invitation: %d", p.status)
	}

	// A viewer sees no settings and may not open them.
	p = guest.get("/app")
	if p.status != http.StatusOK || strings.Contains(p.body, `href="/app/settings/users"`) {
		t.Errorf("viewer dashboard: %d, or it links to settings", p.status)
	}
	if p = guest.get("/app/settings/users"); p.status != http.StatusForbidden || !strings.Contains(p.body, "Not allowed") {
		t.Errorf("viewer on settings: %d", p.status)
	}
	if p = guest.get("/app/settings/api-keys"); p.status != http.StatusForbidden {
		t.Errorf("viewer on keys: %d", p.status)
	}

	// Made an admin, the same session may open them on the next page.
	users := owner.get("/app/settings/users")
	roleAction := regexp.MustCompile(`action="(/app/settings/users/usr_[a-z0-9]+)/role"`).FindStringSubmatch(users.body)
	if roleAction == nil {
		t.Fatalf("no role form:\n%s", users.body)
	}
	p = owner.post(roleAction[1]+"/role", url.Values{"role": {"admin"}, "csrf_token": {csrfToken(t, users.body)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("change role: %d\n%s", p.status, p.body)
	}
	if p = guest.get("/app/settings/users"); p.status != http.StatusOK {
		t.Fatalf("admin on settings: %d", p.status)
	}
	// An admin may not make owners: the option is not offered, and a forged
	// post is refused with a message.
	if strings.Contains(p.body, `value="owner"`) {
		t.Error("an admin is offered the owner role")
	}
	p = guest.post("/app/settings/users/invite", url.Values{"email": {"x@example.com"}, "role": {"owner"}, "csrf_token": {csrfToken(t, p.body)}})
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "Only an owner") {
		t.Errorf("admin invites an owner: %d\n%s", p.status, p.body)
	}

	// Removed, the session ends at once.
	users = owner.get("/app/settings/users")
	p = owner.post(roleAction[1]+"/remove", url.Values{"csrf_token": {csrfToken(t, users.body)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", p.status)
	}
	if p = guest.get("/app"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
		t.Errorf("removed user: %d to %q", p.status, p.location())
	}
	// Nobody is offered to remove themselves.
	users = owner.get("/app/settings/users")
	if strings.Contains(users.body, "/remove") {
		t.Error("the owner is offered to remove themselves")
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	b := newBrowser(t, server(t))
	b.signup("Bye Org", "bye@example.com")
	p := b.submit("/app", "/logout", url.Values{})
	if p.status != http.StatusSeeOther || p.location() != "/login" {
		t.Fatalf("logout: %d to %q", p.status, p.location())
	}
	if p = b.get("/app"); p.status != http.StatusSeeOther {
		t.Errorf("after logout: %d", p.status)
	}
}

func TestPagesAndStatic(t *testing.T) {
	t.Parallel()
	b := newBrowser(t, server(t))
	b.signup("Static Org", "static@example.com")

	p := b.get("/app")
	for _, want := range []string{`name="viewport"`, `id="menu-toggle"`, "Static Org", `href="/app/events"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if p = b.get("/app/campaigns"); p.status != http.StatusOK || !strings.Contains(p.body, "준비 중") {
		t.Errorf("coming soon: %d", p.status)
	}
	if p = b.get("/app/nothing"); p.status != http.StatusNotFound || !strings.Contains(p.body, "페이지를 찾을 수 없습니다") {
		t.Errorf("unknown section: %d", p.status)
	}
	if p = b.get("/app/settings"); p.status != http.StatusSeeOther {
		t.Errorf("settings: %d", p.status)
	}
	if p = b.get("/signup"); p.status != http.StatusSeeOther || p.location() != "/app" {
		t.Errorf("signed-in sign-up page: %d to %q", p.status, p.location())
	}

	css := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(b.get("/app").body)
	if css == nil {
		t.Fatal("no stylesheet link")
	}
	p = b.get(css[1])
	if p.status != http.StatusOK || !strings.Contains(p.header.Get("Content-Type"), "text/css") ||
		!strings.Contains(p.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("stylesheet: %d %q %q", p.status, p.header.Get("Content-Type"), p.header.Get("Cache-Control"))
	}
	req, _ := http.NewRequest(http.MethodGet, b.base+"/static/app.css", nil)
	req.Header.Set("If-None-Match", p.header.Get("ETag"))
	if p = b.do(req); p.status != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", p.status)
	}
	if p = b.get("/static/nope.js"); p.status != http.StatusNotFound {
		t.Errorf("missing static file: %d", p.status)
	}
}

// lockedBuffer collects log output from concurrent requests.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestInternalErrorPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs lockedBuffer
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0"}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close(ctx)
	})
	b := newBrowser(t, srv)
	b.signup("Broken Org", "broken@example.com")

	// With its table gone, a page cannot load its session.
	if _, err := a.DB().SQL().ExecContext(ctx, `ALTER TABLE sessions RENAME TO sessions_gone`); err != nil {
		t.Fatal(err)
	}
	p := b.get("/app")
	if p.status != http.StatusInternalServerError {
		t.Fatalf("status %d", p.status)
	}
	reqID := p.header.Get("X-Request-Id")
	if !strings.Contains(p.body, "요청을 처리하지 못했습니다") || reqID == "" || !strings.Contains(p.body, reqID) {
		t.Errorf("not the friendly error page with the request id %q:\n%s", reqID, p.body)
	}
	if !strings.Contains(logs.String(), "page failed") || !strings.Contains(logs.String(), reqID) {
		t.Errorf("the failure was not logged with its request id:\n%s", logs.String())
	}
}

// userLocale signs in through the API and reads the person's locale.
func userLocale(t *testing.T, base, email string) string {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, strongPassword)
	res, err := http.Post(base+"/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tokens)
	res.Body.Close()
	if err != nil || tokens.AccessToken == "" {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	req, _ := http.NewRequest("GET", base+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var me struct {
		User struct {
			Locale string `json:"locale"`
		} `json:"user"`
	}
	if err := json.NewDecoder(res.Body).Decode(&me); err != nil {
		t.Fatal(err)
	}
	return me.User.Locale
}
