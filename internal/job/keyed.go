package job

import (
	"errors"
	"fmt"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/id"
)

// Work that a domain keeps one job for, named by its dedupe key (a webhook
// delivery, which may be sent again), is looked up and queued again by the
// key: the domain's rows never hold job ids.

// Rearm queues the job named by opts.DedupeKey to run again: it enqueues it
// like Enqueue when the key names no job, and otherwise gives that job the
// payload and a fresh set of attempts, due at opts.RunAt (zero: at once),
// whether it finished, died, was cancelled or is still waiting. It reports
// false, changing nothing, while the job is running: its outcome is not
// recorded yet.
func Rearm(tx *db.Tx, kind string, payload any, opts Opts, at time.Time) (bool, error) {
	if opts.DedupeKey == "" {
		return false, errors.New("job: Rearm needs a dedupe key")
	}
	raw, runAt, maxAttempts, err := newRow(kind, payload, opts)
	if err != nil {
		return false, err
	}
	res, err := tx.Exec(`INSERT INTO jobs (id, tenant_id, kind, payload, run_at, attempts, max_attempts, status, dedupe_key, updated_at)
		VALUES (?, `+tenantArg(tx)+`, ?, ?, ?, 0, ?, 'pending', ?, ?)
		ON CONFLICT (tenant_id, dedupe_key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload,
			run_at = excluded.run_at, attempts = 0, max_attempts = excluded.max_attempts, status = 'pending',
			last_error = '', locked_by = NULL, locked_until = NULL, updated_at = excluded.updated_at
		WHERE jobs.status <> 'running'`,
		id.New(idPrefix), kind, raw, runAt, maxAttempts, opts.DedupeKey, at.UTC())
	if err != nil {
		return false, fmt.Errorf("job: rearm %s: %w", kind, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Keyed is what a domain reads of a job named by a dedupe key.
type Keyed struct {
	// Waiting is a job waiting for its time or running now, due at RunAt
	// (zero: as soon as possible).
	Waiting bool
	RunAt   time.Time
	// Dead is a dead letter, which died of LastError.
	Dead      bool
	LastError string
}

// Lookup reads the jobs of tx's tenant named by the dedupe keys that wait,
// run or died, in one query. Keys of jobs that finished or were cancelled,
// and keys that name no job, are not in the map.
func Lookup(tx *db.Tx, keys []string) (map[string]Keyed, error) {
	out := make(map[string]Keyed, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	var rows []struct {
		Key       string    `db:"dedupe_key"`
		Status    string    `db:"status"`
		RunAt     time.Time `db:"run_at"`
		LastError string    `db:"last_error"`
	}
	if err := tx.Select(&rows, `SELECT dedupe_key, status, run_at, last_error FROM jobs
		WHERE tenant_id = `+tenantArg(tx)+` AND dedupe_key IN (`+db.Placeholders(len(keys))+`) AND status IN ('pending', 'running', 'dead')`, keyArgs(keys)...); err != nil {
		return nil, fmt.Errorf("job: lookup: %w", err)
	}
	for _, r := range rows {
		k := Keyed{Dead: r.Status == "dead", Waiting: r.Status != "dead"}
		if k.Dead {
			k.LastError = r.LastError
		} else if !r.RunAt.Equal(asap) {
			k.RunAt = r.RunAt.UTC()
		}
		out[r.Key] = k
	}
	return out, nil
}

// Dead returns why each job of tx's tenant named by one of the dedupe keys
// died (its last error), for the keys of dead letters only (Lookup's dead
// jobs): a domain whose rows wait on a keyed job reads its work as given up
// while the job is dead, and as waiting again once an admin replays it.
func Dead(tx *db.Tx, keys []string) (map[string]string, error) {
	all, err := Lookup(tx, keys)
	out := map[string]string{}
	for k, j := range all {
		if j.Dead {
			out[k] = j.LastError
		}
	}
	return out, err
}

// DeadSQL is the SQL condition, for a query of a tenant's rows, that the job
// of that tenant named by the key expression (an SQL text expression over the
// row, like 'send/' || orders.id) is a dead letter: for filtering on what
// Dead tells.
func DeadSQL(keyExpr string) string {
	return `EXISTS (SELECT 1 FROM jobs WHERE jobs.tenant_id = @tenant AND jobs.dedupe_key = (` + keyExpr + `) AND jobs.status = 'dead')`
}

// Retry records a failed attempt of the job inside tx, the transaction that
// records the attempt's outcome in the domain's rows, and schedules the next
// one: after the runner's backoff, or at notBefore when that is later (a
// receiver that asked to be left alone for a while). It returns the time
// scheduled, which Lookup then reports, so what the domain shows and what
// the runner does cannot differ. Like Done it fails with ErrLost when this
// node no longer holds the job, and the handler must return nil once tx
// commits; it refuses a job with no attempt left, whose handler finishes
// its work as given up instead.
func (j *Job) Retry(tx *db.Tx, notBefore time.Time, reason string) (time.Time, error) {
	if j.runner == nil {
		return time.Time{}, errors.New("job: Retry outside the runner's handler")
	}
	if j.Attempts >= j.MaxAttempts {
		return time.Time{}, fmt.Errorf("job: Retry after the last attempt (%d of %d)", j.Attempts, j.MaxAttempts)
	}
	r := j.runner
	now := r.Now()
	next := now.Add(r.cfg.Backoff(j.Attempts)).Truncate(time.Microsecond)
	if notBefore.After(next) {
		next = notBefore.UTC().Truncate(time.Microsecond)
	}
	res, err := tx.Global().Exec(`UPDATE jobs SET status = 'pending', locked_by = NULL, locked_until = NULL, last_error = ?, run_at = ?, updated_at = ?
		WHERE id = ? AND locked_by = ? AND status = 'running'`, errorText(reason), next, now, j.ID, r.cfg.NodeID)
	if err != nil {
		return time.Time{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return time.Time{}, err
	} else if n == 0 {
		return time.Time{}, ErrLost
	}
	j.done = true
	r.log.Info("job: failed, will retry", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempts, "retry_at", next)
	return next, nil
}

// keyArgs are dedupe keys as query arguments.
func keyArgs(keys []string) []any {
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	return args
}
