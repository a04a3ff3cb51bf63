package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usher-events/usher/internal/app"
)

var (
	secretRE   = regexp.MustCompile(`value="(whsec_[A-Za-z0-9+/=]+)"`)
	endpointRE = regexp.MustCompile(`action="/app/settings/webhooks/(whk_[a-z0-9]+)/ping"`)
	deliveryRE = regexp.MustCompile(`href="(/app/settings/webhooks/whk_[a-z0-9]+/deliveries/whd_[a-z0-9]+)"`)
	// rawKeyRE finds a webhook message key shown as itself, which is what
	// a key missing from the catalog looks like.
	rawKeyRE = regexp.MustCompile(`\bwh\.[a-z_]+[a-z_.*]*`)
)

const hookURL = "https://hooks.example.com/usher"

// wantPage fails the test unless p has the status and every text in want,
// and shows no message key as itself.
func wantPage(t *testing.T, name string, p page, status int, want ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", name, p.status, status, p.body)
	}
	text := p.text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q", name, w)
		}
	}
	if k := rawKeyRE.FindString(text); k != "" {
		t.Errorf("%s shows the message key %q", name, k)
	}
}

func TestWebhookPages(t *testing.T) {
	t.Parallel()
	srv := server(t)

	// Signed out, the pages send to the login and posts do nothing.
	anon := newBrowser(t, srv)
	if p := anon.get("/app/settings/webhooks"); p.status != http.StatusSeeOther || p.location() != "/login?next=%2Fapp%2Fsettings%2Fwebhooks" {
		t.Errorf("signed-out list: %d to %q", p.status, p.location())
	}
	if p := anon.post("/app/settings/webhooks", url.Values{"url": {hookURL}}); p.status != http.StatusSeeOther || p.location() != "/login" {
		t.Errorf("signed-out create: %d to %q", p.status, p.location())
	}

	b := newBrowser(t, srv)
	b.lang = "en"
	b.signup("Hook Org", "hooks@example.com")
	const list = "/app/settings/webhooks"
	p := b.get(list)
	wantPage(t, "empty list", p, http.StatusOK, "No endpoints yet", "Events to send", "Tick none to receive every event",
		`value="order.*"`, `value="order.paid"`, `value="device.alert"`, "Order paid")
	if !strings.Contains(p.body, `href="/app/settings/webhooks" aria-current="page"`) {
		t.Error("the settings tabs do not mark the webhooks tab")
	}
	if keys := b.get("/app/settings/api-keys"); !strings.Contains(keys.body, `href="/app/settings/webhooks"`) {
		t.Error("the API keys page has no webhooks tab")
	}

	// Form errors come back with the message and what was entered.
	for _, tc := range []struct {
		name, url, event, want string
	}{
		{"malformed URL", "not a url", "order.paid", "Enter a full address starting with http:// or https://"},
		{"private address", "http://127.0.0.1:8080/hook", "order.paid", "Webhooks cannot be sent to this address"},
		{"unknown kind", hookURL, "order.nonsense", "Choose event kinds from the list only"},
	} {
		p = b.submit(list, list, url.Values{"url": {tc.url}, "description": {"Books"}, "events": {tc.event}})
		wantPage(t, tc.name, p, http.StatusUnprocessableEntity, tc.want, `value="`+tc.url+`"`, `value="Books"`, `role="alert"`)
		if tc.event == "order.paid" && !strings.Contains(p.body, `value="order.paid" checked`) {
			t.Errorf("%s: the ticked kind is not ticked again", tc.name)
		}
	}

	// Created, the endpoint's page shows the secret once, with how to
	// check signatures.
	p = b.submit(list, list, url.Values{"url": {hookURL}, "description": {"Accounting"}, "events": {"order.paid", "ticket.*"}})
	wantPage(t, "created", p, http.StatusCreated, "Endpoint added", "It will not be shown again",
		"webhook-id", "webhook-timestamp", "webhook-signature", hookURL, "Accounting", "order.paid", "ticket.*", "All ticket events")
	m := secretRE.FindStringSubmatch(p.text())
	if m == nil {
		t.Fatalf("no secret shown:\n%s", p.body)
	}
	secret := m[1]
	e := endpointRE.FindStringSubmatch(p.body)
	if e == nil {
		t.Fatalf("no ping form:\n%s", p.body)
	}
	hook := "/app/settings/webhooks/" + e[1]

	p = b.get(list)
	wantPage(t, "list", p, http.StatusOK, hookURL, "Accounting", "<code>order.paid</code>, <code>ticket.*</code>", ">On<", `href="`+hook+`"`)
	if strings.Contains(p.text(), secret) {
		t.Error("the list shows the secret")
	}
	p = b.get(hook)
	wantPage(t, "endpoint", p, http.StatusOK, "No deliveries yet", "Send test ping")
	if strings.Contains(p.text(), secret) || strings.Contains(p.body, "whsec_") {
		t.Error("the endpoint's page shows the secret again")
	}

	// A ping is a pending delivery (jobs do not run here) with its page.
	p = b.submit(hook, hook+"/ping", url.Values{})
	if p.status != http.StatusSeeOther || p.location() != hook+"?done=webhook_pinged" {
		t.Fatalf("ping: %d to %q\n%s", p.status, p.location(), p.body)
	}
	p = b.get(p.location())
	wantPage(t, "after ping", p, http.StatusOK, "Test ping queued", "webhook.ping", "Test ping", `status-pending">Pending<`)
	d := deliveryRE.FindStringSubmatch(p.body)
	if d == nil {
		t.Fatalf("no delivery row:\n%s", p.body)
	}
	delivery := d[1]
	if strings.Contains(p.body, "/redeliver") {
		t.Error("a pending delivery offers to be sent again")
	}
	// Every status the filter offers has its label.
	wantPage(t, "filter", p, http.StatusOK, "Retrying", "Succeeded", "Failed", "Cancelled")
	if p = b.get(hook + "?status=succeeded"); !strings.Contains(p.body, "No deliveries with this status") || strings.Contains(p.body, delivery) {
		t.Error("the status filter shows a pending delivery under succeeded")
	}
	if p = b.get(hook + "?status=pending"); !strings.Contains(p.body, delivery) || !strings.Contains(p.body, `value="pending" selected`) {
		t.Error("the status filter hides the pending delivery")
	}

	p = b.get(delivery)
	wantPage(t, "delivery", p, http.StatusOK, "Body sent", `"type": "webhook.ping"`, `"endpoint_id": "`+e[1]+`"`,
		"Not sent yet", "Delivery ID (webhook-id)", "<pre")
	// Sending again while it waits is refused with a message.
	p = b.submit(delivery, delivery+"/redeliver", url.Values{})
	wantPage(t, "early redeliver", p, http.StatusConflict, "still being sent")

	// A new secret is shown once too, and differs.
	p = b.submit(hook, hook+"/rotate-secret", url.Values{})
	wantPage(t, "rotate", p, http.StatusOK, "New signing secret", "24 hours")
	m = secretRE.FindStringSubmatch(p.text())
	if m == nil || m[1] == secret {
		t.Fatalf("rotate: secret %v, before %q", m, secret)
	}
	if p = b.get(hook); strings.Contains(p.text(), m[1]) {
		t.Error("the rotated secret is shown again")
	}

	// Switched off: its waiting delivery is cancelled and no ping is
	// offered (a forged one is refused); switched on, it can be sent again.
	p = b.submit(hook, hook+"/switch-off", url.Values{})
	if p.status != http.StatusSeeOther || p.location() != hook+"?done=webhook_switched_off" {
		t.Fatalf("switch off: %d to %q", p.status, p.location())
	}
	p = b.get(p.location())
	wantPage(t, "switched off", p, http.StatusOK, "The endpoint was switched off", "Off", "Switch on", `status-cancelled">Cancelled<`)
	if strings.Contains(p.body, "/ping") || strings.Contains(p.body, "/redeliver") {
		t.Error("a switched-off endpoint offers a ping or a redelivery")
	}
	p = b.submit(hook, hook+"/ping", url.Values{})
	wantPage(t, "ping while off", p, http.StatusConflict, "switched off; switch it on first")
	if p = b.get(list); !strings.Contains(p.body, ">Off<") {
		t.Error("the list does not show the endpoint off")
	}
	p = b.submit(hook, hook+"/switch-on", url.Values{})
	if p.status != http.StatusSeeOther || p.location() != hook+"?done=webhook_switched_on" {
		t.Fatalf("switch on: %d to %q", p.status, p.location())
	}
	p = b.get(p.location())
	wantPage(t, "switched on", p, http.StatusOK, "The endpoint was switched on", "Send test ping", delivery+"/redeliver")
	p = b.submit(hook, delivery+"/redeliver", url.Values{})
	if p.status != http.StatusSeeOther || p.location() != hook+"?done=webhook_redelivered" {
		t.Fatalf("redeliver: %d to %q", p.status, p.location())
	}
	wantPage(t, "redelivered", b.get(p.location()), http.StatusOK, "Queued to be sent again", `status-pending">Pending<`)

	// In Korean.
	b.lang = "ko"
	wantPage(t, "Korean list", b.get(list), http.StatusOK, `<html lang="ko">`, "웹훅", "등록된 엔드포인트", "보낼 이벤트 종류",
		"아무것도 고르지 않으면 모든 이벤트 종류를 보냅니다", "결제 완료", "켜짐")
	wantPage(t, "Korean endpoint", b.get(hook), http.StatusOK, "웹훅 엔드포인트", "테스트 전송", "시크릿 교체", "끄기", "삭제",
		"최근 전송", "대기 중", "재시도 중", "성공", "실패", "취소됨", "티켓 전체")
	wantPage(t, "Korean delivery", b.get(delivery), http.StatusOK, "보낸 본문", "시도 기록", "전송 ID (webhook-id)")
	p = b.submit(list, list, url.Values{"url": {"ftp://hooks.example.com/x"}})
	wantPage(t, "Korean error", p, http.StatusUnprocessableEntity, "이 주소로는 웹훅을 보낼 수 없습니다")
	p = b.submit(hook, hook+"/rotate-secret", url.Values{})
	wantPage(t, "Korean rotate", p, http.StatusOK, "새 서명 시크릿을 만들었습니다", "다시 표시되지 않습니다", "webhook-signature")
	b.lang = "en"

	// Another organization cannot see it.
	other := newBrowser(t, srv)
	other.signup("Other Hook Org", "other-hooks@example.com")
	if p = other.get(hook); p.status != http.StatusNotFound {
		t.Errorf("another organization's endpoint: %d", p.status)
	}
	if p = other.get(list); strings.Contains(p.body, hookURL) {
		t.Error("another organization lists the endpoint")
	}

	// Deleted, it leaves the list and its page is gone.
	p = b.submit(hook, hook+"/delete", url.Values{})
	if p.status != http.StatusSeeOther || p.location() != list+"?done=webhook_deleted" {
		t.Fatalf("delete: %d to %q", p.status, p.location())
	}
	p = b.get(p.location())
	wantPage(t, "after delete", p, http.StatusOK, "The endpoint was deleted", "No endpoints yet")
	if strings.Contains(p.body, hookURL) {
		t.Error("the deleted endpoint is still listed")
	}
	if p = b.get(hook); p.status != http.StatusNotFound {
		t.Errorf("deleted endpoint's page: %d", p.status)
	}
	if p = b.get(delivery); p.status != http.StatusNotFound {
		t.Errorf("deleted endpoint's delivery: %d", p.status)
	}
}

