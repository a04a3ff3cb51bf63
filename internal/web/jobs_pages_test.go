package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/job"
)

const failedPage = "/app/settings/failed-jobs"

var replayFormRE = regexp.MustCompile(`action="/app/settings/failed-jobs/([^/"]+)/replay"`)

// deadJob leaves a message job of the organization org that used up its
// attempts, as a broken mail server would.
func deadJob(t *testing.T, a *app.App, org string) {
	t.Helper()
	tenants, err := a.Tenants(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants {
		if tn.Name != org {
			continue
		}
		err := a.DB().Write(db.WithTenant(context.Background(), tn.ID), func(tx *db.Tx) error {
			id, _, err := job.Enqueue(tx, "notify.send", map[string]string{"to": "x"}, job.Opts{MaxAttempts: 3})
			if err != nil {
				return err
			}
			return tx.ExecOne(`UPDATE jobs SET status = 'dead', attempts = 3, last_error = 'smtp: 550 mailbox unavailable' WHERE id = ? AND tenant_id = @tenant`, id)
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no organization %q", org)
}

// TestFailedJobsPage: an admin sees the organization's background work that
// failed every attempt, with its last error, in Korean and English, and
// tries it again; another organization sees none of it and cannot replay it.
func TestFailedJobsPage(t *testing.T) {
	t.Parallel()
	srv, a := serverApp(t)
	owner := newBrowser(t, srv)
	owner.lang = "en"
	owner.signup("Failing Org", "failing@example.com")
	other := newBrowser(t, srv)
	other.lang = "en"
	other.signup("Calm Org", "calm@example.com")

	wantPage(t, "empty", owner.get(failedPage), http.StatusOK, "Failed work", "Nothing has failed.")
	deadJob(t, a, "Failing Org")

	p := owner.get(failedPage)
	wantPage(t, "with a dead letter", p, http.StatusOK, "Sending messages", "notify.send", "3 attempts", "smtp: 550 mailbox unavailable", "Try again")
	m := replayFormRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no replay form:\n%s", p.body)
	}
	wantPage(t, "other organization", other.get(failedPage), http.StatusOK, "Nothing has failed.")
	if other.post("/app/settings/failed-jobs/"+m[1]+"/replay", url.Values{"csrf_token": {csrfToken(t, other.get(failedPage).body)}}).status != http.StatusNotFound {
		t.Error("another organization could replay the job")
	}

	ko := newBrowser(t, srv)
	ko.lang = "ko"
	if r := ko.submit("/login", "/login", url.Values{"email": {"failing@example.com"}, "password": {strongPassword}}); r.status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.status)
	}
	wantPage(t, "Korean", ko.get(failedPage), http.StatusOK, "실패한 작업", "메시지 발송", "3번 시도", "다시 시도")

	r := owner.post("/app/settings/failed-jobs/"+m[1]+"/replay", url.Values{"csrf_token": {csrfToken(t, p.body)}})
	if r.status != http.StatusSeeOther || r.location() != failedPage+"?done=job_replayed" {
		t.Fatalf("replay: %d to %q\n%s", r.status, r.location(), r.body)
	}
	wantPage(t, "after the replay", owner.get(r.location()), http.StatusOK, "The work will be tried again.", "Nothing has failed.")
	var status string
	if err := a.DB().Read(t.Context(), func(tx *db.Tx) error {
		return tx.Global().Get(&status, `SELECT status FROM jobs WHERE id = ?`, m[1])
	}); err != nil {
		t.Fatal(err)
	}
	if status != job.StatusPending {
		t.Errorf("the replayed job is %q, want pending", status)
	}
	// Replaying it again: it is no longer a dead letter.
	if r := owner.post("/app/settings/failed-jobs/"+m[1]+"/replay", url.Values{"csrf_token": {csrfToken(t, p.body)}}); r.status != http.StatusNotFound {
		t.Errorf("a second replay: %d", r.status)
	}
}
