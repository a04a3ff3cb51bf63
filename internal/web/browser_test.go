package web_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium to drive: $USHER_CHROMIUM, else the usual
// names on the PATH. The browser tests skip when there is none (CI installs
// Debian's chromium).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("USHER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium installed (set USHER_CHROMIUM to its path)")
	return ""
}

// headless starts a fresh headless Chromium with its own profile and
// returns a tab. The browser is closed (and waited for) before the profile
// folder is removed.
func headless(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	profile := t.TempDir()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Start the browser with a context that has no deadline: the first run
	// binds the browser's life to its context.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	return tab
}

// step runs browser actions with a generous deadline, failing the test
// with what was being done.
func step(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// read runs one browser action that returns a value.
func read[T any](t *testing.T, tab context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// follow clicks what leads to another page (a link or a form's button) and
// waits for that page to load, so that the next step finds its elements.
func follow[S chromedp.Selectable](sel S) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(sel))(ctx, t)
		return chromedp.Void{}, err
	}
}

// consoleLog collects a tab's console errors and uncaught exceptions (a
// script error, a blocked resource, a Content-Security-Policy violation);
// each fails the test that checks it.
type consoleLog struct {
	mu   sync.Mutex
	errs []string
}

func watchConsole(tab context.Context) *consoleLog {
	c := &consoleLog{}
	go func() {
		for msg, err := range chromedp.Console(tab) {
			if err != nil {
				return
			}
			if msg.Type == chromedp.ConsoleError || msg.IsException() {
				c.mu.Lock()
				c.errs = append(c.errs, msg.Text+" "+msg.URL)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *consoleLog) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.errs {
		t.Errorf("browser console: %s", e)
	}
}

// screenshot saves the viewport to /tmp/usher-shots/<name>.png when
// USHER_SCREENSHOTS=1, for a person to look at.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if os.Getenv("USHER_SCREENSHOTS") != "1" {
		return
	}
	read(t, tab, "settle before "+name, chromedp.Poll[bool](`document.getAnimations().length === 0`))
	png := read(t, tab, "screenshot "+name, chromedp.CaptureScreenshot())
	dir := "/tmp/usher-shots"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserSignupLoginAPIKey drives the pages in a real Chromium: sign
// up, sign out, sign in, create an API key and use it, sign out; on the way
// it switches the language and checks the phone layout.
func TestBrowserSignupLoginAPIKey(t *testing.T) {
	t.Parallel()
	srv := server(t)
	tab := headless(t)
	base := srv.URL

	// Every console error or uncaught exception (a script error, a blocked
	// resource, a Content-Security-Policy violation) fails the test.
	console := watchConsole(tab)

	const email, org = "browser@example.com", "Browser Test Org"

	// The language switch works both ways; the rest runs in Korean.
	step(t, tab, "open the sign-up page",
		chromedp.Navigate(base+"/signup"),
		chromedp.WaitVisible(chromedp.ID("organization")),
		follow(chromedp.CSS(`.lang button[value="en"]`)),
	)
	read(t, tab, "switch to English", chromedp.Poll[bool](`document.documentElement.lang === "en" && document.title.startsWith("Create your organization")`))
	step(t, tab, "switch to Korean", follow(chromedp.CSS(`.lang button[value="ko"]`)))
	read(t, tab, "switched to Korean", chromedp.Poll[bool](`document.documentElement.lang === "ko" && document.title.startsWith("조직 만들기")`))
	screenshot(t, tab, "signup-desktop")

	step(t, tab, "sign up",
		chromedp.WaitVisible(chromedp.ID("organization")),
		chromedp.SendKeys(chromedp.ID("organization"), org),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), strongPassword),
		follow(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".tiles")),
	)
	if loc := read(t, tab, "location", chromedp.Location()); loc != base+"/app" {
		t.Fatalf("after sign-up at %s", loc)
	}
	if got := read(t, tab, "organization name", chromedp.Text(chromedp.CSS(".topbar .org"))); got != org {
		t.Errorf("top bar shows %q", got)
	}
	screenshot(t, tab, "dashboard-desktop")

	// On a phone the navigation folds behind a menu button.
	step(t, tab, "phone viewport",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("menu-toggle")),
		chromedp.WaitNotVisible(chromedp.ID("sidenav")),
	)
	if !read(t, tab, "page fits the phone", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Error("the dashboard is wider than the phone's screen")
	}
	screenshot(t, tab, "dashboard-phone")
	step(t, tab, "open the phone menu",
		chromedp.Click(chromedp.ID("menu-toggle")),
		chromedp.WaitVisible(chromedp.CSS(`#sidenav a[href="/app/settings/users"]`)),
	)
	if got := read(t, tab, "menu state", chromedp.Evaluate[string](`document.getElementById("menu-toggle").getAttribute("aria-expanded")`)); got != "true" {
		t.Errorf("aria-expanded = %q after opening the menu", got)
	}
	screenshot(t, tab, "menu-phone")
	step(t, tab, "close the phone menu",
		chromedp.Click(chromedp.ID("menu-toggle")),
		chromedp.WaitNotVisible(chromedp.ID("sidenav")),
	)
	step(t, tab, "back to the desktop",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("sidenav")),
	)

	step(t, tab, "log out",
		follow(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	if loc := read(t, tab, "location", chromedp.Location()); loc != base+"/login" {
		t.Fatalf("after logout at %s", loc)
	}

	step(t, tab, "log in",
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), strongPassword),
		follow(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".tiles")),
	)

	step(t, tab, "open the settings",
		follow(chromedp.CSS(`#sidenav a[href="/app/settings/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.tabs a[href="/app/settings/api-keys"]`)),
	)
	screenshot(t, tab, "users-desktop")
	step(t, tab, "create an API key",
		follow(chromedp.CSS(`.tabs a[href="/app/settings/api-keys"]`)),
		chromedp.WaitVisible(chromedp.ID("key-name")),
		chromedp.SendKeys(chromedp.ID("key-name"), "Browser test"),
		chromedp.SetValue(chromedp.ID("key-role"), "admin"),
		follow(chromedp.ID("create-key")),
		chromedp.WaitVisible(chromedp.ID("new-key")),
	)
	key := read(t, tab, "read the new key", chromedp.Value(chromedp.ID("new-key")))
	if !strings.HasPrefix(key, "usk_") {
		t.Fatalf("the shown key is %q", key)
	}
	screenshot(t, tab, "api-key-desktop")
	if os.Getenv("USHER_SCREENSHOTS") == "1" {
		step(t, tab, "phone keys page", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		screenshot(t, tab, "api-key-phone")
		step(t, tab, "desktop again", chromedp.EmulateViewport(1280, 900))
	}
	step(t, tab, "copy the key", chromedp.Click(chromedp.CSS(`button[data-copy="new-key"]`)))
	read(t, tab, "the copy button confirms", chromedp.Poll[bool](`(b => b.textContent === b.dataset.copied)(document.querySelector('button[data-copy="new-key"]'))`))

	// The key is shown once: the list shows only its hint.
	step(t, tab, "reload the keys", chromedp.Navigate(base+"/app/settings/api-keys"), chromedp.WaitVisible(chromedp.ID("key-name")))
	html := read(t, tab, "keys page", chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(html, key) {
		t.Error("the key is shown again")
	}
	if !strings.Contains(html, "usk_…"+key[len(key)-4:]) {
		t.Error("the key's hint is not listed")
	}

	if status := bearerGet(t, base+"/v1/me", key); status != http.StatusOK {
		t.Errorf("GET /v1/me with the new key: %d", status)
	}

	step(t, tab, "log out again",
		follow(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Navigate(base+"/app"),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	if loc := read(t, tab, "location", chromedp.Location()); loc != base+"/login?next=%2Fapp" {
		t.Errorf("signed out, /app went to %s", loc)
	}

	console.check(t)
}

// fitsPhone fails the test when the page on tab is wider than its screen.
func fitsPhone(t *testing.T, tab context.Context, what string) {
	t.Helper()
	if !read(t, tab, what+" fits", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)) {
		t.Errorf("the %s is wider than the phone", what)
	}
}

// signInOnPhone gives tab a phone's screen and signs in there as email
// (with strongPassword), ending on the dashboard.
func signInOnPhone(t *testing.T, tab context.Context, base, email string) {
	t.Helper()
	step(t, tab, "sign in on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), strongPassword),
		follow(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".tiles")),
	)
}
