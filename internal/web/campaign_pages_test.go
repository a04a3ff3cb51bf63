package web_test

import (
	"bufio"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	campaignIDRE = regexp.MustCompile(`^/app/campaigns/(cmp_[A-Za-z0-9_]+)\?done=created$`)
	schoolOptRE  = regexp.MustCompile(`name="school_ids" value="(sch_[^"]+)"`)
	partRE       = regexp.MustCompile(`^/c/(cmp_[^/]+)/p/(par_[^?]+)\?n=(\d+)$`)
	depOptRE     = regexp.MustCompile(`<option value="(dep_[^"]+)" data-school="(sch_[^"]+)"`)
	drawRE       = regexp.MustCompile(`^/app/campaigns/cmp_[^/]+/draws/(drw_[^/?]+)$`)
)

// newCampaign signs up and creates a school, a department and a campaign
// through the pages; game is the campaign form's game fields.
func newCampaign(t *testing.T, owner *browser, game url.Values) string {
	t.Helper()
	if p := owner.submit("/app/schools", "/app/schools", url.Values{"name": {"서울대학교"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add school: %d\n%s", p.status, p.body)
	}
	p := owner.get("/app/campaigns/new")
	m := schoolOptRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no school on the campaign form:\n%s", p.body)
	}
	school := m[1]
	if p := owner.submit("/app/schools", "/app/schools", url.Values{"name": {"컴퓨터공학과"}, "school_id": {school}}); p.status != http.StatusSeeOther {
		t.Fatalf("add department: %d\n%s", p.status, p.body)
	}
	now := time.Now().In(time.FixedZone("KST", 9*3600))
	form := url.Values{"name": {"봄 축제 OX 이벤트"}, "starts_at": {now.Add(-time.Hour).Format("2006-01-02T15:04")},
		"ends_at": {now.Add(48 * time.Hour).Format("2006-01-02T15:04")}, "approval": {"manual"},
		"channels": {"instagram, tv"}, "consent_version": {"2"}, "school_ids": {school}}
	for k, v := range game {
		form[k] = v
	}
	p = owner.submit("/app/campaigns/new", "/app/campaigns/new", form)
	m = campaignIDRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create campaign: %d to %q\n%s", p.status, p.location(), p.body)
	}
	return m[1]
}

var oxGame = url.Values{"game_type": {"ox"}, "questions": {"서울은 한국의 수도이다 | O\n"}, "game_gift": {"커피 쿠폰"}}

