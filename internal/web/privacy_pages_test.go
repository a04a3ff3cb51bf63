package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/usher-events/usher/internal/app"
)

const privacyPage = "/app/settings/privacy"

var (
	// pdKeyRE finds a personal data message key shown as itself.
	pdKeyRE = regexp.MustCompile(`\bpd\.[a-z_]+[a-z_.]*`)
	// dispositionRE is the download's Content-Disposition.
	dispositionRE = regexp.MustCompile(`^attachment; filename="personal-data-20\d{6}\.json"$`)
)

// wantPrivacyPage is wantPage that also fails on a personal data message
// key shown as itself.
func wantPrivacyPage(t *testing.T, name string, p page, status int, want ...string) {
	t.Helper()
	wantPage(t, name, p, status, want...)
	if k := pdKeyRE.FindString(p.text()); k != "" {
		t.Errorf("%s shows the message key %q", name, k)
	}
}

// countRow is how the page lists a section's count.
func countRow(section, label string, n string) string {
	return `<tr data-section="` + section + `"><td>` + label + `</td><td class="num">` + n + `</td></tr>`
}

// loggedServer is server with the program's log kept, at every level.
func loggedServer(t *testing.T) (*httptest.Server, *lockedBuffer) {
	t.Helper()
	ctx := context.Background()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0"}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		a.Close(ctx)
	})
	return srv, logs
}

