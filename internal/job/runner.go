package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/id"
)

// Handler does the work of one job. Its ctx is scoped to the job's tenant.
// Returning an error schedules a retry (or, after the last attempt, makes the
// job a dead letter); wrap it with Permanent to give up at once.
type Handler func(ctx context.Context, j *Job) error

// Config tunes a Runner. Zero values take the defaults.
type Config struct {
	// Now is the clock that decides which jobs are due and stamps every
	// change; tests move it by hand.
	Now func() time.Time
	// Logger receives job failures, without their error text: an error may
	// quote personal data (an SMTP server echoing an address), so the text
	// goes only to the job's last_error, which the tenant's admins see.
	Logger *slog.Logger
	// Workers is how many handlers run at once on this node (default 8).
	Workers int
	// PollInterval is how often an idle runner looks for due jobs (default 1 s).
	PollInterval time.Duration
	// LockFor is how long a claimed job stays locked to this node; a node
	// that dies leaves its jobs to others after it. It is also the handler's
	// time limit (default 5 min).
	LockFor time.Duration
	// Backoff gives the delay before attempt+1 after attempt failed
	// (default: exponential from 10 s up to 1 h, with jitter).
	Backoff func(attempt int) time.Duration
	// NodeID names this runner in locked_by (default: host name and a random
	// suffix).
	NodeID string
}

// Runner claims due jobs and runs their handlers. Several runners, on one
// node or many, may share a database: a job is claimed by exactly one.
type Runner struct {
	db       *db.DB
	cfg      Config
	log      *slog.Logger
	mu       sync.RWMutex
	handlers map[string]Handler

	// runCtx is the parent of handler contexts: it ends only when Stop runs
	// out of patience, so that a shutdown lets running handlers finish.
	runCtx    context.Context
	runCancel context.CancelFunc
	stopLoop  context.CancelFunc
	loopDone  chan struct{}
	finished  chan struct{}
	wg        sync.WaitGroup
	// lastReap is when dead nodes' jobs were last looked for (unix ns).
	lastReap atomic.Int64
}

// NewRunner returns a runner on conn; register handlers, then Start it.
func NewRunner(conn *db.DB, cfg Config) *Runner {
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.LockFor <= 0 {
		cfg.LockFor = 5 * time.Minute
	}
	if cfg.Backoff == nil {
		cfg.Backoff = ExponentialBackoff(10*time.Second, time.Hour)
	}
	if cfg.NodeID == "" {
		host, _ := os.Hostname()
		cfg.NodeID = host + "/" + id.Secret(4)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{
		db: conn, cfg: cfg, log: cfg.Logger, handlers: map[string]Handler{},
		runCtx: ctx, runCancel: cancel, finished: make(chan struct{}, 1),
	}
}

// ExponentialBackoff doubles the delay from base with each attempt up to
// max, and picks a random point in its upper half so that jobs that failed
// together (an SMTP outage) do not all retry in the same instant.
func ExponentialBackoff(base, max time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		half := d / 2
		return half + rand.N(half+1)
	}
}

// Handle registers the handler of a kind. A runner claims only kinds it has
// a handler for, so nodes of different versions can share one queue.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Now returns the runner's clock reading.
func (r *Runner) Now() time.Time { return r.cfg.Now().UTC() }

// permanent marks an error that no retry can fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that the job becomes a dead letter at once.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was wrapped with Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Start runs the polling loop in the background until Stop.
func (r *Runner) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	r.stopLoop = cancel
	r.loopDone = make(chan struct{})
	go r.loop(ctx)
}

// Stop stops claiming jobs and waits for the running handlers to finish. When
// ctx ends first, the handlers' contexts are cancelled and Stop returns
// ctx's error once they have returned.
func (r *Runner) Stop(ctx context.Context) error {
	if r.stopLoop != nil {
		r.stopLoop()
		<-r.loopDone
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		r.runCancel()
		return nil
	case <-ctx.Done():
		r.runCancel()
		<-done
		return ctx.Err()
	}
}

func (r *Runner) loop(ctx context.Context) {
	defer close(r.loopDone)
	slots := make(chan struct{}, r.cfg.Workers)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-r.finished:
			// Every claim is a write on the database's single writer (on
			// SQLite), so finished handlers are gathered: the runner claims
			// again once half its slots are free, or when the timer fires.
			if free := r.cfg.Workers - len(slots); free < (r.cfg.Workers+1)/2 {
				continue
			}
		}
		next := r.cfg.PollInterval
		if free := r.cfg.Workers - len(slots); free > 0 {
			jobs, err := r.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				r.log.Error("job: claim failed", "err", err)
			}
			for _, j := range jobs {
				slots <- struct{}{}
				r.wg.Add(1)
				go func() {
					defer r.wg.Done()
					r.run(j)
					<-slots
					select {
					case r.finished <- struct{}{}:
					default:
					}
				}()
			}
			if len(jobs) == free {
				next = 0 // more may be due right now
			}
		}
		timer.Reset(next)
	}
}

// RunDue claims and runs due jobs until none is due, and reports how many
// ran. Jobs that the handlers enqueue, due at once, run in the same call. It
// is the loop's work without the waiting, for tests and one-off tools.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	total := 0
	for {
		jobs, err := r.claim(ctx, r.cfg.Workers)
		if err != nil {
			return total, err
		}
		if len(jobs) == 0 {
			return total, nil
		}
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Go(func() { r.run(j) })
		}
		wg.Wait()
		total += len(jobs)
	}
}

const jobColumns = `id, tenant_id, kind, payload, run_at, attempts, max_attempts, status, last_error, dedupe_key, updated_at`

