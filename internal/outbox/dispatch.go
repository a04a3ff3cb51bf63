package outbox

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/job"
)

// Consumer receives domain events of the kinds it names, each exactly once
// (retried with backoff until its handler succeeds or the job is dead).
//
// A consumer gives Handle, Apply or both. With Apply, the dispatcher applies
// each event inline, in the write transaction that moves the consumer's
// cursor, so the common case costs no job at all; an event whose Apply fails
// falls back to a job (see Dispatcher). Without Apply, every event is a job
// that runs Handle.
type Consumer struct {
	// Name identifies the consumer in its cursor and job keys; never rename
	// one that has run, or it starts again from the first event. It must not
	// contain "/".
	Name string
	// Kinds lists the event kinds it wants; empty means every kind.
	Kinds []string
	// Handle processes one event in a job of its own; ctx is scoped to the
	// event's tenant. When Apply is set too, Handle must do what Apply does,
	// in a transaction of its own; when only Apply is set, the job runs Apply
	// in a db.Write that also marks the job done (job.Job.Done), so Apply
	// commits once per event even through the job layer.
	Handle func(ctx context.Context, e Event) error
	// Apply processes one event inside tx, the dispatcher's write
	// transaction, scoped to the event's tenant (unscoped for platform
	// events). It may only read and write the database through tx: no
	// network, no sending, no db.Write (on SQLite that would wait for the
	// writer it runs on), and nothing slow, since it holds the single
	// writer. Its error, or panic, sends the event to the job layer; it
	// must not swallow a failed statement, which on PostgreSQL leaves the
	// transaction unusable.
	Apply func(tx *db.Tx, e Event) error
	// ApplyBatch, optional beside Apply, applies several events of one
	// tenant, in order, inside tx; it must have the effect of Apply on each
	// in turn, and follows Apply's rules. It lets a consumer do once for many
	// events what Apply does per event (schedule one job for a batch of
	// messages, say). The dispatcher hands it each run of one tenant's
	// events that it would otherwise give Apply one by one; when it fails
	// (or panics), the batch is written again with Apply per event, which
	// finds the failing event.
	ApplyBatch func(tx *db.Tx, events []Event) error
}

// DispatcherConfig tunes a Dispatcher. Zero values take the defaults.
type DispatcherConfig struct {
	// Now is the clock that times gaps.
	Now func() time.Time
	// Logger receives dispatch failures.
	Logger *slog.Logger
	// PollInterval is how often the outbox is read (default 500 ms).
	PollInterval time.Duration
	// GapGrace is how long a hole in the sequence is waited for before the
	// cursor moves past it (default 1 min); see Dispatcher.
	GapGrace time.Duration
	// Batch is how many events one pass reads (default 500).
	Batch int
}

