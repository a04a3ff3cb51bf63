package db

// SQLite's writer: group commit with the WAL sync moved off the writer.
//
// Writers queue functions; the writer goroutine runs each in its own
// SAVEPOINT of one open transaction and commits many at once (group commit).
// The write pool runs with synchronous=NORMAL, so a commit appends the batch's
// frames to usher.db-wal without an fsync. The writer hands the batch's
// successful callers to the syncer goroutine, which fdatasyncs the -wal file
// and only then answers them; one sync answers every batch committed before
// it began. Meanwhile the writer goes on: it runs the next callers'
// functions in a new transaction, taking whatever is queued, and commits once
// the queue is empty and the syncer is idle, or commitEvery functions have run.
// So under load the fsync of batch N overlaps the execution of batch N+1,
// each sync covers everything that ran during the previous one, and batches
// are at least as large as when the writer waited for its own fsync.
//
// Durability is unchanged: a write is answered (nil error) only after a sync
// that started after its commit returned. That sync covers its frames because
//   - fsync/fdatasync on Linux flushes every dirty page of the inode written
//     before the call, whichever file descriptor wrote it (SQLite's own or
//     ours);
//   - WAL frames are appended in commit order, so a sync after batch N+1's
//     commit also covers batch N (and anything written directly on the write
//     pool before it, such as migrations);
//   - the WAL is only restarted (rewritten from its start) after a checkpoint
//     has copied every frame into the database file and synced it, which
//     SQLite does even with synchronous=NORMAL; so a frame is durable in one
//     file or the other, and the new WAL header is in the same file, synced
//     by the same call.
//
// The one visible difference: another connection (the read pool) can see a
// committed batch a few milliseconds before its writers are answered, i.e.
// before it is durable. A write that is answered implies every earlier batch
// is durable too, since the WAL is synced in order.
//
// Callers whose function failed (or whose context ended before it ran) have
// nothing to make durable and are answered at once, once their writes are
// rolled back; like a read, such an answer may reflect earlier writes that
// are committed but not yet durable.
//
// A failed fsync is fatal for writes: after one, the kernel may have dropped
// pages it could not write and a later fsync can succeed without them, so no
// later sync proves anything (and WAL recovery stops at the first bad frame).
// Every waiting caller gets the error, and so does every later write, until
// the process restarts and SQLite recovers from what is on disk.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// queueSize is how many writes may wait for the writer before callers block.
const queueSize = 2048

// commitEvery commits an open transaction after this many functions even
// while more are queued. One large batch makes a convoy: every caller waits
// for the whole batch, then all of them answer and send their next request
// together while the writer idles. Committing every 32 functions lets the
// first callers' answers and next requests overlap with the rest of the
// batch; with 64 concurrent holds it gave about a quarter more holds/s than
// committing only when the queue ran dry (BENCHMARKS.md, "Flash sale").
const commitEvery = 32

// ErrClosed is returned for writes after the database was closed.
var ErrClosed = errors.New("db: closed")

// committer is SQLite's single writer. See the comment at the top of the file.
type committer struct {
	db    *DB
	stmts *stmtCache
	queue chan *writeReq
	quit  chan struct{}
	done  chan struct{} // closed once the writer and the syncer have stopped
	once  sync.Once

	// syncWAL makes every WAL frame written so far durable. It is the real
	// fdatasync (files.sync) except in tests, which set it before the first
	// write. Only the syncer goroutine calls it.
	syncWAL func() error
	files   *walFiles

	mu       sync.Mutex
	pending  []*writeReq   // committed, waiting for a sync
	wake     chan struct{} // one token: pending may be non-empty; closed at stop
	syncing  bool          // the syncer is syncing (guarded by mu)
	idle     chan struct{} // one token: the syncer finished a sync
	syncDone chan struct{} // closed when the syncer has answered everything
	failed   atomic.Pointer[error]

	commits, syncs atomic.Int64 // for benchmarks
}

type writeReq struct {
	ctx    context.Context
	tenant string
	fn     func(*Tx) error
	err    error
	done   chan struct{}
}

var reqPool = sync.Pool{New: func() any { return &writeReq{done: make(chan struct{}, 1)} }}

// The statements that isolate each writer of a batch; prepared once.
const (
	savepointSQL = "SAVEPOINT w"
	rollbackSQL  = "ROLLBACK TO w"
	releaseSQL   = "RELEASE w"
)

func newCommitter(db *DB, path string) *committer {
	c := &committer{
		db:       db,
		stmts:    &stmtCache{pool: db.write, stmts: map[string]*sqlx.Stmt{}},
		queue:    make(chan *writeReq, queueSize),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		files:    &walFiles{wal: path + "-wal", main: path},
		wake:     make(chan struct{}, 1),
		idle:     make(chan struct{}, 1),
		syncDone: make(chan struct{}),
	}
	c.syncWAL = c.files.sync
	go c.loop()
	go c.syncer()
	return c
}

