package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/meter"
)

const usagePage = "/app/settings/usage"

var (
	// usageKeyRE finds a usage message key built from a value (a metric,
	// a tier) shown as itself. One dot is not enough: the page names the
	// webhook event usage.budget_alert.
	usageKeyRE = regexp.MustCompile(`\busage\.[a-z_]+\.[a-z_.]+`)
	cellRE     = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	tagRE      = regexp.MustCompile(`<[^>]+>`)
	spaceRE    = regexp.MustCompile(`\s+`)
)

// wantUsagePage is wantPage that also fails on a usage message key shown
// as itself.
func wantUsagePage(t *testing.T, name string, p page, status int, want ...string) {
	t.Helper()
	wantPage(t, name, p, status, want...)
	if k := usageKeyRE.FindString(p.text()); k != "" {
		t.Errorf("%s shows the message key %q", name, k)
	}
}

// usageLine is a metric's row of the statement, as the text of its cells:
// name, used, included, share, billable, unit price, amount.
func usageLine(t *testing.T, p page, metric string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr data-metric="` + metric + `">(.*?)</tr>`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no row for %s:\n%s", metric, p.body)
	}
	var cells []string
	for _, c := range cellRE.FindAllStringSubmatch(m[1], -1) {
		text := html.UnescapeString(tagRE.ReplaceAllString(c[1], " "))
		cells = append(cells, strings.TrimSpace(spaceRE.ReplaceAllString(text, " ")))
	}
	if len(cells) != 7 {
		t.Fatalf("row %s has %d cells: %q", metric, len(cells), cells)
	}
	return cells
}

// wantLine fails unless the metric's row has the used, included,
// billable, price and amount given ("" is not checked).
func wantLine(t *testing.T, p page, metric string, want ...string) {
	t.Helper()
	got := usageLine(t, p, metric)
	for i, w := range want {
		col := []int{1, 2, 4, 5, 6}[i]
		if w != "" && got[col] != w {
			t.Errorf("%s column %d: %q, want %q (row %q)", metric, col, got[col], w, got)
		}
	}
}

// usageServer is server with the app at hand (for the operator's tier
// change) and its background work running: the outbox dispatcher counts
// holds and tickets into the usage.
func usageServer(t *testing.T) (*httptest.Server, *app.App) {
	t.Helper()
	srv, a := serverApp(t)
	a.StartBackground()
	return srv, a
}

// setTier moves the organization named org to another tier, as the
// platform operator does.
func setTier(t *testing.T, a *app.App, org, tier string) {
	t.Helper()
	tenants, err := a.Tenants(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants {
		if tn.Name == org {
			if err := a.SetTier(t.Context(), tn.ID, tier); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no organization %q", org)
}

// monthOf is how the English page names the month of t.
func monthOf(t time.Time) string { return t.UTC().Format("January 2006") }

func TestUsagePages(t *testing.T) {
	t.Parallel()
	srv, a := usageServer(t)

	// Signed out, the page sends to the login and the form does nothing.
	anon := newBrowser(t, srv)
	if p := anon.get(usagePage); p.status != http.StatusSeeOther || p.location() != "/login?next=%2Fapp%2Fsettings%2Fusage" {
		t.Errorf("signed-out page: %d to %q", p.status, p.location())
	}
	if p := anon.post(usagePage+"/budget", url.Values{"monthly_budget": {"1000"}}); p.status != http.StatusSeeOther || p.location() != "/login" {
		t.Errorf("signed-out POST: %d to %q", p.status, p.location())
	}

	// A fresh organization: basic, nothing used, every metric listed, ₩0.
	org := newBrowser(t, srv)
	org.lang = "en"
	eventID := organizerEvent(t, org)
	now := time.Now().UTC()
	period := meter.Period(now)
	p := org.get(usagePage)
	wantUsagePage(t, "fresh", p, http.StatusOK, "Usage in "+monthOf(now), `id="statement-state">so far<`,
		`id="usage-tier">Basic<`, `id="usage-fee">₩0<`, `id="usage-charges">₩0<`, `id="usage-total">₩0<`,
		"API calls", "Holds", "Tickets issued", "Check-ins", "Campaign participations", "Emails", "Text messages", "Webhook deliveries",
		`<option value="`+period+`" selected>`+monthOf(now)+` (this month) · ₩0</option>`,
		`id="budget-current"><span class="muted">No budget<`, "No alert has been raised yet.",
		"reaches 80% and 100% of the budget", "once per threshold and month", "as the event usage.budget_alert",
		"Tiers", `data-tier="basic">Basic<br><span class="badge">Current</span>`, "50/s", "bursts of 100", "500/s", "bursts of 1,000", "No limit",
		"₩99,000", "₩990,000", "Included each month", "2,000,000", "changed by the platform operator", `value="0"`)
	for _, m := range meter.Metrics {
		if usageLine(t, p, m)[1] != "0" {
			t.Errorf("fresh %s: %q", m, usageLine(t, p, m))
		}
	}
	wantLine(t, p, meter.APICalls, "0", "100,000", "0", "₩100 per 1,000", "₩0")
	wantLine(t, p, meter.TicketsIssued, "0", "500", "0", "₩50 per 1", "₩0")
	wantLine(t, p, meter.Holds, "0", "–", "–", "Not charged", "₩0")
	wantLine(t, p, meter.SMS, "0", "0", "0", "₩20 per 1", "₩0")
	if strings.Contains(p.body, "Professional<br><span") {
		t.Error("another tier is marked current")
	}
	if !strings.Contains(p.body, `href="/app/settings/usage" aria-current="page"`) {
		t.Error("the settings tabs do not mark the usage tab")
	}
	for _, other := range []string{"/app/settings/users", "/app/settings/webhooks", "/app/settings/privacy"} {
		if q := org.get(other); !strings.Contains(q.body, `href="/app/settings/usage">Usage<`) {
			t.Errorf("%s has no usage tab", other)
		}
	}
	if !strings.Contains(p.body, `name="next" value="/app/settings/usage"`) {
		t.Error("the language switch does not go back to the page")
	}

	// Real activity: a buyer's order (a hold), paid by the organizer (a
	// ticket), and three calls to the API with the organizer's token. The
	// dispatcher counts the first two from the outbox, in the background.
	buyer := newBrowser(t, srv)
	tt := ttRE.FindStringSubmatch(buyer.get("/e/" + eventID + "/register").body)[1]
	orderID := register(t, buyer, eventID, tt, "Usage Buyer")
	order := "/app/orders/" + orderID
	if q := org.submit(order, order+"/mark-paid", url.Values{}); q.status != http.StatusSeeOther {
		t.Fatalf("mark paid: %d\n%s", q.status, q.body)
	}
	token := apiCall(t, srv, "POST", "/v1/auth/login", "", map[string]any{"email": "org@example.com", "password": strongPassword}, 200)["access_token"].(string)
	for range 3 {
		if s := bearerGet(t, srv.URL+"/v1/me", token); s != http.StatusOK {
			t.Fatalf("GET /v1/me: %d", s)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		p = org.get(usagePage)
		if usageLine(t, p, meter.Holds)[1] == "1" && usageLine(t, p, meter.TicketsIssued)[1] == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the order is not counted: holds %q, tickets %q", usageLine(t, p, meter.Holds), usageLine(t, p, meter.TicketsIssued))
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantLine(t, p, meter.Holds, "1", "–", "–", "Not charged", "₩0")
	wantLine(t, p, meter.TicketsIssued, "1", "500", "0", "₩50 per 1", "₩0")
	// Page views are not API calls; the three bearer calls are, at once
	// (the statement adds the calls not yet written).
	wantLine(t, p, meter.APICalls, "3", "100,000", "0", "₩100 per 1,000", "₩0")
	if share := usageLine(t, p, meter.TicketsIssued)[3]; share != "0% 0%" {
		t.Errorf("tickets' share of the included: %q", share)
	}
	wantUsagePage(t, "used", p, http.StatusOK, `id="usage-total">₩0<`, `<meter class="usage-bar" min="0" max="100"`)

	// Past months: final, nothing used, and listed beside this month.
	p = org.get(usagePage + "?period=2020-01")
	wantUsagePage(t, "past month", p, http.StatusOK, "Usage in January 2020", `id="statement-state">final<`,
		`<option value="2020-01" selected>January 2020 · ₩0</option>`, `<option value="`+period+`">`+monthOf(now)+` (this month) · ₩0</option>`,
		`name="next" value="/app/settings/usage?period=2020-01"`)
	if usageLine(t, p, meter.Holds)[1] != "0" {
		t.Errorf("January 2020's holds: %q", usageLine(t, p, meter.Holds))
	}
	// The month with usage is in the selector, from the statements list.
	p = org.get(usagePage + "?period=" + period)
	wantUsagePage(t, "this month by name", p, http.StatusOK, `<option value="`+period+`" selected>`, `id="statement-state">so far<`)
	if strings.Contains(p.body, "2020-01") {
		t.Error("a month without usage stays in the selector")
	}

	// A bad month is a 422 with a message, over this month's statement.
	for _, bad := range []string{"2026-13", "1999-01", "july", "2026-7"} {
		p = org.get(usagePage + "?period=" + url.QueryEscape(bad))
		wantUsagePage(t, "period "+bad, p, http.StatusUnprocessableEntity, "A month is written YYYY-MM, such as 2026-12. This month is shown instead.",
			`role="alert"`, `id="usage-period" name="period" aria-invalid="true"`, "Usage in "+monthOf(now), `id="statement-state">so far<`)
	}

	// A bad budget comes back with the message by the field and the value
	// entered; nothing is saved.
	for _, bad := range []string{"-1", "ten thousand", "1,000,000,000,001", "1.5"} {
		p = org.submit(usagePage, usagePage+"/budget", url.Values{"monthly_budget": {bad}})
		wantUsagePage(t, "budget "+bad, p, http.StatusUnprocessableEntity, "Enter the budget as a whole number of won, from 0 (no budget) to 1,000,000,000,000.",
			`value="`+bad+`"`, `role="alert"`, `aria-invalid="true"`, "No budget")
	}

	// A budget on basic: saved and shown, nothing near it.
	p = org.submit(usagePage, usagePage+"/budget", url.Values{"monthly_budget": {"50,000"}})
	if p.status != http.StatusSeeOther || p.location() != usagePage+"?done=budget_saved" {
		t.Fatalf("save budget: %d to %q\n%s", p.status, p.location(), p.body)
	}
	p = org.get(p.location())
	wantUsagePage(t, "budget saved", p, http.StatusOK, "The budget was saved.", `id="budget-current">₩50,000<`,
		"0% — ₩0 of ₩50,000", `value="50,000"`, "No alert has been raised yet.")

	// On professional, the fee alone (₩99,000) is 99 % of a ₩100,000
	// budget: the 80 % alert is raised when the budget is saved.
	setTier(t, a, "Pages Org", "professional")
	p = org.submit(usagePage, usagePage+"/budget", url.Values{"monthly_budget": {"100000"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save budget: %d\n%s", p.status, p.body)
	}
	p = org.get(p.location())
	wantUsagePage(t, "professional", p, http.StatusOK, `id="usage-tier">Professional<`, `id="usage-fee">₩99,000<`,
		`id="usage-total">₩99,000<`, `data-tier="professional">Professional<br><span class="badge">Current</span>`,
		`id="budget-current">₩100,000<`, "99% — ₩99,000 of ₩100,000", `value="99"`,
		`<td class="nowrap">`+monthOf(now)+`</td><td class="num">80%</td><td class="num">₩99,000</td>`)
	wantLine(t, p, meter.APICalls, "", "2,000,000", "0", "₩50 per 1,000", "₩0")
	if strings.Contains(p.body, `<td class="num">100%</td>`) {
		t.Error("the 100 % alert is listed at 99 %")
	}
	if strings.Contains(p.body, `data-tier="basic">Basic<br><span`) {
		t.Error("basic is still marked current")
	}

	// 0 removes the budget; the alerts raised stay listed.
	p = org.submit(usagePage, usagePage+"/budget", url.Values{"monthly_budget": {"0"}})
	if p.status != http.StatusSeeOther || p.location() != usagePage+"?done=budget_removed" {
		t.Fatalf("remove budget: %d to %q", p.status, p.location())
	}
	p = org.get(p.location())
	wantUsagePage(t, "budget removed", p, http.StatusOK, "The budget was removed.", "No budget", `<td class="num">80%</td>`)
	if strings.Contains(p.body, `id="budget-used"`) {
		t.Error("the share of a removed budget is shown")
	}

	// In Korean.
	org.lang = "ko"
	month := fmt.Sprintf("%d년 %d월", now.Year(), int(now.Month()))
	p = org.get(usagePage)
	wantUsagePage(t, "Korean", p, http.StatusOK, `<html lang="ko">`, ">사용량<", month+" 사용량", "현재까지", "요금제", "프로페셔널",
		"월 기본료", "합계", "API 호출", "발급한 티켓", "문자 메시지", "1,000건당 ₩50", "1건당 ₩30", "과금 없음", "월 예산", "예산 없음",
		"경보 기록", "요금제 비교", "초당 500회", "순간 1,000회", "매달 포함되는 양", "제한 없음", "플랫폼 운영자가 바꿉니다", month+" (이번 달)")
	p = org.submit(usagePage, usagePage+"/budget", url.Values{"monthly_budget": {"-1"}})
	wantUsagePage(t, "Korean budget error", p, http.StatusUnprocessableEntity, "1,000,000,000,000원까지의 정수로 입력해 주세요", `value="-1"`)
	p = org.get(usagePage + "?period=2026-13")
	wantUsagePage(t, "Korean period error", p, http.StatusUnprocessableEntity, "YYYY-MM 형식이어야 합니다")
	p = org.get(usagePage + "?period=2020-01")
	wantUsagePage(t, "Korean past month", p, http.StatusOK, "2020년 1월 사용량", "확정")

	// Another organization sees none of this one's usage.
	other := newBrowser(t, srv)
	other.lang = "en"
	other.signup("Other Usage Org", "other-usage@example.com")
	p = other.get(usagePage)
	wantUsagePage(t, "other organization", p, http.StatusOK, `id="usage-tier">Basic<`, `id="usage-total">₩0<`, "No budget", "No alert has been raised yet.")
	wantLine(t, p, meter.Holds, "0")
}

func TestUsagePagesAreForAdmins(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.lang = "en"
	owner.signup("Staff Usage Org", "usage-owner@example.com")

	for _, role := range []string{"staff", "viewer"} {
		p := owner.submit("/app/settings/users", "/app/settings/users/invite", url.Values{"email": {role + "-usage@example.com"}, "role": {role}})
		m := inviteRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no invitation link for %s: %d", role, p.status)
		}
		b := newBrowser(t, srv)
		b.lang = "en"
		if p = b.submit(m[1], m[1], url.Values{"name": {"Sam"}, "password": {strongPassword}}); p.status != http.StatusSeeOther {
			t.Fatalf("accept invitation as %s: %d", role, p.status)
		}
		// The same refusal as the other admin-only settings pages.
		for _, path := range []string{usagePage, usagePage + "?period=2020-01", usagePage + "?period=bad"} {
			if p = b.get(path); p.status != http.StatusForbidden || !strings.Contains(p.body, "Not allowed") || strings.Contains(p.body, "Monthly budget") {
				t.Errorf("%s GET %s: %d", role, path, p.status)
			}
		}
		if strings.Contains(b.get("/app").body, usagePage) {
			t.Errorf("%s is shown a link to the page", role)
		}
		token := csrfToken(t, b.get("/app").body)
		if p = b.post(usagePage+"/budget", url.Values{"csrf_token": {token}, "monthly_budget": {"5000"}}); p.status != http.StatusForbidden {
			t.Errorf("%s POST budget: %d", role, p.status)
		}
	}
	wantUsagePage(t, "owner after", owner.get(usagePage), http.StatusOK, "No budget")
}

// TestBrowserUsagePages sets a budget and picks a month in Chromium on a
// phone: the page fits the phone's width and every settings tab can be
// seen and tapped.
func TestBrowserUsagePages(t *testing.T) {
	t.Parallel()
	srv, a := usageServer(t)
	tab := headless(t)
	base := srv.URL
	console := watchConsole(tab)
	newBrowser(t, srv).signup("Phone Usage Org", "phone-usage@example.com")
	setTier(t, a, "Phone Usage Org", "professional")

	// tabsShown checks that each settings tab lies inside the screen.
	tabsShown := func(what string) {
		t.Helper()
		out := read(t, tab, what+" tabs", chromedp.Evaluate[string](`[...document.querySelectorAll('nav.tabs a')].map(a => {
			const r = a.getBoundingClientRect();
			return (r.width > 0 && r.left >= 0 && r.right <= window.innerWidth ? "ok " : "off ") + a.getAttribute("href");
		}).join(",")`))
		tabs := strings.Split(out, ",")
		if len(tabs) != 6 {
			t.Errorf("%s: tabs %q", what, out)
		}
		for _, s := range tabs {
			if !strings.HasPrefix(s, "ok ") {
				t.Errorf("%s: the tab %s is off the screen", what, s)
			}
		}
	}
	signInOnPhone(t, tab, base, "phone-usage@example.com")
	step(t, tab, "open the page", chromedp.Navigate(base+usagePage), chromedp.WaitVisible(chromedp.ID("usage-lines")))
	fitsPhone(t, tab, "usage page")
	tabsShown("usage page")
	screenshot(t, tab, "usage-phone")
	step(t, tab, "scroll to the metrics", chromedp.ScrollIntoView(chromedp.ID("usage-lines")))
	screenshot(t, tab, "usage-lines-phone")
	read(t, tab, "clear the budget field", chromedp.Evaluate[bool](`(document.getElementById("monthly-budget").value = "", true)`))
	step(t, tab, "set a budget",
		chromedp.ScrollIntoView(chromedp.ID("budget")),
		chromedp.SendKeys(chromedp.ID("monthly-budget"), "100,000"),
		follow(chromedp.ID("save-budget")),
		chromedp.WaitVisible(chromedp.ID("budget-used")),
	)
	if text := read(t, tab, "budget used", chromedp.Text(chromedp.ID("budget-used"))); !strings.Contains(text, "99% — ₩99,000 of ₩100,000") {
		t.Errorf("the budget used: %q", text)
	}
	if text := read(t, tab, "alerts", chromedp.Text(chromedp.ID("budget-alerts"))); !strings.Contains(text, "80%") {
		t.Errorf("the alerts: %q", text)
	}
	fitsPhone(t, tab, "page with a budget")
	step(t, tab, "scroll to the budget", chromedp.ScrollIntoView(chromedp.ID("budget")))
	screenshot(t, tab, "usage-budget-phone")
	step(t, tab, "scroll to the tiers", chromedp.ScrollIntoView(chromedp.ID("tiers")))
	screenshot(t, tab, "usage-tiers-phone")
	step(t, tab, "show a month",
		chromedp.ScrollIntoView(chromedp.ID("statement")),
		follow(chromedp.ID("show-period")),
		chromedp.WaitVisible(chromedp.ID("usage-lines")),
	)
	if loc := read(t, tab, "location", chromedp.Location()); !strings.Contains(loc, "?period=20") {
		t.Errorf("the month selector went to %q", loc)
	}
	// Every settings tab can be tapped from every settings page.
	for _, tc := range []struct{ href, wait string }{
		{"/app/settings/users", "main"},
		{"/app/settings/api-keys", "main"},
		{"/app/settings/webhooks", "webhook-url"},
		{"/app/settings/privacy", "retention-days"},
		{"/app/settings/failed-jobs", "failed-jobs"},
		{usagePage, "usage-lines"},
	} {
		step(t, tab, "tap "+tc.href,
			follow(chromedp.CSS(`nav.tabs a[href="`+tc.href+`"]`)),
			chromedp.WaitVisible(chromedp.ID(tc.wait)),
		)
		fitsPhone(t, tab, tc.href)
		tabsShown(tc.href)
	}
	screenshot(t, tab, "usage-tabs-phone")
	console.check(t)
}
