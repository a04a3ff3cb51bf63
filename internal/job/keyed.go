package job

import (
	"encoding/json"
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
	raw, err := json.Marshal(payload)
	if err != nil {
		return false, fmt.Errorf("job: marshal %s payload: %w", kind, err)
	}
	runAt := asap
	if !opts.RunAt.IsZero() {
		runAt = opts.RunAt.UTC()
	}
	maxAttempts := opts.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	res, err := tx.Exec(`INSERT INTO jobs (id, tenant_id, kind, payload, run_at, attempts, max_attempts, status, dedupe_key, updated_at)
		VALUES (?, `+tenantArg(tx)+`, ?, ?, ?, 0, ?, 'pending', ?, ?)
		ON CONFLICT (tenant_id, dedupe_key) DO UPDATE SET kind = excluded.kind, payload = excluded.payload,
			run_at = excluded.run_at, attempts = 0, max_attempts = excluded.max_attempts, status = 'pending',
			last_error = '', locked_by = NULL, locked_until = NULL, updated_at = excluded.updated_at
		WHERE jobs.status <> 'running'`,
		id.New(idPrefix), kind, string(raw), runAt, maxAttempts, opts.DedupeKey, at.UTC())
	if err != nil {
		return false, fmt.Errorf("job: rearm %s: %w", kind, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Scheduled returns when each job of tx's tenant named by one of the dedupe
// keys runs next: the keys of jobs waiting for their time, or running now,
// each with the time it is (or was) due; a job due as soon as possible has
// the zero time. Keys of jobs that finished, died or were cancelled, and
// keys that name no job, are not in the map.
func Scheduled(tx *db.Tx, keys []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	var rows []struct {
		Key   string    `db:"dedupe_key"`
		RunAt time.Time `db:"run_at"`
	}
	if err := tx.Select(&rows, `SELECT dedupe_key, run_at FROM jobs
		WHERE tenant_id = `+tenantArg(tx)+` AND dedupe_key IN (`+db.Placeholders(len(keys))+`) AND status IN ('pending', 'running')`, args...); err != nil {
		return nil, fmt.Errorf("job: scheduled: %w", err)
	}
	for _, r := range rows {
		if r.RunAt.Equal(asap) {
			r.RunAt = time.Time{}
		}
		out[r.Key] = r.RunAt.UTC()
	}
	return out, nil
}
