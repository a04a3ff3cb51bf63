package job

import (
	"context"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// ListDead returns the dead letters of the tenant of ctx, newest first.
func (r *Runner) ListDead(ctx context.Context, page api.PageParams) (*api.List[Job], error) {
	q, args, err := page.Keyset(`SELECT `+jobColumns+` FROM jobs WHERE tenant_id = @tenant AND status = 'dead'`, "id")
	if err != nil {
		return nil, err
	}
	var rows []jobRow
	err = r.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&rows, q, args...) })
	if err != nil {
		return nil, err
	}
	jobs := make([]Job, len(rows))
	for i := range rows {
		jobs[i] = *rows[i].job()
	}
	return api.NewList(jobs, page.Limit, func(j Job) string { return j.ID }), nil
}

// Replay gives a dead letter of the tenant of ctx a fresh set of attempts,
// due at once. Its last error stays visible until the next attempt.
func (r *Runner) Replay(ctx context.Context, jobID string) (*Job, error) {
	now := r.Now()
	var row jobRow
	err := r.db.Write(ctx, func(tx *db.Tx) error {
		if err := tx.ExecOne(`UPDATE jobs SET status = 'pending', attempts = 0, run_at = ?, updated_at = ?
			WHERE id = ? AND tenant_id = @tenant AND status = 'dead'`, now, now, jobID); err != nil {
			return err
		}
		return tx.Get(&row, `SELECT `+jobColumns+` FROM jobs WHERE id = ? AND tenant_id = @tenant`, jobID)
	})
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no dead job %q", jobID)
	}
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, row.ID)
	return row.job(), nil
}

// DeadListRequest is the query of GET /v1/admin/dead-jobs.
type DeadListRequest struct{ api.PageParams }

// HandleListDead lists the tenant's dead letters.
func (r *Runner) HandleListDead(ctx context.Context, in *DeadListRequest) (*api.List[Job], error) {
	return r.ListDead(ctx, in.PageParams)
}

// JobPath names a job in a path.
type JobPath struct {
	JobID string `path:"job_id" maxLength:"100"`
}

// JobResponse answers with one job.
type JobResponse struct{ Body *Job }

// HandleReplay replays one dead letter.
func (r *Runner) HandleReplay(ctx context.Context, in *JobPath) (*JobResponse, error) {
	j, err := r.Replay(ctx, in.JobID)
	if err != nil {
		return nil, err
	}
	return &JobResponse{Body: j}, nil
}