// Dispatcher reads new outbox events in sequence order and hands each to
// every registered consumer, in one write transaction per consumer and batch
// that also moves the consumer's cursor (a row in outbox_cursors):
//
//   - a consumer with Apply gets each event applied inline, in that
//     transaction: the event's effects and the cursor commit together, so a
//     crash before the commit redoes the batch and one after it never does;
//   - a consumer without Apply gets one job per event, with the dedupe key
//     "outbox:<consumer>:<event id>": the job layer brings durability,
//     retries and dead letters, and the key makes delivery happen once even
//     when two nodes (or a pass repeated after a crash) enqueue the same
//     event.
//
// The transaction locks the cursor row and gives up when another node moved
// it since this pass read it, so two nodes never apply the same events.
//
// Apply failures: an Apply that fails (or panics) rolls the transaction back,
// and the batch is written again with that event sent to the job layer
// instead (a job of the same kind and key as above, whose handler runs Apply
// in a db.Write), so it gets the job layer's retries and, after the last
// attempt, becomes a dead letter an admin lists and replays. The other
// events stay inline. After a few failures in one batch the whole batch goes
// the job way, so that a broken consumer costs a bounded number of redos.
//
// Gaps: a PostgreSQL sequence hands out numbers at insert time but
// transactions commit in any order, so seq 5 can be visible while seq 4 is
// still uncommitted; a cursor moved to 5 would skip 4 for ever. Rolled-back
// inserts leave holes that never fill, though, so the dispatcher cannot
// wait for ever either. It delivers what it sees but moves the cursor only up
// to the first hole, until that hole has been seen for GapGrace on this
// node's clock; then it treats the hole as a rollback and moves on. A
// transaction open longer than GapGrace between its outbox insert and its
// commit could be missed; writes here are short, so the default grace leaves
// a wide margin. We time holes on the reader's clock rather than created_at,
// which the writer stamps before it commits and which other nodes' clocks
// skew.
//
// Delivering past the cursor early must not deliver twice when the event is
// read again (by the next pass, after a restart, or on another node). For
// jobs the dedupe key sees to it. An event applied inline ahead of the cursor
// leaves a finished job under the same key (job.Record), and the highest seq
// so delivered is kept in a second cursor row, "<consumer>/ahead"; events up
// to that mark are applied only if their key is still free. Without holes
// (always on SQLite) the mark stays behind the cursor and costs nothing.
type Dispatcher struct {
	db        *db.DB
	runner    *job.Runner
	cfg       DispatcherConfig
	consumers []Consumer

	mu       sync.Mutex
	gapSeen  map[string]gap            // per consumer: the first hole and when it was seen
	enqueued map[string]map[int64]bool // per consumer: seqs delivered past a hole

	stop     context.CancelFunc
	loopDone chan struct{}
}

// eventRow scans an event: database/sql stores TEXT only into plain strings
// and []byte, not into json.RawMessage.
type eventRow struct {
	Event
	Payload string `db:"payload"`
}

type gap struct {
	seq  int64
	seen time.Time
}

