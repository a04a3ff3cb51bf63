// Package job runs durable background work. A job is a row in the jobs
// table, enqueued inside the caller's transaction (so it exists exactly when
// the change that asked for it committed), claimed by any node with one
// conditional UPDATE, retried with exponential backoff and jitter, and after
// its last attempt kept as a dead letter that an admin can inspect and replay.
//
// We keep our own table instead of River: River's database/sql driver for
// PostgreSQL (riverdatabasesql@v0.43.0) is not available from the module
// proxy we build with, and on SQLite River's producer, elector and completer
// run their own transactions on the one writer connection that our group
// commit owns, so every River poll would stall the batches (and a handler
// writing through db.Write while River held that connection would deadlock).
// River's tables also have no tenant_id, which the @tenant discipline of
// internal/db needs for the per-tenant dead-letter list.
package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/id"
)

// Statuses of a job.
const (
	StatusPending   = "pending"
	StatusRunning   = "running"
	StatusDone      = "done"
	StatusDead      = "dead"
	StatusCancelled = "cancelled"
)

// DefaultMaxAttempts is how often a job runs before it becomes a dead letter.
const DefaultMaxAttempts = 8

// idPrefix marks job ids.
const idPrefix = "job"

// Job is one unit of background work.
type Job struct {
	ID          string          `json:"id" db:"id"`
	TenantID    string          `json:"-" db:"tenant_id"`
	Kind        string          `json:"kind" db:"kind"`
	Payload     json.RawMessage `json:"payload" db:"payload"`
	RunAt       time.Time       `json:"run_at" db:"run_at"`
	Attempts    int             `json:"attempts" db:"attempts"`
	MaxAttempts int             `json:"max_attempts" db:"max_attempts"`
	Status      string          `json:"status" db:"status" enum:"pending,running,done,dead,cancelled"`
	LastError   string          `json:"last_error" db:"last_error"`
	DedupeKey   *string         `json:"dedupe_key,omitempty" db:"dedupe_key"`
	UpdatedAt   time.Time       `json:"updated_at" db:"updated_at"`

	// Set for a job this node's runner claimed (see Done).
	runner *Runner
	done   bool
}

// Opts tunes one enqueued job.
type Opts struct {
	// RunAt is when the job becomes due; zero means as soon as possible.
	RunAt time.Time
	// DedupeKey, when set, makes the job unique within its tenant: a later
	// Enqueue with the same key (even after this job finished, died or was
	// cancelled) creates nothing.
	DedupeKey string
	// MaxAttempts bounds the runs before the job is dead; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
}

// asap is the run_at of jobs due at once. Enqueue has no clock of its own (it
// runs in the caller's transaction), and a fixed early time keeps such jobs
// due under any clock, including a test's.
var asap = time.Unix(0, 0).UTC()

// Enqueue records a job in tx, owned by the tenant tx is scoped to (or by
// the platform for an unscoped tx). It reports false, without error, when
// opts.DedupeKey names a job that already exists.
func Enqueue(tx *db.Tx, kind string, payload any, opts Opts) (string, bool, error) {
	raw, runAt, maxAttempts, err := newRow(kind, payload, opts)
	if err != nil {
		return "", false, err
	}
	var key *string
	if opts.DedupeKey != "" {
		key = &opts.DedupeKey
	}
	jobID := id.New(idPrefix)
	res, err := tx.Exec(`INSERT INTO jobs (id, tenant_id, kind, payload, run_at, attempts, max_attempts, status, dedupe_key, updated_at)
		VALUES (?, `+tenantArg(tx)+`, ?, ?, ?, 0, ?, 'pending', ?, ?)
		ON CONFLICT (tenant_id, dedupe_key) DO NOTHING`,
		jobID, kind, raw, runAt, maxAttempts, key, runAt)
	if err != nil {
		return "", false, fmt.Errorf("job: enqueue %s: %w", kind, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return "", false, err
	}
	if n == 0 {
		return "", false, nil
	}
	return jobID, true, nil
}

// newRow is what a new job row of kind holds: the payload as JSON, when it
// runs (asap without opts.RunAt) and its attempts (DefaultMaxAttempts
// without opts.MaxAttempts).
func newRow(kind string, payload any, opts Opts) (raw string, runAt time.Time, maxAttempts int, err error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return "", time.Time{}, 0, fmt.Errorf("job: marshal %s payload: %w", kind, err)
	}
	runAt = asap
	if !opts.RunAt.IsZero() {
		runAt = opts.RunAt.UTC()
	}
	maxAttempts = opts.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	return string(b), runAt, maxAttempts, nil
}

