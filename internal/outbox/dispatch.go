package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/job"
)

// Consumer receives domain events of the kinds it names, each exactly once
// (retried with backoff until its handler succeeds or the job is dead).
type Consumer struct {
	// Name identifies the consumer in its cursor and job keys; never rename
	// one that has run, or it starts again from the first event.
	Name string
	// Kinds lists the event kinds it wants; empty means every kind.
	Kinds []string
	// Handle processes one event; ctx is scoped to the event's tenant.
	Handle func(ctx context.Context, e Event) error
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
// every registered consumer by enqueueing one job per (event, consumer),
// with the dedupe key "outbox:<consumer>:<event id>": the job layer brings
// durability, retries and dead letters, and the key makes delivery happen
// once even when two nodes (or a pass repeated after a crash) enqueue the
// same event. A cursor row per consumer, moved in the same transaction as
// the enqueues, remembers how far it has read.
//
// Gaps: a PostgreSQL sequence hands out numbers at insert time but
// transactions commit in any order, so seq 5 can be visible while seq 4 is
// still uncommitted; a cursor moved to 5 would skip 4 for ever. Rolled-back
// inserts leave holes that never fill, though, so the dispatcher cannot
// wait for ever either. It delivers what it sees (the dedupe key makes
// delivering early harmless) but moves the cursor only up to the first hole,
// until that hole has been seen for GapGrace on this node's clock; then it
// treats the hole as a rollback and moves on. A transaction open longer than
// GapGrace between its outbox insert and its commit could be missed; writes
// here are short, so the default grace leaves a wide margin. We time holes on
// the reader's clock rather than created_at, which the writer stamps before
// it commits and which other nodes' clocks skew.
type Dispatcher struct {
	db        *db.DB
	runner    *job.Runner
	cfg       DispatcherConfig
	consumers []Consumer

	mu       sync.Mutex
	gapSeen  map[string]gap            // per consumer: the first hole and when it was seen
	enqueued map[string]map[int64]bool // per consumer: seqs enqueued past a hole

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

// Register adds a consumer. Call it before Start.
func (d *Dispatcher) Register(c Consumer) {
	d.consumers = append(d.consumers, c)
	d.runner.Handle(jobKind(c.Name), func(ctx context.Context, j *job.Job) error {
		var e Event
		if err := json.Unmarshal(j.Payload, &e); err != nil {
			return job.Permanent(fmt.Errorf("outbox: decode event: %w", err))
		}
		return c.Handle(ctx, e)
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

// DispatchOnce makes one pass over every consumer and reports how many jobs
// it enqueued.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	total := 0
	for _, c := range d.consumers {
		for {
			n, more, err := d.dispatch(ctx, c)
			total += n
			if err != nil {
				return total, fmt.Errorf("outbox: consumer %s: %w", c.Name, err)
			}
			if !more {
				break
			}
		}
	}
	return total, nil
}

// dispatch enqueues one batch for c. more reports a full batch that moved
// the cursor, so that the caller reads on.
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
	if err != nil || len(rows) == 0 {
		return 0, false, err
	}
	events := make([]Event, len(rows))
	for i, r := range rows {
		events[i] = r.Event
		events[i].Payload = json.RawMessage(r.Payload)
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
			continue // enqueued by an earlier pass while blocked
		}
		if len(c.Kinds) == 0 || slices.Contains(c.Kinds, e.Kind) {
			deliver = append(deliver, e)
		}
	}

	err = d.db.Write(ctx, func(tx *db.Tx) error {
		n = 0
		g := tx.Global()
		for _, e := range deliver {
			etx := g
			if e.TenantID != "" {
				etx = g.Scope(e.TenantID)
			}
			_, ok, err := job.Enqueue(etx, jobKind(c.Name), e, job.Opts{DedupeKey: "outbox:" + c.Name + ":" + e.ID})
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		if advance == cursor {
			return nil
		}
		if _, err := g.Exec(`INSERT INTO outbox_cursors (consumer, seq, updated_at) VALUES (?, 0, ?)
			ON CONFLICT (consumer) DO NOTHING`, c.Name, now); err != nil {
			return err
		}
		// Never backwards: another node may have moved it further.
		_, err := g.Exec(`UPDATE outbox_cursors SET seq = ?, updated_at = ? WHERE consumer = ? AND seq < ?`,
			advance, now, c.Name, advance)
		return err
	})
	if err != nil {
		return 0, false, err
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
	return n, !blocked && len(events) == d.cfg.Batch, nil
}