// NewDispatcher returns a dispatcher that enqueues on runner's database and
// registers its consumers' handlers with runner.
func NewDispatcher(conn *db.DB, runner *job.Runner, cfg DispatcherConfig) *Dispatcher {
	if cfg.Now == nil {
		cfg.Now = runner.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 500 * time.Millisecond
	}
	if cfg.GapGrace <= 0 {
		cfg.GapGrace = time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	return &Dispatcher{db: conn, runner: runner, cfg: cfg, gapSeen: map[string]gap{}, enqueued: map[string]map[int64]bool{}}
}

// jobKind is the job kind that delivers events to a consumer.
func jobKind(consumer string) string { return "outbox:" + consumer }

// dedupeKey names the delivery of an event to a consumer, as a job or as a
// record of an inline Apply.
func dedupeKey(consumer, eventID string) string { return "outbox:" + consumer + ":" + eventID }

// aheadRow is the outbox_cursors row holding the highest seq applied inline
// ahead of the consumer's cursor.
func aheadRow(consumer string) string { return consumer + "/ahead" }

// maxApplyFailures is how many events of one batch may fail their Apply and
// go to the job layer one by one before the whole batch does.
const maxApplyFailures = 3

// Register adds a consumer. Call it before Start.
func (d *Dispatcher) Register(c Consumer) {
	if c.Handle == nil && c.Apply == nil {
		panic("outbox: consumer " + c.Name + " has neither Handle nor Apply")
	}
	if c.Name == "" || strings.Contains(c.Name, "/") {
		panic(fmt.Sprintf("outbox: bad consumer name %q", c.Name))
	}
	d.consumers = append(d.consumers, c)
	d.runner.Handle(jobKind(c.Name), func(ctx context.Context, j *job.Job) error {
		var e Event
		if err := json.Unmarshal(j.Payload, &e); err != nil {
			return job.Permanent(fmt.Errorf("outbox: decode event: %w", err))
		}
		if c.Handle != nil {
			return c.Handle(ctx, e)
		}
		// Apply and the job's completion commit together, so that an Apply
		// that counts (the meter, rankings) counts once even if this node
		// dies before the runner records the outcome, or loses the job to
		// another node while Apply runs.
		return d.db.Write(ctx, func(tx *db.Tx) error {
			if err := apply(c.Apply, tx, e); err != nil {
				return err
			}
			return j.Done(tx)
		})
	})
}

// Start reads the outbox in the background until Stop.
func (d *Dispatcher) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	d.stop = cancel
	d.loopDone = make(chan struct{})
	go func() {
		defer close(d.loopDone)
		t := time.NewTicker(d.cfg.PollInterval)
		defer t.Stop()
		for {
			if _, err := d.DispatchOnce(ctx); err != nil && ctx.Err() == nil {
				d.cfg.Logger.Error("outbox: dispatch failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the background reading and waits for the pass in progress.
func (d *Dispatcher) Stop() {
	if d.stop != nil {
		d.stop()
		<-d.loopDone
	}
}

// DispatchOnce makes one pass over every consumer and reports how many
// deliveries it made: events applied inline plus jobs enqueued. The
// consumers usually read the same events, so one read serves them all: the
// cursors and a batch of the events after the lowest of them, read again
// for as long as a consumer has more to read. A consumer that the shared
// batch leaves empty-handed reads on from its own cursor. Once a consumer
// of the round has delivered something (an Apply may write events), the
// ones after it also read what was added after the shared batch's end, so
// that such an event reaches them in the same pass; anything else written
// meanwhile waits for the next pass, as it would have without the shared
// read.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		cursors, shared, full, err := d.readShared(ctx)
		if err != nil {
			return total, fmt.Errorf("outbox: read: %w", err)
		}
		again, delivered := false, false
		for _, c := range d.consumers {
			n, more, err := d.dispatchShared(ctx, c, cursors[c.Name], shared, full, delivered)
			total += n
			delivered = delivered || n > 0
			if err != nil {
				return total, fmt.Errorf("outbox: consumer %s: %w", c.Name, err)
			}
			// more means that c's cursor moved to the end of a full
			// batch, so the rounds end.
			again = again || more
		}
		if !again {
			return total, nil
		}
	}
}

// readShared reads every consumer's cursor and, in the same transaction,
// a batch of the events after the lowest; full reports a whole batch.
func (d *Dispatcher) readShared(ctx context.Context) (cursors map[string]int64, events []Event, full bool, err error) {
	if len(d.consumers) == 0 {
		return nil, nil, false, nil
	}
	names := make([]any, len(d.consumers))
	for i, c := range d.consumers {
		names[i] = c.Name
	}
	var rows []eventRow
	err = d.db.Read(ctx, func(tx *db.Tx) error {
		tx = tx.Global()
		var cs []struct {
			Consumer string `db:"consumer"`
			Seq      int64  `db:"seq"`
		}
		if err := tx.Select(&cs, `SELECT consumer, seq FROM outbox_cursors WHERE consumer IN (`+db.Placeholders(len(names))+`)`, names...); err != nil {
			return err
		}
		cursors = make(map[string]int64, len(d.consumers))
		for _, c := range cs {
			cursors[c.Consumer] = c.Seq
		}
		low := cursors[d.consumers[0].Name]
		for _, c := range d.consumers {
			low = min(low, cursors[c.Name]) // a consumer without a row starts at 0
		}
		return tx.Select(&rows, `SELECT seq, id, tenant_id, kind, subject, payload, created_at FROM outbox
			WHERE seq > ? ORDER BY seq LIMIT ?`, low, d.cfg.Batch)
	})
	return cursors, eventsOf(rows), len(rows) == d.cfg.Batch, err
}

// dispatchShared delivers one batch to c from the events a shared read saw
// after c's cursor and, when readOn, from those added after them.
func (d *Dispatcher) dispatchShared(ctx context.Context, c Consumer, cursor int64, shared []Event, full, readOn bool) (n int, more bool, err error) {
	i, _ := slices.BinarySearchFunc(shared, cursor, func(e Event, seq int64) int { return cmp.Compare(e.Seq, seq+1) })
	events := shared[i:]
	if full && len(events) == 0 {
		return d.dispatch(ctx, c) // ahead of the shared batch
	}
	if !full && readOn {
		// The shared read saw the end of the outbox: read what came after.
		from := cursor
		if len(shared) > 0 {
			from = max(from, shared[len(shared)-1].Seq)
		}
		limit := d.cfg.Batch - len(events)
		var rows []eventRow
		err := d.db.Read(ctx, func(tx *db.Tx) error {
			return tx.Global().Select(&rows, `SELECT seq, id, tenant_id, kind, subject, payload, created_at FROM outbox
				WHERE seq > ? ORDER BY seq LIMIT ?`, from, limit)
		})
		if err != nil {
			return 0, false, err
		}
		events = append(slices.Clip(events), eventsOf(rows)...)
		full = len(rows) == limit
	}
	return d.deliver(ctx, c, cursor, events, full)
}

// eventsOf turns scanned rows into events.
func eventsOf(rows []eventRow) []Event {
	events := make([]Event, len(rows))
	for i, r := range rows {
		events[i] = r.Event
		events[i].Payload = json.RawMessage(r.Payload)
	}
	return events
}

// batch is what one dispatch writes for a consumer.
type batch struct {
	consumer Consumer
	cursor   int64   // the cursor as read
	advance  int64   // where the cursor moves (cursor when blocked at once)
	deliver  []Event // the events of the consumer's kinds not delivered yet
	now      time.Time
	// inline is false when every event goes to the job layer.
	inline bool
	// batched is true while the consumer's ApplyBatch is used; a failure
	// turns it off for the rest of the batch's attempts.
	batched bool
	// viaJob names events whose Apply failed: they go to the job layer.
	viaJob map[string]bool
}

// applyError is an Apply that failed for an event.
type applyError struct {
	event Event
	err   error
}

func (e *applyError) Error() string {
	return fmt.Sprintf("apply event %s: %v", e.event.ID, e.err)
}
func (e *applyError) Unwrap() error { return e.err }

// batchError is an ApplyBatch that failed: the batch is written again with
// Apply per event.
type batchError struct{ err error }

func (e *batchError) Error() string { return "apply batch: " + e.err.Error() }
func (e *batchError) Unwrap() error { return e.err }

// errCursorMoved reports that another pass moved the cursor since this one
// read it.
var errCursorMoved = errors.New("outbox: cursor moved")

// dispatch reads a batch of the events after c's cursor and delivers it.
func (d *Dispatcher) dispatch(ctx context.Context, c Consumer) (n int, more bool, err error) {
	var cursor int64
	var rows []eventRow
	err = d.db.Read(ctx, func(tx *db.Tx) error {
		tx = tx.Global()
		if err := tx.Get(&cursor, `SELECT COALESCE(MAX(seq), 0) FROM outbox_cursors WHERE consumer = ?`, c.Name); err != nil {
			return err
		}
		return tx.Select(&rows, `SELECT seq, id, tenant_id, kind, subject, payload, created_at FROM outbox
			WHERE seq > ? ORDER BY seq LIMIT ?`, cursor, d.cfg.Batch)
	})
	if err != nil {
		return 0, false, err
	}
	return d.deliver(ctx, c, cursor, eventsOf(rows), len(rows) == d.cfg.Batch)
}

// deliver delivers to c the events read after its cursor, in seq order;
// full says that more may follow them. more reports a full batch that
// moved the cursor, so that the caller reads on.
func (d *Dispatcher) deliver(ctx context.Context, c Consumer, cursor int64, events []Event, full bool) (n int, more bool, err error) {
	if len(events) == 0 {
		return 0, full, nil
	}
	now := d.cfg.Now()
	d.mu.Lock()
	seenGap, hasGap := d.gapSeen[c.Name]
	done := d.enqueued[c.Name]
	d.mu.Unlock()

	advance, blocked := cursor, false
	var deliver []Event
	var newGap *gap
	for _, e := range events {
		if !blocked && e.Seq > advance+1 {
			hole := advance + 1
			switch {
			case hasGap && seenGap.seq == hole && now.Sub(seenGap.seen) >= d.cfg.GapGrace:
				// Waited long enough: the hole was a rollback.
			case hasGap && seenGap.seq == hole:
				blocked = true
			default:
				newGap = &gap{seq: hole, seen: now}
				blocked = true
			}
		}
		if !blocked {
			advance = e.Seq
		}
		if done[e.Seq] {
			continue // delivered by an earlier pass while blocked
		}
		if len(c.Kinds) == 0 || slices.Contains(c.Kinds, e.Kind) {
			deliver = append(deliver, e)
		}
	}

	if len(deliver) > 0 || advance > cursor {
		b := &batch{consumer: c, cursor: cursor, advance: advance, deliver: deliver, now: now,
			inline: c.Apply != nil, batched: c.Apply != nil && c.ApplyBatch != nil, viaJob: map[string]bool{}}
		for {
			n, err = d.write(ctx, b)
			var bf *batchError
			if errors.As(err, &bf) {
				d.cfg.Logger.Warn("outbox: batch apply failed, applying the events one by one", "consumer", c.Name)
				b.batched = false
				continue
			}
			var af *applyError
			if !errors.As(err, &af) {
				break
			}
			// The error text stays out of the log (it may quote personal
			// data); the job keeps it in last_error.
			d.cfg.Logger.Warn("outbox: apply failed, the event goes to the job layer",
				"consumer", c.Name, "event_id", af.event.ID, "kind", af.event.Kind)
			if len(b.viaJob) >= maxApplyFailures-1 {
				b.inline = false
			} else {
				b.viaJob[af.event.ID] = true
			}
		}
		if errors.Is(err, errCursorMoved) {
			return 0, false, nil // the next pass reads on from there
		}
		if err != nil {
			return 0, false, err
		}
	}

	d.mu.Lock()
	switch {
	case blocked && newGap != nil:
		d.gapSeen[c.Name] = *newGap
	case !blocked:
		delete(d.gapSeen, c.Name)
	}
	if blocked {
		if done == nil {
			done = map[int64]bool{}
			d.enqueued[c.Name] = done
		}
		for _, e := range events {
			if e.Seq > advance {
				done[e.Seq] = true
			}
		}
		for seq := range done {
			if seq <= advance {
				delete(done, seq) // behind the cursor: never read again
			}
		}
	} else {
		delete(d.enqueued, c.Name)
	}
	d.mu.Unlock()
	return n, !blocked && full, nil
}

// write delivers a batch and moves the cursor in one transaction, and
// reports how many deliveries it made. An *applyError means nothing was
// written; errCursorMoved that another pass got there first.
func (d *Dispatcher) write(ctx context.Context, b *batch) (int, error) {
	c := b.consumer
	n := 0
	err := d.db.Write(ctx, func(tx *db.Tx) error {
		n = 0
		g := tx.Global()
		cursor, ahead, err := lockCursor(g, c.Name, b.now)
		if err != nil {
			return err
		}
		if cursor != b.cursor {
			return errCursorMoved
		}
		newAhead := ahead
		// With ApplyBatch, the events to apply gather in run while they
		// belong to one tenant.
		var run []Event
		var runTx *db.Tx
		flush := func() error {
			if len(run) == 0 {
				return nil
			}
			if err := applyBatch(c.ApplyBatch, runTx, run); err != nil {
				return &batchError{err: err}
			}
			n += len(run)
			run = nil // the consumer may keep the slice it was given
			return nil
		}
		for _, e := range b.deliver {
			etx := g
			if e.TenantID != "" {
				etx = g.Scope(e.TenantID)
			}
			early := e.Seq > b.advance
			if early && c.Apply != nil {
				newAhead = max(newAhead, e.Seq)
			}
			key := dedupeKey(c.Name, e.ID)
			if !b.inline || b.viaJob[e.ID] {
				_, ok, err := job.Enqueue(etx, jobKind(c.Name), e, job.Opts{DedupeKey: key})
				if err != nil {
					return err
				}
				if ok {
					n++
				}
				continue
			}
			if early || e.Seq <= ahead {
				// Possibly delivered before, ahead of the cursor: only
				// if its key is free, which it takes.
				fresh, err := job.Record(etx, jobKind(c.Name), key, b.now)
				if err != nil {
					return err
				}
				if !fresh {
					continue
				}
			}
			if b.batched {
				if len(run) > 0 && run[0].TenantID != e.TenantID {
					if err := flush(); err != nil {
						return err
					}
				}
				run, runTx = append(run, e), etx
				continue
			}
			if err := apply(c.Apply, etx, e); err != nil {
				return &applyError{event: e, err: err}
			}
			n++
		}
		if err := flush(); err != nil {
			return err
		}
		if newAhead > ahead {
			if _, err := g.Exec(`UPDATE outbox_cursors SET seq = ?, updated_at = ? WHERE consumer = ? AND seq < ?`,
				newAhead, b.now, aheadRow(c.Name), newAhead); err != nil {
				return err
			}
		}
		if b.advance == cursor {
			return nil
		}
		// Never backwards, even if the lock above were lost.
		_, err = g.Exec(`UPDATE outbox_cursors SET seq = ?, updated_at = ? WHERE consumer = ? AND seq < ?`,
			b.advance, b.now, c.Name, b.advance)
		return err
	})
	return n, err
}

// lockCursor reads (and on PostgreSQL locks, until the transaction ends) the
// consumer's cursor and its ahead mark, creating them the first time. A new
// consumer starts both at 0. A consumer whose cursor exists without a mark
// ran under a version that delivered every event as a job, some perhaps
// early past a hole: its mark starts at the newest event, so that the events
// up to there are applied only if no such job holds their key.
func lockCursor(g *db.Tx, consumer string, now time.Time) (cursor, ahead int64, err error) {
	q := `SELECT consumer, seq FROM outbox_cursors WHERE consumer IN (?, ?)`
	if g.Dialect() == db.Postgres {
		q += ` FOR UPDATE`
	}
	for attempt := 0; ; attempt++ {
		var rows []struct {
			Consumer string `db:"consumer"`
			Seq      int64  `db:"seq"`
		}
		if err := g.Select(&rows, q, consumer, aheadRow(consumer)); err != nil {
			return 0, 0, err
		}
		if len(rows) == 2 || attempt > 0 {
			for _, r := range rows {
				if r.Consumer == consumer {
					cursor = r.Seq
				} else {
					ahead = r.Seq
				}
			}
			return cursor, ahead, nil
		}
		// Create the missing rows, then read them again, locked (on
		// PostgreSQL a concurrent first run waits here for the other's
		// commit, and the read sees its rows).
		var mark int64
		if len(rows) == 1 && rows[0].Consumer == consumer {
			if err := g.Get(&mark, `SELECT COALESCE(MAX(seq), 0) FROM outbox`); err != nil {
				return 0, 0, err
			}
		}
		for _, r := range []struct {
			name string
			seq  int64
		}{{consumer, 0}, {aheadRow(consumer), mark}} {
			if _, err := g.Exec(`INSERT INTO outbox_cursors (consumer, seq, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (consumer) DO NOTHING`, r.name, r.seq, now); err != nil {
				return 0, 0, err
			}
		}
	}
}

// applyBatch runs an ApplyBatch, turning a panic into an error.
func applyBatch(fn func(*db.Tx, []Event) error, tx *db.Tx, events []Event) error {
	return recovered(func() error { return fn(tx, events) })
}

// apply runs an Apply, turning a panic into an error.
func apply(fn func(*db.Tx, Event) error, tx *db.Tx, e Event) error {
	return recovered(func() error { return fn(tx, e) })
}

// recovered runs fn, turning a panic into an error.
func recovered(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn()
}
