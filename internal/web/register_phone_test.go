package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestRegisterAsksForARequiredPhone: when the event's form makes the phone
// a required answer, the registration page asks for it as required (not
// "optional"), and a registration without it comes back with the phone
// marked and a message that says so. The page used to call the phone
// optional and, on the 422, mark nothing: the buyer saw only "check what
// you entered". A consent's version "v1" reads "(v1)", not "(vv1)".
func TestRegisterAsksForARequiredPhone(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	id := organizerEvent(t, org)
	p := org.submit("/app/events/"+id+"/form", "/app/events/"+id+"/form", url.Values{
		"field_key_0": {"phone"}, "field_required_0": {"1"},
		"field_key_1": {"organization"}, "field_required_1": {"1"},
		"consent_key_0": {"privacy"}, "consent_text_0": {"개인정보 수집에 동의합니다"}, "consent_version_0": {"v1"}, "consent_required_0": {"1"},
		"consent_key_1": {"marketing"}, "consent_text_1": {"소식을 받습니다"}, "consent_version_1": {"2027-01"},
	})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save form: %d\n%s", p.status, p.body)
	}
	phoneInput := regexp.MustCompile(`<input id="phone"[^>]*>`)
	phoneLabel := regexp.MustCompile(`<label for="phone">[^\n]*</label>`)
	for _, lang := range []string{"ko", "en"} {
		buyer := newBrowser(t, srv)
		buyer.lang = lang
		p = buyer.get("/e/" + id + "/register")
		if p.status != http.StatusOK {
			t.Fatalf("%s register page: %d", lang, p.status)
		}
		if in := phoneInput.FindString(p.body); !strings.Contains(in, " required") {
			t.Errorf("%s: the phone input is not required: %s", lang, in)
		}
		if l := phoneLabel.FindString(p.body); l == "" || strings.Contains(l, `class="optional"`) {
			t.Errorf("%s: the phone is labelled optional: %q", lang, l)
		}
		if !strings.Contains(p.body, "(v1)") || !strings.Contains(p.body, "(v2027-01)") || strings.Contains(p.body, "(vv1)") {
			t.Errorf("%s: consent versions read wrong", lang)
		}
		tt := regexp.MustCompile(`name="qty_(tty_[A-Za-z0-9]+)"`).FindStringSubmatch(p.body)[1]
		p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"구매자"}, "email": {"buyer@example.com"},
			"qty_" + tt: {"1"}, "answer_organization": {"Hanbit"}, "consent_privacy": {"1"}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s register without a phone: %d", lang, p.status)
		}
		if in := phoneInput.FindString(p.body); !strings.Contains(in, `aria-invalid="true"`) {
			t.Errorf("%s: the phone is not marked: %s", lang, in)
		}
		want := map[string]string{"ko": "전화번호가 필요합니다", "en": "needs your phone number"}[lang]
		if !strings.Contains(p.text(), want) || !strings.Contains(p.body, `value="Hanbit"`) {
			t.Errorf("%s: the page does not say the phone is missing (or lost the answers):\n%s", lang, p.body)
		}
		p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"구매자"}, "email": {"buyer@example.com"},
			"phone": {"010-2345-6789"}, "qty_" + tt: {"1"}, "answer_organization": {"Hanbit"}, "consent_privacy": {"1"}})
		if p.status != http.StatusSeeOther || orderLinkRE.FindStringSubmatch(p.location()) == nil {
			t.Fatalf("%s register with a phone: %d to %q\n%s", lang, p.status, p.location(), p.body)
		}
	}
}

// TestOrderPageShowsTheRegistration: the organizer's page of an order shows
// what the buyer answered on the registration form (under the questions'
// labels, several choices together), the sessions chosen and each consent
// with its version and whether it was given. The page used to show none of
// it: staff deciding on a student's proof could not see the school the
// student wrote down.
func TestOrderPageShowsTheRegistration(t *testing.T) {
	t.Parallel()
	srv := server(t)
	org := newBrowser(t, srv)
	org.lang = "en"
	id := organizerEvent(t, org)
	p := org.submit("/app/events/"+id+"/form", "/app/events/"+id+"/form", url.Values{
		"field_key_0": {"organization"}, "field_required_0": {"1"},
		"field_key_1": {"interests"}, "field_type_1": {"multi_choice"}, "field_options_1": {"AI, Web, Cloud"},
		"field_key_2": {"shirt"}, "field_label_2": {"Shirt size"},
		"consent_key_0": {"privacy"}, "consent_text_0": {"I agree to the privacy notice"}, "consent_version_0": {"2027-01"}, "consent_required_0": {"1"},
		"consent_key_1": {"marketing"}, "consent_text_1": {"Send me news"}, "consent_version_1": {"v2"},
	})
	if p.status != http.StatusSeeOther {
		t.Fatalf("save form: %d\n%s", p.status, p.body)
	}
	p = org.submit("/app/events/"+id, "/app/events/"+id+"/sessions", url.Values{"name": {"Keynote: Go at scale"}, "track": {"Main"},
		"starts_at": {"2031-05-01T09:30"}, "ends_at": {"2031-05-01T10:30"}, "capacity": {"100"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("add session: %d\n%s", p.status, p.body)
	}

	buyer := newBrowser(t, srv)
	p = buyer.get("/e/" + id + "/register")
	tt := regexp.MustCompile(`name="qty_(tty_[A-Za-z0-9]+)"`).FindStringSubmatch(p.body)[1]
	ses := regexp.MustCompile(`name="session" value="(evs_[A-Za-z0-9]+)"`).FindStringSubmatch(p.body)[1]
	p = buyer.submit("/e/"+id+"/register", "/e/"+id+"/register", url.Values{"name": {"구매자"}, "email": {"buyer@example.com"},
		"qty_" + tt: {"1"}, "answer_organization": {"Hanbit University"}, "answer_interests": {"AI", "Cloud"}, "answer_shirt": {"L"},
		"session": {ses}, "consent_privacy": {"1"}})
	m := orderLinkRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("register: %d to %q\n%s", p.status, p.location(), p.body)
	}

	p = org.get("/app/orders/" + m[1])
	if p.status != http.StatusOK {
		t.Fatalf("order page: %d", p.status)
	}
	reg := regexp.MustCompile(`(?s)<section class="panel" id="order-registration">.*?</section>`).FindString(p.body)
	for _, want := range []string{"<dt>Organization</dt><dd>Hanbit University</dd>", "<dt>Interests</dt><dd>AI, Cloud</dd>",
		"<dt>Shirt size</dt><dd>L</dd>", "Keynote: Go at scale", "2031-05-01 09:30",
		"I agree to the privacy notice", "(v2027-01)", "Agreed", "Send me news", "(v2)", "Not agreed"} {
		if !strings.Contains(reg, want) {
			t.Errorf("the order's registration lacks %q:\n%s", want, reg)
		}
	}
}
