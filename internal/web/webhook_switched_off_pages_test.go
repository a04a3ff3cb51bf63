package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// actionsPanel returns the endpoint page's panel of actions, where the
// on/off switch is.
func actionsPanel(t *testing.T, p page) string {
	t.Helper()
	text := p.text()
	start := strings.Index(text, `id="webhook-actions"`)
	if start < 0 {
		t.Fatalf("no actions panel:\n%s", p.body)
	}
	end := strings.Index(text[start:], "</section>")
	if end < 0 {
		t.Fatalf("the actions panel does not end:\n%s", p.body)
	}
	return text[start : start+end]
}

// TestWebhookPageSaysWhatHappensToEventsWhileOff: beside the on/off switch
// the endpoint's page says that events that happen while it is off are
// never sent to it, whether it is on or off, in English and Korean, and on
// a phone's screen.
func TestWebhookPageSaysWhatHappensToEventsWhileOff(t *testing.T) {
	t.Parallel()
	srv := server(t)
	b := newBrowser(t, srv)
	b.lang = "en"
	const email = "while-off@example.com"
	b.signup("While Off Org", email)
	const list = "/app/settings/webhooks"
	p := b.submit(list, list, url.Values{"url": {hookURL}})
	if p.status != http.StatusCreated {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	hook := "/app/settings/webhooks/" + endpointRE.FindStringSubmatch(p.body)[1]

	const (
		en = "Events that happen while it is off are not recorded for it and are not sent when it is switched back on."
		ko = "꺼져 있는 동안 생긴 이벤트는 이 엔드포인트에 기록되지 않아, 다시 켜도 보내지 않습니다."
	)
	check := func(name, switchID, want string) {
		t.Helper()
		p := b.get(hook)
		wantPage(t, name, p, http.StatusOK)
		panel := actionsPanel(t, p)
		if !strings.Contains(panel, `id="`+switchID+`"`) || !strings.Contains(panel, want) {
			t.Errorf("%s: the actions panel lacks the switch %s or %q:\n%s", name, switchID, want, panel)
		}
	}
	check("on", "webhook-switch-off", en)
	b.lang = "ko"
	check("Korean on", "webhook-switch-off", ko)
	if p := b.submit(hook, hook+"/switch-off", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("switch off: %d", p.status)
	}
	check("Korean off", "webhook-switch-on", ko)
	b.lang = "en"
	check("off", "webhook-switch-on", en)

	tab := headless(t)
	console := watchConsole(tab)
	signInOnPhone(t, tab, srv.URL, email)
	step(t, tab, "open the switched-off endpoint", chromedp.Navigate(srv.URL+hook), chromedp.WaitVisible(chromedp.ID("webhook-off-missed")))
	fitsPhone(t, tab, "switched-off endpoint's page")
	step(t, tab, "scroll to the switch", chromedp.ScrollIntoView(chromedp.ID("webhook-switch-on")))
	screenshot(t, tab, "webhook-switched-off-phone")
	console.check(t)
}
