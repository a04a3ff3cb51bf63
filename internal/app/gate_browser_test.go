package app_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/usher-events/usher/internal/db"
)

// TestScannerPageInBrowser drives the scanner page in headless Chromium:
// set up with a gate key, admit a ticket by typed code, see the green
// result with the attendee's name and ticket type, and watch the dashboards
// count it: the scanner's own and the signed-in one, which updates from the
// page-session stream without reloading.
func TestScannerPageInBrowser(t *testing.T) {
	path := os.Getenv("USHER_CHROMIUM")
	if path == "" {
		for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Skip("no Chromium installed (set USHER_CHROMIUM to its path)")
	}
	b := setup(t, db.SQLite)
	own := b.signup("Browser Gate", "browser-gate@example.com")
	eid, _, _, tickets := b.gateEvent(own.Access, "Browser", 3)
	key := b.gateKey(own.Access)
	b.want(b.do("POST", "/v1/events/"+eid+"/gates", own.Access, map[string]any{"name": "North", "kind": "main"}), 201, "")

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(800, 1000))
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	wait := func(what, js string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}
	step("set up the scanner",
		chromedp.Navigate(b.srv.URL+"/scan/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), key),
		chromedp.SendKeys(chromedp.ID("event"), eid),
		chromedp.Click(chromedp.ID("load-gates")))
	wait("gates loaded", `document.querySelectorAll('#gate option').length > 0`)
	step("start scanning", chromedp.Click(chromedp.CSS("#setup-form button[type=submit]")), chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), tickets[0].Code+"\n"))
	wait("green result", `document.getElementById('result').className === 'ok' && !document.getElementById('result').hidden`)
	if v, w, k := text("#result .verdict"), text("#result .who"), text("#result .what"); v != "WELCOME" || w != "Kim Minji" || k != "General" {
		t.Fatalf("result = %q %q %q", v, w, k)
	}
	// The same ticket again: red, with the reason.
	wait("result closes", `document.getElementById('result').hidden`)
	step("scan again", chromedp.SendKeys(chromedp.ID("code"), tickets[0].Code+"\n"))
	wait("red result", `document.getElementById('result').className === 'no' && !document.getElementById('result').hidden`)
	if r := text("#result .reason"); r != "Already checked in" {
		t.Fatalf("reason = %q", r)
	}
	// The dashboard (same origin, same saved key and event) shows it live.
	step("open the dashboard", chromedp.Navigate(b.srv.URL+"/scan/dashboard"))
	wait("dashboard shows one inside", `document.getElementById('inside').firstChild.nodeValue.trim() === '1'`)
	gates := b.do("GET", "/v1/events/"+eid+"/gates", key, nil).Body["data"].([]any)
	b.want(b.do("POST", "/v1/checkins", key, map[string]any{"code": tickets[1].Code, "gate_id": gates[0].(map[string]any)["id"]}), 200, "")
	wait("dashboard updates", `document.getElementById('inside').firstChild.nodeValue.trim() === '2'`)

	// The signed-in dashboard: sign in, open it, scan, and see the count
	// go up on the same page.
	step("sign in", chromedp.Navigate(b.srv.URL+"/login?next=/app/events/"+eid+"/gates/live"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("email"), "browser-gate@example.com"), chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"))
	// Wait for the page the login leads to, so that polling starts there.
	step("open the live dashboard", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS("form button[type=submit]")))(ctx, tg)
		return chromedp.Void{}, err
	}, chromedp.WaitVisible(chromedp.ID("board")))
	wait("live dashboard shows two inside", `!!document.getElementById('stat-inside') && document.getElementById('stat-inside').textContent.trim() === '2'`)
	wait("stream connected", `document.getElementById('live-state').classList.contains('on')`)
	// A reload would drop this mark.
	wait("mark the page", `(window.notReloaded = true)`)
	b.want(b.do("POST", "/v1/checkins", key, map[string]any{"code": tickets[2].Code, "gate_id": gates[0].(map[string]any)["id"]}), 200, "")
	wait("live dashboard updates without reloading", `window.notReloaded === true && document.getElementById('stat-inside').textContent.trim() === '3'`)
	if os.Getenv("USHER_SCREENSHOTS") == "1" {
		// For a person to look at, as the web package's browser tests do.
		ctx, cancel := context.WithTimeout(tab, 30*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			os.MkdirAll("/tmp/usher-shots", 0o755)
			err = os.WriteFile("/tmp/usher-shots/gates-live.png", png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
