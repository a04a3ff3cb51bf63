package db

import (
	"context"
	"errors"
	"fmt"
	"github.com/jmoiron/sqlx"
	"runtime/debug"
	"sync"
)

// maxBatch bounds how many writes share one SQLite commit.
const maxBatch = 512

// ErrClosed is returned for writes after the database was closed.
var ErrClosed = errors.New("db: closed")

// committer is SQLite's single writer. Writers queue their functions; the
// writer goroutine takes everything queued, runs each function inside its own
// SAVEPOINT of one transaction, and commits once (group commit). A function
// that fails is rolled back to its savepoint without touching its neighbours,
// and each caller learns its own outcome only after the commit is durable.
type committer struct {
	db    *DB
	stmts *stmtCache
	queue chan *writeReq
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
}

type writeReq struct {
	ctx    context.Context
	tenant string
	fn     func(*Tx) error
	err    error
	done   chan struct{}
}

var reqPool = sync.Pool{New: func() any { return &writeReq{done: make(chan struct{}, 1)} }}

func newCommitter(db *DB) *committer {
	c := &committer{
		db:    db,
		stmts: &stmtCache{pool: db.write, stmts: map[string]*sqlx.Stmt{}},
		queue: make(chan *writeReq, 4*maxBatch),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go c.loop()
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
	// request never ran.
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

func (c *committer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}

func (c *committer) loop() {
	defer close(c.done)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case req := <-c.queue:
			batch = append(batch[:0], req)
		case <-c.quit:
			c.drain()
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case req := <-c.queue:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		c.run(batch)
	}
}

// drain fails the writes still queued at close.
func (c *committer) drain() {
	for {
		select {
		case req := <-c.queue:
			req.err = ErrClosed
			req.done <- struct{}{}
		default:
			return
		}
	}
}

func (c *committer) run(batch []*writeReq) {
	finish := func(err error) {
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
			r.done <- struct{}{}
		}
	}
	tx, err := c.db.write.BeginTxx(context.Background(), nil)
	if err != nil {
		finish(interpret(err))
		return
	}
	single := len(batch) == 1
	ok := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		// The statements run without the caller's cancellation: SQLite
		// answers an interrupted write inside a transaction by rolling the
		// whole transaction back, which would take every other caller's
		// writes in the batch with it. A caller that gives up while its
		// function runs still gets the function's outcome.
		t := &Tx{ctx: context.WithoutCancel(r.ctx), q: tx, dialect: SQLite, tenant: r.tenant, stmts: c.stmts}
		if single {
			r.err = call(r.fn, t)
			if r.err == nil {
				ok++
			}
			continue
		}
		if _, err := tx.Exec("SAVEPOINT w"); err != nil {
			r.err = err
			continue
		}
		r.err = call(r.fn, t)
		if r.err != nil {
			if _, err := tx.Exec("ROLLBACK TO w"); err != nil {
				// The transaction is unusable; fail the whole batch.
				tx.Rollback()
				finish(fmt.Errorf("db: rollback to savepoint: %w", err))
				return
			}
		} else {
			ok++
		}
		if _, err := tx.Exec("RELEASE w"); err != nil {
			tx.Rollback()
			finish(fmt.Errorf("db: release savepoint: %w", err))
			return
		}
	}
	if single && ok == 0 {
		tx.Rollback()
		finish(nil)
		return
	}
	if err := tx.Commit(); err != nil {
		finish(interpret(err))
		return
	}
	finish(nil)
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