// Cancel cancels the tenant's pending job with the dedupe key. When there is
// no such job yet, it leaves a cancelled tombstone under the key, so that an
// Enqueue that arrives later (events handled out of order) creates nothing.
// Jobs already running, done or dead are left alone.
func Cancel(tx *db.Tx, dedupeKey string, at time.Time) error {
	if _, err := tx.Exec(`UPDATE jobs SET status = 'cancelled', updated_at = ?
		WHERE tenant_id = `+tenantArg(tx)+` AND dedupe_key = ? AND status = 'pending'`, at, dedupeKey); err != nil {
		return fmt.Errorf("job: cancel: %w", err)
	}
	_, err := tx.Exec(`INSERT INTO jobs (id, tenant_id, kind, payload, run_at, attempts, max_attempts, status, dedupe_key, updated_at)
		VALUES (?, `+tenantArg(tx)+`, 'cancelled', '{}', ?, 0, 0, 'cancelled', ?, ?)
		ON CONFLICT (tenant_id, dedupe_key) DO NOTHING`, id.New(idPrefix), at, dedupeKey, at)
	if err != nil {
		return fmt.Errorf("job: cancel: %w", err)
	}
	return nil
}

// Record notes, under the dedupe key, work of the kind that was done without
// a job (in the caller's transaction): it leaves a finished job that never
// runs, so that a later Enqueue or Record with the key creates nothing. It
// reports false, without error, when the key already names a job, whatever
// its status; the caller then knows the work was done (or is queued) already.
func Record(tx *db.Tx, kind, dedupeKey string, at time.Time) (bool, error) {
	res, err := tx.Exec(`INSERT INTO jobs (id, tenant_id, kind, payload, run_at, attempts, max_attempts, status, dedupe_key, updated_at)
		VALUES (?, `+tenantArg(tx)+`, ?, '{}', ?, 0, 0, 'done', ?, ?)
		ON CONFLICT (tenant_id, dedupe_key) DO NOTHING`, id.New(idPrefix), kind, at, dedupeKey, at)
	if err != nil {
		return false, fmt.Errorf("job: record %s: %w", kind, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// tenantArg is the SQL for the owner of a job enqueued in tx: the @tenant
// marker in a scoped tx, the empty platform owner otherwise.
func tenantArg(tx *db.Tx) string {
	if tx.Tenant() != "" {
		return "@tenant"
	}
	return "''"
}

// ClearPayload empties the payload of a job of tx's tenant (or of the
// platform's, for an unscoped tx): for a job that carries what must not
// stay once it has done its work.
func ClearPayload(tx *db.Tx, jobID string) error {
	_, err := tx.Exec(`UPDATE jobs SET payload = '{}' WHERE tenant_id = `+tenantArg(tx)+` AND id = ?`, jobID)
	return err
}

// ErrLost is Done's error when this node no longer holds the job: its lock
// ran out and another node claimed it, or it was cancelled meanwhile.
var ErrLost = errors.New("job: this node no longer holds the job")

// Done marks the job done inside tx, the transaction that does the job's
// work, so that the work and its completion commit together: a node that
// dies after the work's commit, or whose lock ran out while another node
// took the job over, cannot have the work done twice. It fails with ErrLost
// when this node no longer holds the job; return its error, so that the
// work rolls back with it. Call it last: after it, the handler must return
// nil once tx commits.
func (j *Job) Done(tx *db.Tx) error {
	if j.runner == nil {
		return errors.New("job: Done outside the runner's handler")
	}
	r := j.runner
	res, err := tx.Global().Exec(`UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, last_error = '', updated_at = ?
		WHERE id = ? AND locked_by = ? AND status = 'running'`, r.Now(), j.ID, r.cfg.NodeID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrLost
	}
	j.done = true
	return nil
}