func TestPrivacyPages(t *testing.T) {
	t.Parallel()
	srv, logs := loggedServer(t)

	// Signed out, the page sends to the login and posts do nothing.
	anon := newBrowser(t, srv)
	if p := anon.get(privacyPage); p.status != http.StatusSeeOther || p.location() != "/login?next=%2Fapp%2Fsettings%2Fprivacy" {
		t.Errorf("signed-out page: %d to %q", p.status, p.location())
	}
	for _, path := range []string{"/retention", "/lookup", "/export", "/erase"} {
		if p := anon.post(privacyPage+path, url.Values{"email": {"buyer@example.com"}, "confirm": {"1"}}); p.status != http.StatusSeeOther || p.location() != "/login" {
			t.Errorf("signed-out POST %s: %d to %q", path, p.status, p.location())
		}
	}

	org := newBrowser(t, srv)
	org.lang = "en"
	eventID := organizerEvent(t, org)
	p := org.get(privacyPage)
	wantPrivacyPage(t, "page", p, http.StatusOK, "Retention", "Kept until erased by hand", "Never changed", "Not run yet",
		"choose 30 to 3650 days", "the hourly purge erases", "Find a person", `value="0"`)
	if !strings.Contains(p.body, `href="/app/settings/privacy" aria-current="page"`) {
		t.Error("the settings tabs do not mark the personal data tab")
	}
	if hooks := org.get("/app/settings/webhooks"); !strings.Contains(hooks.body, `href="/app/settings/privacy">Personal data<`) {
		t.Error("the webhooks page has no personal data tab")
	}

	// A bad period comes back with the message by the field and the value
	// entered; a good one is saved.
	for _, bad := range []string{"7", "3651", "-1", "ninety"} {
		p = org.submit(privacyPage, privacyPage+"/retention", url.Values{"retention_days": {bad}})
		wantPrivacyPage(t, "retention "+bad, p, http.StatusUnprocessableEntity, "Enter 0 (keep until erased by hand) or a whole number of days from 30 to 3,650",
			`value="`+bad+`"`, `role="alert"`, `aria-invalid="true"`, "Kept until erased by hand")
	}
	p = org.submit(privacyPage, privacyPage+"/retention", url.Values{"retention_days": {"90"}})
	if p.status != http.StatusSeeOther || p.location() != privacyPage+"?done=retention_saved" {
		t.Fatalf("save retention: %d to %q\n%s", p.status, p.location(), p.body)
	}
	p = org.get(p.location())
	wantPrivacyPage(t, "saved", p, http.StatusOK, "The retention period was saved.", `id="retention-current">90 days<`, `value="90"`)
	if strings.Contains(p.text(), "Never changed") {
		t.Error("the page does not show when the period was changed")
	}

	// A person with a customer record, an order and a campaign
	// participation.
	if p = org.submit("/app/customers", "/app/customers", url.Values{"name": {"Privacy Buyer"}, "email": {"buyer@example.com"}}); p.status != http.StatusSeeOther {
		t.Fatalf("customer: %d\n%s", p.status, p.body)
	}
	buyer := newBrowser(t, srv)
	tt := ttRE.FindStringSubmatch(buyer.get("/e/" + eventID + "/register").body)[1]
	orderID := register(t, buyer, eventID, tt, "Privacy Buyer")
	campaignID := newCampaign(t, org, oxGame)
	landing := "/c/" + campaignID
	dm := depOptRE.FindStringSubmatch(buyer.get(landing).body)
	p = buyer.submit(landing, landing, url.Values{"name": {"홍길동"}, "phone": {"010-1234-5678"}, "consent": {"1"}, "school": {dm[2]}, "department": {dm[1]}})
	m := partRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("participate: %d to %q\n%s", p.status, p.location(), p.body)
	}
	participationID := m[2]

	// Bad searches come back with a message and what was typed.
	for _, tc := range []struct {
		name, email, phone, want string
	}{
		{"nothing", "", "", "Enter an email address, a phone number or both"},
		{"bad email", "not-an-email", "", "Enter a valid email address"},
		{"bad phone", "", "12", "Enter a valid phone number"},
		{"long email", strings.Repeat("a", 320) + "@example.com", "", "at most 320 characters"},
	} {
		p = org.submit(privacyPage, privacyPage+"/lookup", url.Values{"email": {tc.email}, "phone": {tc.phone}})
		wantPrivacyPage(t, tc.name, p, http.StatusUnprocessableEntity, tc.want, `role="alert"`, `aria-invalid="true"`)
		if !strings.Contains(p.body, `name="email" type="email" inputmode="email" value="`+tc.email+`"`) ||
			!strings.Contains(p.body, `name="phone" type="tel" inputmode="tel" value="`+tc.phone+`"`) {
			t.Errorf("%s: the typed values are not shown again", tc.name)
		}
	}

	// Found by email and phone, in any spelling: counts and a summary per
	// section, and the forms to download or erase.
	person := url.Values{"email": {"Buyer@Example.com"}, "phone": {"+82 10 1234 5678"}}
	p = org.submit(privacyPage, privacyPage+"/lookup", person)
	wantPrivacyPage(t, "found", p, http.StatusOK, "What was found", "Records found: 3 in all.", "buyer@example.com", "+821012345678",
		countRow("customers", "Customers", "1"), countRow("orders", "Orders", "1"), countRow("participations", "Campaign participations", "1"),
		"Privacy Buyer", `href="/app/orders/`+orderID+`"`, eventID, "Awaiting payment", "₩99,000",
		"봄 축제 OX 이벤트", participationID, "Pending", "Download JSON", "Erase personal data", "I understand this cannot be undone",
		`name="confirm" value="1" required`, `data-confirm="Erase all of this person's personal data? This cannot be undone."`,
		`value="Buyer@Example.com"`)
	if regexp.MustCompile(`(href|action|value)="[^"]*\?[^"]*(buyer|%40|1234)`).MatchString(p.body) {
		t.Error("the page puts the person in a URL")
	}
	if !strings.Contains(p.body, `name="next" value="/app/settings/privacy"`) {
		t.Error("the language switch does not go back to the page")
	}
	// By phone only, the same person's order and participation.
	p = org.submit(privacyPage, privacyPage+"/lookup", url.Values{"phone": {"01012345678"}})
	wantPrivacyPage(t, "found by phone", p, http.StatusOK, countRow("orders", "Orders", "1"), countRow("participations", "Campaign participations", "1"), orderID)

	// Nobody: said plainly, with nothing to download or erase.
	p = org.submit(privacyPage, privacyPage+"/lookup", url.Values{"email": {"nobody@example.com"}})
	wantPrivacyPage(t, "nobody", p, http.StatusOK, "Nothing is held about this email address or phone number")
	if strings.Contains(p.body, privacyPage+"/erase") || strings.Contains(p.body, privacyPage+"/export") {
		t.Error("nothing found, yet the page offers to download or erase")
	}

	// The download is the whole export, as a JSON file.
	p = org.submit(privacyPage, privacyPage+"/export", person)
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "application/json" {
		t.Fatalf("export: %d %q\n%s", p.status, p.header.Get("Content-Type"), p.body)
	}
	if d := p.header.Get("Content-Disposition"); !dispositionRE.MatchString(d) {
		t.Errorf("export disposition %q", d)
	}
	var export struct {
		Email    string `json:"email"`
		Phone    string `json:"phone"`
		Sections map[string]struct {
			Count   int             `json:"count"`
			Records json.RawMessage `json:"records"`
		} `json:"sections"`
	}
	if err := json.Unmarshal([]byte(p.body), &export); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, p.body)
	}
	if export.Email != "buyer@example.com" || export.Phone != "+821012345678" || export.Sections["orders"].Count != 1 ||
		export.Sections["participations"].Count != 1 || export.Sections["customers"].Count != 1 {
		t.Errorf("export: %s", p.body)
	}
	for _, want := range []string{orderID, participationID, `"buyer_name": "Privacy Buyer"`, `"campaign_name": "봄 축제 OX 이벤트"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the export lacks %s", want)
		}
	}
	p = org.submit(privacyPage, privacyPage+"/export", url.Values{"email": {"nope"}})
	wantPrivacyPage(t, "bad export", p, http.StatusUnprocessableEntity, "Enter a valid email address")

	// Erasure without the box ticked erases nothing and shows the person
	// again.
	p = org.submit(privacyPage, privacyPage+"/erase", person)
	wantPrivacyPage(t, "unconfirmed erase", p, http.StatusUnprocessableEntity, "Tick the box to confirm", orderID, participationID,
		countRow("orders", "Orders", "1"))
	p = org.submit(privacyPage, privacyPage+"/lookup", person)
	wantPrivacyPage(t, "still there", p, http.StatusOK, countRow("orders", "Orders", "1"), countRow("customers", "Customers", "1"), "Privacy Buyer")

	// Ticked: the counts erased per section, and the person is gone; the
	// order stays, without its buyer.
	erase := url.Values{"email": person["email"], "phone": person["phone"], "confirm": {"1"}}
	p = org.submit(privacyPage, privacyPage+"/erase", erase)
	wantPrivacyPage(t, "erased", p, http.StatusOK, "Personal data erased", countRow("customers", "Customers", "1"),
		countRow("participations", "Campaign participations", "1"), `data-section="orders"`)
	if strings.Contains(p.body, privacyPage+"/export") {
		t.Error("the erasure's answer offers a download")
	}
	p = org.submit(privacyPage, privacyPage+"/lookup", person)
	wantPrivacyPage(t, "after erase", p, http.StatusOK, "Nothing is held about this email address or phone number")
	if o := org.get("/app/orders/" + orderID); o.status != http.StatusOK || strings.Contains(o.body, "Privacy Buyer") || strings.Contains(o.body, "buyer@example.com") {
		t.Errorf("the erased order: %d, buyer still shown", o.status)
	}
	p = org.submit(privacyPage, privacyPage+"/erase", erase)
	wantPrivacyPage(t, "erased twice", p, http.StatusOK, "There was nothing to erase")

	// In Korean.
	org.lang = "ko"
	wantPrivacyPage(t, "Korean page", org.get(privacyPage), http.StatusOK, `<html lang="ko">`, "개인정보", "보관 기간", "90일",
		"사람 찾기", "전화번호", "매시간 도는 정리 작업")
	p = org.submit(privacyPage, privacyPage+"/retention", url.Values{"retention_days": {"7"}})
	wantPrivacyPage(t, "Korean retention error", p, http.StatusUnprocessableEntity, "30~3650 사이의 일수")
	p = org.submit(privacyPage, privacyPage+"/lookup", person)
	wantPrivacyPage(t, "Korean nobody", p, http.StatusOK, "보관된 개인정보가 없습니다")
	p = org.submit(privacyPage, privacyPage+"/erase", url.Values{"email": {"nobody@example.com"}})
	wantPrivacyPage(t, "Korean unconfirmed", p, http.StatusUnprocessableEntity, "확인란을 선택해 주세요")

	// Another organization finds nothing of this one's.
	other := newBrowser(t, srv)
	other.lang = "en"
	other.signup("Other Privacy Org", "other-privacy@example.com")
	p = other.submit(privacyPage, privacyPage+"/lookup", url.Values{"phone": {"010-1234-5678"}})
	wantPrivacyPage(t, "other organization", p, http.StatusOK, "Nothing is held")

	// Nothing the pages were given about the person went to the log.
	for _, s := range []string{"Buyer@Example.com", "+82 10 1234 5678", "01012345678", "not-an-email", "nobody@example.com"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log has %q", s)
		}
	}
}

func TestPrivacyPagesAreForAdmins(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.lang = "en"
	owner.signup("Staff Privacy Org", "privacy-owner@example.com")
	if p := owner.submit("/app/customers", "/app/customers", url.Values{"name": {"Kept Person"}, "email": {"kept@example.com"}}); p.status != http.StatusSeeOther {
		t.Fatalf("customer: %d\n%s", p.status, p.body)
	}

	for _, role := range []string{"staff", "viewer"} {
		p := owner.submit("/app/settings/users", "/app/settings/users/invite", url.Values{"email": {role + "-privacy@example.com"}, "role": {role}})
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
		if p = b.get(privacyPage); p.status != http.StatusForbidden || !strings.Contains(p.body, "Not allowed") {
			t.Errorf("%s GET: %d", role, p.status)
		}
		if strings.Contains(b.get("/app").body, privacyPage) {
			t.Errorf("%s is shown a link to the page", role)
		}
		token := csrfToken(t, b.get("/app").body)
		form := url.Values{"csrf_token": {token}, "email": {"kept@example.com"}, "retention_days": {"30"}, "confirm": {"1"}}
		for _, path := range []string{"/retention", "/lookup", "/export", "/erase"} {
			if p = b.post(privacyPage+path, form); p.status != http.StatusForbidden || strings.Contains(p.body, "Kept Person") {
				t.Errorf("%s POST %s: %d", role, path, p.status)
			}
		}
	}
	p := owner.submit(privacyPage, privacyPage+"/lookup", url.Values{"email": {"kept@example.com"}})
	wantPrivacyPage(t, "owner after", p, http.StatusOK, countRow("customers", "Customers", "1"), "Kept Person", "Kept until erased by hand")
}

// TestBrowserPrivacyPages finds a person and erases them in Chromium on a
// phone; every page fits the phone's width.
func TestBrowserPrivacyPages(t *testing.T) {
	t.Parallel()
	srv := server(t)
	tab := headless(t)
	base := srv.URL
	console := watchConsole(tab)
	org := newBrowser(t, srv)
	eventID := organizerEvent(t, org)
	buyer := newBrowser(t, srv)
	tt := ttRE.FindStringSubmatch(buyer.get("/e/" + eventID + "/register").body)[1]
	orderID := register(t, buyer, eventID, tt, "휴대폰 구매자")

	signInOnPhone(t, tab, base, "org@example.com")
	step(t, tab, "open the page", chromedp.Navigate(base+privacyPage), chromedp.WaitVisible(chromedp.ID("retention-days")))
	fitsPhone(t, tab, "personal data page")
	screenshot(t, tab, "privacy-phone")
	step(t, tab, "find the buyer",
		chromedp.SendKeys(chromedp.ID("person-phone"), "010-1234-5678"),
		follow(chromedp.ID("find-person")),
		chromedp.WaitVisible(chromedp.ID("found-orders")),
	)
	if text := read(t, tab, "orders", chromedp.Text(chromedp.ID("found-orders"))); !strings.Contains(text, orderID) {
		t.Errorf("the orders found: %q", text)
	}
	fitsPhone(t, tab, "lookup result")
	step(t, tab, "scroll to the orders", chromedp.ScrollIntoView(chromedp.ID("found-orders")))
	screenshot(t, tab, "privacy-found-phone")
	// The erase button asks first; the dialog is answered yes here.
	if msg := read(t, tab, "erase dialog", chromedp.Evaluate[string](`document.querySelector('form[action$="/erase"]').dataset.confirm`)); !strings.Contains(msg, "cannot be undone") {
		t.Errorf("the erase form's question: %q", msg)
	}
	read(t, tab, "answer yes", chromedp.Evaluate[bool](`(window.confirm = () => true, true)`))
	step(t, tab, "erase",
		chromedp.ScrollIntoView(chromedp.ID("erase")),
		chromedp.Click(chromedp.ID("erase-confirm")),
		follow(chromedp.ID("erase-person")),
		chromedp.WaitVisible(chromedp.ID("erased")),
	)
	if text := read(t, tab, "erased", chromedp.Text(chromedp.ID("erased"))); !strings.Contains(text, "Orders\t1") {
		t.Errorf("the erasure shows %q", text)
	}
	fitsPhone(t, tab, "erasure's answer")
	screenshot(t, tab, "privacy-erased-phone")
	console.check(t)
}