func TestCampaignLandingAndPlay(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Campaign Org", "camp@example.com")
	id := newCampaign(t, owner, oxGame)
	if p := owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {"커피 쿠폰"}, "stock": {"5"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add gift: %d\n%s", p.status, p.body)
	}

	guest := newBrowser(t, srv)
	landing := "/c/" + id + "?ch=instagram"
	p := guest.get(landing)
	if p.status != http.StatusOK || !strings.Contains(p.body, "봄 축제 OX 이벤트") || !strings.Contains(p.body, `lang="ko"`) {
		t.Fatalf("landing: %d\n%s", p.status, p.body)
	}
	dm := depOptRE.FindStringSubmatch(p.body)
	if dm == nil {
		t.Fatalf("no department choice:\n%s", p.body)
	}

	// Bad input re-renders the form with a 4xx and the typed values.
	for _, c := range []struct {
		name string
		form url.Values
		want int
		text string
	}{
		{"bad phone", url.Values{"name": {"홍길동"}, "phone": {"12"}, "consent": {"1"}}, 422, "올바른 휴대전화 번호"},
		{"no consent", url.Values{"name": {"홍길동"}, "phone": {"010-1234-5678"}}, 422, "동의해야"},
		{"unknown school", url.Values{"name": {"홍길동"}, "phone": {"010-1234-5678"}, "consent": {"1"}, "school": {"sch_nope"}}, 422, "학교를 골라"},
		{"long name", url.Values{"name": {strings.Repeat("가", 101)}, "phone": {"010-1234-5678"}, "consent": {"1"}}, 422, "이름"},
	} {
		p := guest.submit(landing, landing, c.form)
		if p.status != c.want || !strings.Contains(p.text(), c.text) {
			t.Errorf("%s: %d\n%s", c.name, p.status, p.body)
		}
	}
	// Without the form's token the post is refused.
	if p := guest.post(landing, url.Values{"name": {"x"}, "phone": {"01012345678"}, "consent": {"1"}}); p.status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", p.status)
	}

	form := url.Values{"name": {"홍길동"}, "phone": {"010-1234-5678"}, "consent": {"1"}, "school": {dm[2]}, "department": {dm[1]}}
	p = guest.submit(landing, landing, form)
	m := partRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("participate: %d to %q\n%s", p.status, p.location(), p.body)
	}
	mine := p.location()
	p = guest.get(mine)
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="participation-number">1<`) || !strings.Contains(p.body, `name="answer_0"`) {
		t.Fatalf("participant page: %d\n%s", p.status, p.body)
	}

	// The same person in another spelling is a duplicate: 409 with a clear
	// message, never a 500.
	form.Set("phone", "+82 10 1234 5678")
	p = guest.submit(landing, landing, form)
	if p.status != http.StatusConflict || !strings.Contains(p.body, "이미 이 전화번호로") {
		t.Fatalf("duplicate: %d\n%s", p.status, p.body)
	}

	// The honeypot answers like a success and stores nothing.
	bot := newBrowser(t, srv)
	p = bot.submit(landing, landing, url.Values{"name": {"bot"}, "phone": {"010-9999-0000"}, "consent": {"1"}, "website": {"http://spam"}})
	if p.status != http.StatusSeeOther || partRE.FindStringSubmatch(p.location()) == nil {
		t.Fatalf("honeypot: %d to %q", p.status, p.location())
	}
	if p = bot.get(p.location()); p.status != http.StatusOK || !strings.Contains(p.body, `id="joined"`) {
		t.Fatalf("honeypot page: %d\n%s", p.status, p.body)
	}

	// Play: the right answer wins the gift, pending manual approval.
	p = guest.submit(mine, strings.Split(mine, "?")[0], url.Values{"answer_0": {"O"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("play: %d\n%s", p.status, p.body)
	}
	p = guest.get(p.location())
	if !strings.Contains(p.body, `class="result result-success"`) || !strings.Contains(p.body, "커피 쿠폰") {
		t.Fatalf("result:\n%s", p.body)
	}
	// A second play shows the same result.
	p = guest.submit(mine, strings.Split(mine, "?")[0], url.Values{"answer_0": {"X"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("second play: %d", p.status)
	}

	// The organizer finds the participant and approves.
	p = owner.get("/app/campaigns/" + id + "/participants?status=pending&channel=instagram&q=" + url.QueryEscape("길동"))
	if p.status != http.StatusOK || !strings.Contains(p.body, "홍길동") || !strings.Contains(p.body, "-5678") {
		t.Fatalf("participants: %d\n%s", p.status, p.body)
	}
	if p = owner.get("/app/campaigns/" + id + "/participants?status=bogus"); p.status != http.StatusUnprocessableEntity {
		t.Errorf("bad filter: %d", p.status)
	}
	action := "/app/participations/" + m[2] + "/approve"
	p = owner.submit("/app/campaigns/"+id+"/participants", action, url.Values{"return": {"/app/campaigns/" + id + "/participants"}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.location(), "done=approve") {
		t.Fatalf("approve: %d to %q", p.status, p.location())
	}
	p = owner.get("/app/campaigns/" + id + "/participants?status=approved")
	if !strings.Contains(p.body, "홍길동") {
		t.Fatalf("approved list:\n%s", p.body)
	}
	// Rejecting a handed-out... rejecting after approval is allowed; an
	// unknown action is a 404, not a 500.
	p = owner.submit("/app/campaigns/"+id+"/participants", "/app/participations/"+m[2]+"/explode", url.Values{})
	if p.status != http.StatusNotFound {
		t.Errorf("unknown action: %d", p.status)
	}

	// The pages of the campaign all render.
	for _, path := range []string{"", "/gifts", "/channels", "/draws", "/report", "/edit"} {
		if p := owner.get("/app/campaigns/" + id + path); p.status != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", path, p.status, p.body)
		}
	}
	for _, path := range []string{"/report/charts/results.svg", "/report/charts/hours.svg", "/channels/instagram/qr.png", "/report/download?format=csv"} {
		if p := owner.get("/app/campaigns/" + id + path); p.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	if p := owner.get("/app/campaigns/" + id + "/report/download?format=doc"); p.status != http.StatusUnprocessableEntity {
		t.Errorf("bad format: %d", p.status)
	}
	if p := owner.get("/app/campaigns/" + id + "/channels/nope/qr.png"); p.status != http.StatusNotFound {
		t.Errorf("unknown channel QR: %d", p.status)
	}
}

func TestCampaignFormsAndRoles(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.lang = "en"
	owner.signup("Forms Org", "forms@example.com")
	id := newCampaign(t, owner, url.Values{"game_type": {"roulette"}, "segments": {"꽝 | 3\n커피 | 1 | 커피\n"}})

	// The roulette's page draws the wheel; without a script the form plays
	// and the result page shows where it stopped.
	guest := newBrowser(t, srv)
	p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"Kim"}, "phone": {"010-3333-4444"}, "consent": {"1"}, "school": {"서울대학교"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("join the roulette: %d\n%s", p.status, p.body)
	}
	mine := strings.Split(p.location(), "?")[0]
	if p = guest.get(mine); !strings.Contains(p.body, `id="wheel"`) || !strings.Contains(p.body, "data-roulette=") {
		t.Fatalf("roulette page:\n%s", p.body)
	}
	if p = guest.submit(mine, mine, url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("spin: %d\n%s", p.status, p.body)
	}
	if p = guest.get(mine); !strings.Contains(p.body, `id="result"`) || !strings.Contains(p.text(), "나온 칸: 꽝") {
		t.Fatalf("roulette result:\n%s", p.body)
	}

	// Game settings the service refuses come back with its messages.
	bad := url.Values{"name": {"Bad"}, "starts_at": {"2030-01-01T10:00"}, "ends_at": {"2030-01-02T10:00"}, "approval": {"auto"},
		"game_type": {"ox"}, "questions": {"Is it? | maybe\n"}}
	p = owner.submit("/app/campaigns/new", "/app/campaigns/new", bad)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `game.questions[0].answer: must be "O" or "X"`) {
		t.Fatalf("bad game: %d\n%s", p.status, p.body)
	}
	bad.Set("game_type", "roulette")
	bad.Set("segments", "only | x\n")
	if p = owner.submit("/app/campaigns/new", "/app/campaigns/new", bad); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad roulette: %d\n%s", p.status, p.body)
	}
	bad.Set("ends_at", "yesterday")
	if p = owner.submit("/app/campaigns/new", "/app/campaigns/new", bad); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad time: %d", p.status)
	}
	// Edit keeps working and shows the stored game in the editor.
	p = owner.get("/app/campaigns/" + id + "/edit")
	if !strings.Contains(p.body, "커피 | 1 | 커피") {
		t.Fatalf("edit form:\n%s", p.body)
	}
	p = owner.submit("/app/campaigns/"+id+"/edit", "/app/campaigns/"+id+"/edit", url.Values{"name": {"Renamed"},
		"starts_at": {"2020-01-01T10:00"}, "ends_at": {"2099-01-02T10:00"}, "approval": {"auto"}, "game_type": {"roulette"},
		"segments": {"꽝 | 3\n커피 | 1 | 커피\n"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", p.status, p.body)
	}
	if p = owner.get("/app/campaigns"); !strings.Contains(p.body, "Renamed") {
		t.Fatalf("list after rename:\n%s", p.body)
	}
	// Gifts with a bad stock, draws with a bad count: 422 pages.
	if p = owner.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {"커피"}, "stock": {"-1"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("bad stock: %d", p.status)
	}
	if p = owner.submit("/app/campaigns/"+id+"/draws", "/app/campaigns/"+id+"/draws", url.Values{"count": {"0"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("bad draw count: %d", p.status)
	}
	// A draw: the commitment first, the seed after the run, and the public
	// page checks itself.
	p = owner.submit("/app/campaigns/"+id+"/draws", "/app/campaigns/"+id+"/draws", url.Values{"count": {"1"}})
	m := drawRE.FindStringSubmatch(p.location())
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("create draw: %d to %q\n%s", p.status, p.location(), p.body)
	}
	pub := newBrowser(t, srv)
	pub.lang = "en"
	if p = pub.get("/d/" + m[1]); p.status != http.StatusOK || !strings.Contains(p.body, `id="not-run"`) || strings.Contains(p.body, `id="seed"`) {
		t.Fatalf("public draw before the run: %d\n%s", p.status, p.body)
	}
	p = owner.submit("/app/campaigns/"+id+"/draws/"+m[1], "/app/campaigns/"+id+"/draws/"+m[1], url.Values{})
	if p.status != http.StatusSeeOther {
		t.Fatalf("run draw: %d\n%s", p.status, p.body)
	}
	if p = pub.get("/d/" + m[1]); !strings.Contains(p.body, `id="seed"`) || !strings.Contains(p.body, `id="verified"`) {
		t.Fatalf("public draw after the run:\n%s", p.body)
	}
	if p = owner.submit("/app/campaigns/"+id+"/draws", "/app/campaigns/"+id+"/draws/"+m[1], url.Values{}); p.status != http.StatusConflict {
		t.Errorf("second run: %d", p.status)
	}
	if p = pub.get("/d/drw_nope"); p.status != http.StatusNotFound {
		t.Errorf("unknown draw: %d", p.status)
	}

	// A viewer sees the pages but no forms, and may not post.
	p = owner.submit("/app/settings/users", "/app/settings/users/invite", url.Values{"email": {"v@example.com"}, "role": {"viewer"}})
	link := inviteRE.FindStringSubmatch(p.body)[1]
	viewer := newBrowser(t, srv)
	viewer.lang = "en"
	if p = viewer.submit(link, link, url.Values{"name": {"Vic"}, "password": {strongPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("accept: %d", p.status)
	}
	p = viewer.get("/app/campaigns/" + id + "/gifts")
	if p.status != http.StatusOK || strings.Contains(p.body, `id="add-gift"`) {
		t.Fatalf("viewer gifts page: %d", p.status)
	}
	if p = viewer.submit("/app/campaigns/"+id+"/gifts", "/app/campaigns/"+id+"/gifts", url.Values{"name": {"x"}, "stock": {"1"}}); p.status != http.StatusForbidden {
		t.Errorf("viewer adds a gift: %d", p.status)
	}
	if p = viewer.get("/app/campaigns/new"); p.status != http.StatusForbidden {
		t.Errorf("viewer opens the new campaign form: %d", p.status)
	}
	// Another organization cannot see the campaign.
	other := newBrowser(t, srv)
	other.signup("Other Org", "other@example.com")
	if p = other.get("/app/campaigns/" + id); p.status != http.StatusNotFound {
		t.Errorf("other tenant: %d", p.status)
	}
}

// TestLiveCounts reads the first events of the stream: the counts at once,
// then new ones after a participation.
func TestLiveCounts(t *testing.T) {
	t.Parallel()
	srv := server(t)
	owner := newBrowser(t, srv)
	owner.signup("Live Org", "live@example.com")
	id := newCampaign(t, owner, url.Values{"game_type": {"none"}})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/app/campaigns/"+id+"/live", nil)
	resp, err := owner.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("live: %d %s", resp.StatusCode, ct)
	}
	events := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- data
			}
		}
		close(events)
	}()
	if first := <-events; !strings.Contains(first, `"participants":0`) {
		t.Fatalf("first event: %s", first)
	}
	guest := newBrowser(t, srv)
	p := guest.submit("/c/"+id, "/c/"+id, url.Values{"name": {"김철수"}, "phone": {"01055556666"}, "consent": {"1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("participate: %d\n%s", p.status, p.body)
	}
	if next := <-events; !strings.Contains(next, `"participants":1`) {
		t.Fatalf("next event: %s", next)
	}
	// Signed out, the stream is not served.
	if p := newBrowser(t, srv).get("/app/campaigns/" + id + "/live"); p.status != http.StatusSeeOther {
		t.Errorf("signed out live: %d", p.status)
	}
}