// claim locks up to n due jobs of the kinds this runner handles. A job is
// due when it is pending and its time has come, or when it is running under
// a lock that expired (its node died). On PostgreSQL, SKIP LOCKED lets
// several nodes claim at once without waiting on each other; SQLite has one
// writer, so the UPDATE alone is the lock.
func (r *Runner) claim(ctx context.Context, n int) ([]*Job, error) {
	r.mu.RLock()
	kinds := make([]any, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	r.mu.RUnlock()
	if len(kinds) == 0 {
		return nil, nil
	}
	now := r.Now()
	var rows []jobRow
	err := r.db.Write(ctx, func(tx *db.Tx) error {
		tx = tx.Global()
		rows = nil
		// Jobs whose node died while running them: those with attempts left
		// are due again, the others are dead letters like any other that
		// used up its attempts. Looking for them once per poll interval is
		// plenty, and keeps the claim below a plain ordered index scan.
		if last := r.lastReap.Load(); now.UnixNano()-last >= int64(r.cfg.PollInterval) || last == 0 {
			if _, err := tx.Exec(`UPDATE jobs SET status = 'dead', locked_by = NULL, locked_until = NULL, updated_at = ?,
				last_error = 'the node running the last attempt stopped before it finished'
				WHERE status = 'running' AND locked_until < ? AND attempts >= max_attempts`, now, now); err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE jobs SET status = 'pending', locked_by = NULL, locked_until = NULL, run_at = ?, updated_at = ?
				WHERE status = 'running' AND locked_until < ?`, now, now, now); err != nil {
				return err
			}
			r.lastReap.Store(now.UnixNano())
		}
		lock := ""
		if tx.Dialect() == db.Postgres {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		args := []any{r.cfg.NodeID, now.Add(r.cfg.LockFor), now, now}
		args = append(args, kinds...)
		// The limit is a literal, not a parameter: SQLite (3.5x) lets a
		// bound LIMIT steer the plan, so rebinding one expires the prepared
		// statement and every claim was compiled anew. n is at most
		// Workers, so the statement cache holds few variants.
		return tx.Select(&rows, `UPDATE jobs SET status = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, updated_at = ?
			WHERE id IN (SELECT id FROM jobs
				WHERE status = 'pending' AND run_at <= ? AND kind IN (`+db.Placeholders(len(kinds))+`)
				ORDER BY status, run_at, id LIMIT `+strconv.Itoa(n)+lock+`)
			RETURNING `+jobColumns, args...)
	})
	if err != nil {
		return nil, fmt.Errorf("job: claim: %w", err)
	}
	jobs := make([]*Job, len(rows))
	for i := range rows {
		jobs[i] = rows[i].job()
		jobs[i].runner = r
	}
	return jobs, nil
}

// jobRow scans a job: database/sql stores TEXT only into plain strings and
// []byte, not into json.RawMessage.
type jobRow struct {
	Job
	Payload string `db:"payload"`
}

func (r *jobRow) job() *Job {
	j := r.Job
	j.Payload = json.RawMessage(r.Payload)
	return &j
}

// run calls the job's handler and records the outcome.
func (r *Runner) run(j *Job) {
	r.mu.RLock()
	h := r.handlers[j.Kind]
	r.mu.RUnlock()
	ctx, cancel := context.WithTimeout(r.runCtx, r.cfg.LockFor)
	if j.TenantID != "" {
		ctx = db.WithTenant(ctx, j.TenantID)
	}
	err := call(ctx, h, j)
	cancel()
	// The outcome is recorded even when Stop cancelled the handler: a
	// shutdown must not lose what already happened.
	if ferr := r.finish(j, err); ferr != nil {
		r.log.Error("job: record outcome", "job_id", j.ID, "kind", j.Kind, "err", ferr)
	}
}

func call(ctx context.Context, h Handler, j *Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if h == nil {
		return Permanent(fmt.Errorf("no handler for kind %q", j.Kind))
	}
	return h(ctx, j)
}

// maxErrorLen bounds last_error.
const maxErrorLen = 2000

// errorText is msg as last_error keeps it: at most maxErrorLen bytes, cut
// between characters.
func errorText(msg string) string {
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	return msg
}

func (r *Runner) finish(j *Job, runErr error) error {
	if runErr == nil && j.done {
		return nil // the handler's own transaction marked it done (Done)
	}
	now := r.Now()
	return r.db.Write(context.Background(), func(tx *db.Tx) error {
		tx = tx.Global()
		if runErr == nil {
			return tx.ExecOne(`UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, last_error = '', updated_at = ?
				WHERE id = ? AND locked_by = ? AND status = 'running'`, now, j.ID, r.cfg.NodeID)
		}
		msg := errorText(runErr.Error())
		if IsPermanent(runErr) || j.Attempts >= j.MaxAttempts {
			r.log.Warn("job: dead letter", "job_id", j.ID, "kind", j.Kind, "attempts", j.Attempts)
			return tx.ExecOne(`UPDATE jobs SET status = 'dead', locked_by = NULL, locked_until = NULL, last_error = ?, updated_at = ?
				WHERE id = ? AND locked_by = ? AND status = 'running'`, msg, now, j.ID, r.cfg.NodeID)
		}
		next := now.Add(r.cfg.Backoff(j.Attempts)).Truncate(time.Microsecond)
		r.log.Info("job: failed, will retry", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempts, "retry_at", next)
		return tx.ExecOne(`UPDATE jobs SET status = 'pending', locked_by = NULL, locked_until = NULL, last_error = ?, run_at = ?, updated_at = ?
			WHERE id = ? AND locked_by = ? AND status = 'running'`, msg, next, now, j.ID, r.cfg.NodeID)
	})
}
