package web

import (
	"net/http"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/job"
)

// failedPage is the content of the failed-work settings page.
type failedPage struct {
	Jobs       []failedJob
	NextCursor string
}

// failedJob is a dead letter as the page shows it.
type failedJob struct {
	job.Job
	// What names the work for people (a catalog key), from the job's kind.
	What string
}

// jobWhat names a job's kind for people: the background work it did.
func jobWhat(kind string) string {
	switch {
	case kind == "notify.send" || kind == "notify.send-many":
		return "jobs.what.message"
	case kind == "webhook.deliver":
		return "jobs.what.webhook"
	case strings.HasPrefix(kind, "outbox:"):
		return "jobs.what.event"
	}
	return "jobs.what.other"
}

// FailedJobs lists the organization's background work that failed every
// attempt (dead letters), with the last error and a button to try again.
func (p *Pages) FailedJobs(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		vw, err := p.failedView(v)
		if err != nil {
			return err
		}
		vw.Notice = notice(r)
		return p.render(v, http.StatusOK, "failed_jobs", vw)
	})
}

// ReplayJob gives a dead letter a fresh set of attempts, due at once.
func (p *Pages) ReplayJob(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		_, err := p.deps.Jobs.Replay(v.ctx(), v.r.PathValue("job_id"))
		if err == nil {
			http.Redirect(v.w, v.r, "/app/settings/failed-jobs?done=job_replayed", http.StatusSeeOther)
			return nil
		}
		vw, verr := p.failedView(v)
		if verr != nil {
			return verr
		}
		return p.formFailed(v, "failed_jobs", vw, err)
	})
}

func (p *Pages) failedView(v *visit) (*view, error) {
	list, err := p.deps.Jobs.ListDead(v.ctx(), api.PageParams{Limit: 50, Cursor: v.r.URL.Query().Get("cursor")})
	if err != nil {
		return nil, err
	}
	data := &failedPage{NextCursor: list.Body.NextCursor}
	for _, j := range list.Body.Data {
		data.Jobs = append(data.Jobs, failedJob{Job: j, What: jobWhat(j.Kind)})
	}
	return &view{Title: "jobs.title", Nav: "settings", Data: data}, nil
}