func TestWebhookPagesAreForAdmins(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Staff Hook Org", "staff-hooks-owner@example.com")
	p := owner.submit("/app/settings/webhooks", "/app/settings/webhooks", url.Values{"url": {hookURL}})
	if p.status != http.StatusCreated {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	hook := "/app/settings/webhooks/" + endpointRE.FindStringSubmatch(p.body)[1]

	p = owner.submit("/app/settings/users", "/app/settings/users/invite", url.Values{"email": {"staff-hooks@example.com"}, "role": {"staff"}})
	m := inviteRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no invitation link: %d", p.status)
	}
	staff := newBrowser(t, srv)
	staff.lang = "en"
	if p = staff.submit(m[1], m[1], url.Values{"name": {"Stan"}, "password": {strongPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("accept invitation: %d", p.status)
	}
	// The same refusal as the other admin-only settings pages.
	for _, path := range []string{"/app/settings/webhooks", hook, "/app/settings/api-keys"} {
		if p = staff.get(path); p.status != http.StatusForbidden || !strings.Contains(p.body, "Not allowed") {
			t.Errorf("staff GET %s: %d", path, p.status)
		}
	}
	token := csrfToken(t, staff.get("/app").body)
	for _, path := range []string{"/app/settings/webhooks", hook + "/ping", hook + "/rotate-secret", hook + "/switch-off", hook + "/delete"} {
		if p = staff.post(path, url.Values{"url": {hookURL}, "csrf_token": {token}}); p.status != http.StatusForbidden {
			t.Errorf("staff POST %s: %d", path, p.status)
		}
	}
	if p = owner.get(hook); p.status != http.StatusOK || !strings.Contains(p.body, "/switch-off") {
		t.Errorf("the staff's posts changed the endpoint: %d", p.status)
	}
}

// TestWebhookDeliveryLog lets the background work send a ping to a real
// receiver: the delivery's page shows the attempt with the receiver's
// answer, the signature checks out with the secret the page showed, and a
// redelivery is a second attempt.
func TestWebhookDeliveryLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", WebhookAllowPrivate: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close(ctx)
	})
	var mu sync.Mutex
	var got []http.Header
	var bodies [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r.Header.Clone()), append(bodies, raw)
		mu.Unlock()
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(recv.Close)
	a.StartBackground()

	b := newBrowser(t, srv)
	b.lang = "en"
	b.signup("Log Org", "log-hooks@example.com")
	p := b.submit("/app/settings/webhooks", "/app/settings/webhooks", url.Values{"url": {recv.URL + "/usher"}})
	if p.status != http.StatusCreated {
		t.Fatalf("create: %d\n%s", p.status, p.body)
	}
	secret := secretRE.FindStringSubmatch(p.text())[1]
	hook := "/app/settings/webhooks/" + endpointRE.FindStringSubmatch(p.body)[1]
	if p = b.submit(hook, hook+"/ping", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("ping: %d", p.status)
	}
	delivery := deliveryRE.FindStringSubmatch(b.get(hook).body)[1]

	// waitFor loads the delivery's page until it shows n attempts.
	waitFor := func(n string) page {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			p := b.get(delivery)
			if strings.Contains(p.body, `<td class="num">`+n+`</td>`) && strings.Contains(p.body, `status-succeeded">Succeeded<`) {
				return p
			}
			if time.Now().After(deadline) {
				t.Fatalf("attempt %s not shown:\n%s", n, p.body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	p = waitFor("1")
	wantPage(t, "delivered", p, http.StatusOK, "Delivered", `<td class="num">200</td>`, `{"received":true}`, " ms</td>")
	mu.Lock()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests", len(got))
	}
	if err := wh.Verify(bodies[0], got[0]); err != nil {
		t.Errorf("the secret shown does not verify the signature: %v", err)
	}
	mu.Unlock()

	// Sent, it may be sent again, from its page or the endpoint's.
	if !strings.Contains(b.get(hook).body, delivery+"/redeliver") {
		t.Error("the endpoint's page offers no redelivery of a sent delivery")
	}
	if p = b.submit(delivery, delivery+"/redeliver", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("redeliver: %d\n%s", p.status, p.body)
	}
	waitFor("2")
}

// TestBrowserWebhookPages adds an endpoint through the form in Chromium on
// a phone, copies its secret and opens a delivery; every page fits the
// phone's width.
func TestBrowserWebhookPages(t *testing.T) {
	t.Parallel()
	srv := server(t)
	tab := headless(t)
	base := srv.URL
	console := watchConsole(tab)
	newBrowser(t, srv).signup("Phone Hook Org", "phone-hooks@example.com")

	signInOnPhone(t, tab, base, "phone-hooks@example.com")
	step(t, tab, "open the page", chromedp.Navigate(base+"/app/settings/webhooks"), chromedp.WaitVisible(chromedp.ID("webhook-url")))
	fitsPhone(t, tab, "webhooks page")
	step(t, tab, "add an endpoint",
		chromedp.SendKeys(chromedp.ID("webhook-url"), hookURL),
		chromedp.SendKeys(chromedp.ID("webhook-description"), "휴대폰에서 추가"),
		chromedp.Click(chromedp.CSS(`#webhook-events summary`)),
		chromedp.WaitVisible(chromedp.CSS(`input[value="order.paid"]`)),
		chromedp.Click(chromedp.CSS(`input[value="order.paid"]`)),
	)
	fitsPhone(t, tab, "open event list")
	screenshot(t, tab, "webhooks-form-phone")
	step(t, tab, "submit", follow(chromedp.ID("create-webhook")), chromedp.WaitVisible(chromedp.ID("new-secret")))
	if s := read(t, tab, "secret", chromedp.Value(chromedp.ID("new-secret"))); !strings.HasPrefix(s, "whsec_") {
		t.Errorf("the shown secret is %q", s)
	}
	step(t, tab, "copy the secret", chromedp.Click(chromedp.CSS(`button[data-copy="new-secret"]`)))
	read(t, tab, "the copy button confirms", chromedp.Poll[bool](`(b => b.textContent === b.dataset.copied)(document.querySelector('button[data-copy="new-secret"]'))`))
	fitsPhone(t, tab, "new endpoint's page")
	screenshot(t, tab, "webhook-created-phone")
	step(t, tab, "ping",
		follow(chromedp.ID("webhook-ping")),
		chromedp.WaitVisible(chromedp.ID("delivery-table")),
	)
	fitsPhone(t, tab, "endpoint's page with deliveries")
	step(t, tab, "scroll to the deliveries", chromedp.ScrollIntoView(chromedp.ID("deliveries")))
	screenshot(t, tab, "webhook-deliveries-phone")
	step(t, tab, "open the delivery",
		follow(chromedp.CSS(`#delivery-table a.button`)),
		chromedp.WaitVisible(chromedp.ID("delivery-body")),
	)
	if body := read(t, tab, "body", chromedp.Text(chromedp.ID("delivery-body"))); !strings.Contains(body, `"type": "webhook.ping"`) {
		t.Errorf("delivery body %q", body)
	}
	fitsPhone(t, tab, "delivery page")
	screenshot(t, tab, "webhook-delivery-phone")
	step(t, tab, "back to the list", chromedp.Navigate(base+"/app/settings/webhooks"), chromedp.WaitVisible(chromedp.ID("webhooks")))
	fitsPhone(t, tab, "list of endpoints")
	step(t, tab, "scroll to the list", chromedp.ScrollIntoView(chromedp.ID("webhooks")))
	screenshot(t, tab, "webhooks-list-phone")
	console.check(t)
}