func (c *committer) do(ctx context.Context, tenant string, fn func(*Tx) error) error {
	req := reqPool.Get().(*writeReq)
	req.ctx, req.tenant, req.fn, req.err = ctx, tenant, fn, nil
	select {
	case c.queue <- req:
	case <-c.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the write may
	// already be part of a commit, and the caller must not guess. If the
	// writer stopped without taking the request (it raced with Close), the
	// request never ran: done is closed only after the syncer has answered
	// every committed write.
	select {
	case <-req.done:
	case <-c.done:
		select {
		case <-req.done:
		default:
			return ErrClosed
		}
	}
	err := req.err
	req.ctx, req.fn, req.err = nil, nil, nil
	reqPool.Put(req)
	return err
}

// stop stops the writer, then the syncer once it has answered every
// committed write. The -wal file stays open until files.close, after the
// pools are closed.
func (c *committer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}

// broken returns the error of a failed fsync, after which no write succeeds.
func (c *committer) broken() error {
	if p := c.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// batch is the writer's open transaction.
type batch struct {
	tx  *sqlx.Tx
	ran int         // functions run in tx, failed ones included
	ok  []*writeReq // their callers that succeeded, waiting for the commit
	// The SAVEPOINT statements for tx, prepared when a second function
	// joins it (the first runs without one).
	prepared                     bool
	savepoint, rollback, release *sqlx.Stmt
}

func (b *batch) reset() {
	clear(b.ok)
	*b = batch{ok: b.ok[:0]}
}

func (c *committer) loop() {
	defer close(c.done)
	defer func() {
		close(c.wake)
		<-c.syncDone
	}()
	b := &batch{ok: make([]*writeReq, 0, commitEvery)}
	for {
		if b.tx == nil {
			select {
			case req := <-c.queue:
				c.exec(b, req)
			case <-c.quit:
				c.drain()
				return
			}
			continue
		}
		// Run everything queued, then commit as soon as the syncer is idle:
		// while a sync runs, the writer goes on running functions in the
		// open transaction, and the next sync covers all of them.
		if b.ran >= commitEvery {
			c.commit(b)
			continue
		}
		select {
		case req := <-c.queue:
			c.exec(b, req)
			continue
		default:
		}
		if c.syncIdle() {
			c.commit(b)
			continue
		}
		select {
		case req := <-c.queue:
			c.exec(b, req)
		case <-c.idle:
		}
	}
}

// syncIdle reports whether the syncer has nothing to do.
func (c *committer) syncIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.syncing && len(c.pending) == 0
}

// drain fails the writes still queued at close.
func (c *committer) drain() {
	for {
		select {
		case req := <-c.queue:
			answer(req, ErrClosed)
		default:
			return
		}
	}
}

// answer gives a caller its outcome. The request is not touched afterwards:
// its caller may already reuse it.
func answer(r *writeReq, err error) {
	r.err = err
	r.done <- struct{}{}
}

// exec runs one caller's function in the open transaction, beginning one if
// needed. A function that fails is rolled back (to its savepoint, or with the
// whole transaction if it is alone in it) and its caller answered at once: it
// has nothing to make durable.
func (c *committer) exec(b *batch, r *writeReq) {
	if err := r.ctx.Err(); err != nil {
		answer(r, err)
		return
	}
	if b.tx == nil {
		if err := c.broken(); err != nil {
			answer(r, fmt.Errorf("db: writes are refused after a failed sync; restart to recover: %w", err))
			return
		}
		tx, err := c.db.write.BeginTxx(context.Background(), nil)
		if err != nil {
			answer(r, interpret(err))
			return
		}
		b.tx = tx
	}
	// The statements run without the caller's cancellation: SQLite answers
	// an interrupted write inside a transaction by rolling the whole
	// transaction back, which would take every other caller's writes in the
	// batch with it. A caller that gives up while its function runs still
	// gets the function's outcome.
	t := &Tx{ctx: context.WithoutCancel(r.ctx), q: b.tx, dialect: SQLite, tenant: r.tenant, stmts: c.stmts}
	b.ran++
	if b.ran == 1 {
		if err := call(r.fn, t); err != nil {
			b.tx.Rollback()
			b.reset()
			answer(r, err)
			return
		}
		b.ok = append(b.ok, r)
		return
	}
	if !b.prepared {
		b.savepoint, b.rollback, b.release = c.txStmt(b.tx, savepointSQL), c.txStmt(b.tx, rollbackSQL), c.txStmt(b.tx, releaseSQL)
		b.prepared = true
	}
	if err := execStmt(b.tx, b.savepoint, savepointSQL); err != nil {
		answer(r, err)
		return
	}
	err := call(r.fn, t)
	if err != nil {
		if rerr := execStmt(b.tx, b.rollback, rollbackSQL); rerr != nil {
			// The transaction is unusable; fail the whole batch.
			c.abort(b, fmt.Errorf("db: rollback to savepoint: %w", rerr))
			answer(r, err)
			return
		}
	}
	if rerr := execStmt(b.tx, b.release, releaseSQL); rerr != nil {
		rerr = fmt.Errorf("db: release savepoint: %w", rerr)
		c.abort(b, rerr)
		answer(r, cmp.Or(err, rerr))
		return
	}
	if err != nil {
		answer(r, err)
		return
	}
	b.ok = append(b.ok, r)
}

// abort rolls the open transaction back and fails the callers in it.
func (c *committer) abort(b *batch, err error) {
	b.tx.Rollback()
	for _, r := range b.ok {
		answer(r, err)
	}
	b.reset()
}

// commit commits the open transaction and hands its callers to the syncer.
func (c *committer) commit(b *batch) {
	if err := b.tx.Commit(); err != nil {
		for _, r := range b.ok {
			answer(r, interpret(err))
		}
		b.reset()
		return
	}
	c.commits.Add(1)
	c.mu.Lock()
	c.pending = append(c.pending, b.ok...)
	c.mu.Unlock()
	b.reset()
	select {
	case c.wake <- struct{}{}:
	default: // the syncer is already due to look at pending
	}
}

// txStmt returns the prepared statement q for the transaction, or nil to run
// it unprepared.
func (c *committer) txStmt(tx *sqlx.Tx, q string) *sqlx.Stmt {
	st := c.stmts.prepared(q)
	if st == nil {
		return nil
	}
	return tx.StmtxContext(context.Background(), st)
}

func execStmt(tx *sqlx.Tx, st *sqlx.Stmt, q string) error {
	if st != nil {
		_, err := st.Exec()
		return err
	}
	_, err := tx.Exec(q)
	return err
}

// syncer answers committed writes once a sync covers them. Whatever is
// pending when a sync starts is answered when it ends; writes committed
// during the sync wait for the next one.
func (c *committer) syncer() {
	defer close(c.syncDone)
	var spare []*writeReq
	for {
		_, open := <-c.wake
		c.mu.Lock()
		reqs := c.pending
		c.pending = spare[:0]
		c.syncing = len(reqs) > 0
		c.mu.Unlock()
		if len(reqs) > 0 {
			err := c.broken()
			if err == nil {
				c.syncs.Add(1)
				if err = c.syncWAL(); err != nil {
					err = fmt.Errorf("db: sync failed: %w (the write may not be durable)", err)
					failed := err
					c.failed.CompareAndSwap(nil, &failed)
					c.db.log.Error("sqlite: WAL sync failed; writes are refused until restart", "err", err, "writes", len(reqs))
				}
			}
			for _, r := range reqs {
				answer(r, err)
			}
			clear(reqs)
			c.mu.Lock()
			c.syncing = false
			c.mu.Unlock()
			select {
			case c.idle <- struct{}{}:
			default:
			}
		}
		spare = reqs
		if !open {
			return // the writer has stopped: nothing more can be pending
		}
	}
}

// walFiles syncs the WAL through a descriptor of its own, kept open so that a
// write-back error the kernel records after it was opened is reported to it
// (a descriptor opened later might not see an error already reported
// elsewhere).
type walFiles struct {
	wal, main string
	mu        sync.Mutex
	walF      *os.File
	walInfo   os.FileInfo
	checked   time.Time
	mainF     *os.File
}

// walRecheck is how often sync makes sure that its descriptor is still the
// -wal file's, and reopens it if SQLite recreated the file. SQLite deletes
// the -wal file only when the last connection to the database closes, and
// the pools keep theirs open, so the file does not change while the
// committer runs; the check is a safety net. It is not done on every sync:
// a stat between SQLite's write and the fdatasync made each sync 30-60 µs
// slower (ext4, Linux 6.18), a fifth of a single writer's latency.
const walRecheck = time.Second

func (w *walFiles) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	if w.walF == nil || time.Since(w.checked) >= walRecheck {
		err = w.checkWAL()
	}
	if errors.Is(err, fs.ErrNotExist) {
		// No WAL (the journal mode changed, or SQLite deleted it): the
		// committed data is in the database file. That descriptor is never
		// closed before the pools: closing any descriptor of the database
		// file would drop SQLite's POSIX locks on it.
		if w.mainF == nil {
			f, err := os.OpenFile(w.main, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			w.mainF = f
		}
		return fdatasync(w.mainF)
	}
	if err != nil {
		return err
	}
	return fdatasync(w.walF)
}

// checkWAL opens the -wal file, or reopens it if it is not the file the
// descriptor refers to.
func (w *walFiles) checkWAL() error {
	fi, err := os.Stat(w.wal)
	if err == nil && w.walF != nil && os.SameFile(fi, w.walInfo) {
		w.checked = time.Now()
		return nil
	}
	if w.walF != nil {
		w.walF.Close()
		w.walF, w.walInfo = nil, nil
	}
	if err != nil {
		return err
	}
	f, err := os.OpenFile(w.wal, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return err
	}
	w.walF, w.walInfo, w.checked = f, fi, time.Now()
	return nil
}

// close closes the descriptors; call it after the pools are closed.
func (w *walFiles) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range []*os.File{w.walF, w.mainF} {
		if f != nil {
			f.Close()
		}
	}
	w.walF, w.mainF, w.walInfo = nil, nil, nil
}

// call runs fn, turning a panic into an error so one bad writer cannot take
// down the whole batch or the writer goroutine.
func call(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("db: panic in write: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(tx)
}
