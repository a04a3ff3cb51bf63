// Package audit keeps the audit log: every change made in a tenant (recorded
// by the HTTP layer through api.Auditor) and every login attempt. Entries are
// queued in memory and stored in batches by one goroutine, so recording adds
// no database round trip to the request it describes.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/id"
)

const (
	// maxBatch bounds the rows of one insert transaction.
	maxBatch = 200
	// flushEvery bounds how long a queued entry waits for its batch to fill.
	flushEvery = 100 * time.Millisecond
	// queueSize is how many entries may wait; past it, Record writes
	// synchronously, slowing callers instead of losing entries.
	queueSize = 4096
	// writeTimeout bounds one write, so a hung database cannot stall the
	// writer (and shutdown) forever.
	writeTimeout = 10 * time.Second
	// maxField caps each text field: request ids and targets come from
	// clients, and the log must not become a place to store their payloads.
	maxField = 256
)

// The actions RecordLogin stores.
const (
	ActionLogin       = "auth.login"
	ActionLoginFailed = "auth.login_failed"
)

// Entry is one row of the audit log.
type Entry struct {
	ID        string    `json:"id" db:"id" doc:"The entry's id; ids sort by time."`
	At        time.Time `json:"at" db:"at" doc:"When the call was answered."`
	Actor     string    `json:"actor" db:"actor" doc:"The user or API key id that made the call, or \"anonymous\"."`
	ActorKind string    `json:"actor_kind" db:"actor_kind" doc:"\"user\", \"api_key\" or \"anonymous\"."`
	Action    string    `json:"action" db:"action" doc:"The operation, such as create-event or auth.login_failed."`
	Target    string    `json:"target" db:"target" doc:"The id of the object acted on, if any."`
	Status    int       `json:"status" db:"status" doc:"The HTTP status of the answer."`
	RequestID string    `json:"request_id" db:"request_id" doc:"The X-Request-Id of the call."`
	IP        string    `json:"ip" db:"ip" doc:"The client address."`
}

// row is an entry on its way to the database, with its owner.
type row struct {
	tenant string
	Entry
}

// Service records and lists audit entries. It implements api.Auditor.
type Service struct {
	conn *db.DB
	log  *slog.Logger
	now  func() time.Time

	// mu is held for reading while an entry is queued and for writing when
	// Close stops the queueing, so that no entry slips into the queue after
	// the writer has drained it for the last time.
	mu      sync.RWMutex
	closed  bool
	queue   chan row
	flushes chan chan error
	quit    chan struct{}
	done    chan struct{}
	// closeErr is the outcome of the final drain, readable once done is
	// closed.
	closeErr error
}

var _ api.Auditor = (*Service)(nil)

// NewService returns a service and starts its writer; stop it with Close.
func NewService(conn *db.DB, log *slog.Logger, now func() time.Time) *Service {
	return newService(conn, log, now, queueSize)
}

func newService(conn *db.DB, log *slog.Logger, now func() time.Time, size int) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	s := &Service{
		conn:    conn,
		log:     log,
		now:     now,
		queue:   make(chan row, size),
		flushes: make(chan chan error),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go s.loop()
	return s
}

// Record queues an entry. It returns at once unless the queue is full or the
// service is closed; then it writes the entry itself, because an audit log
// that drops entries under load is no audit log.
func (s *Service) Record(_ context.Context, e api.AuditEntry) {
	r := s.row(e)
	s.mu.RLock()
	if !s.closed {
		select {
		case s.queue <- r:
			s.mu.RUnlock()
			return
		default:
		}
	}
	s.mu.RUnlock()
	// Not the request's context: the entry outlives the request, which may
	// already be cancelled when its audit entry is written.
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := s.write(ctx, []row{r}); err != nil {
		s.log.Error("audit: entry lost", "err", err)
	}
}

// RecordLogin records a login attempt. userID is "" when the email matched
// no account; the email itself is never stored, so the log cannot be used to
// collect addresses. tenantID is "" when no tenant is known, which stores the
// entry outside every tenant.
func (s *Service) RecordLogin(ctx context.Context, tenantID, userID string, ok bool) {
	e := api.AuditEntry{
		At:        s.now(),
		TenantID:  tenantID,
		Actor:     userID,
		ActorKind: "user",
		Action:    ActionLogin,
		Status:    http.StatusOK,
		RequestID: api.RequestID(ctx),
		IP:        api.ClientIP(ctx),
	}
	if userID == "" {
		e.Actor, e.ActorKind = "anonymous", "anonymous"
	}
	if !ok {
		e.Action, e.Status = ActionLoginFailed, http.StatusUnauthorized
	}
	s.Record(ctx, e)
}

// row stamps an entry with its id now, so that ids follow the order of
// recording, and cleans the fields that come from clients.
func (s *Service) row(e api.AuditEntry) row {
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	return row{
		tenant: e.TenantID,
		Entry: Entry{
			ID: id.New(id.Audit),
			// Microseconds: what PostgreSQL keeps, so both databases
			// return the same time.
			At:        at.UTC().Truncate(time.Microsecond),
			Actor:     clean(e.Actor),
			ActorKind: clean(e.ActorKind),
			Action:    clean(e.Action),
			Target:    clean(e.Target),
			Status:    e.Status,
			RequestID: clean(e.RequestID),
			IP:        clean(e.IP),
		},
	}
}

// clean makes a client-supplied string storable: PostgreSQL rejects invalid
// UTF-8 and NUL bytes, and one such row would fail its whole batch.
func clean(s string) string {
	if len(s) > maxField {
		s = s[:maxField]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

// Flush writes everything queued before the call. Its error reports writes
// that failed since the previous Flush, whether batched by it or not.
func (s *Service) Flush(ctx context.Context) error {
	ack := make(chan error, 1)
	select {
	case s.flushes <- ack:
	case <-s.done:
		return nil // closed: the final drain already wrote everything
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-ack:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes everything queued and stops the writer. Entries recorded
// afterwards are written synchronously. If ctx ends first, the writer keeps
// draining in the background and Close returns ctx's error.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.quit)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		return s.closeErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop is the writer: it collects entries into batches and writes a batch
// when it is full or its first entry has waited flushEvery.
func (s *Service) loop() {
	defer close(s.done)
	batch := make([]row, 0, maxBatch)
	timer := time.NewTimer(flushEvery)
	timer.Stop()
	// failures since the last Flush, for its answer; only the first error
	// is kept, so a long outage cannot grow memory.
	var failed int
	var firstErr error
	outcome := func() error {
		var err error
		if failed > 0 {
			err = fmt.Errorf("audit: %d writes failed, the first with: %w", failed, firstErr)
		}
		failed, firstErr = 0, nil
		return err
	}
	writeOut := func() {
		timer.Stop()
		if len(batch) > 0 {
			if err := s.writeBatch(batch); err != nil {
				if failed == 0 {
					firstErr = err
				}
				failed++
			}
			batch = batch[:0]
		}
	}
	// drain takes n queued entries, writing each batch that fills.
	drain := func(n int) {
		for range n {
			batch = append(batch, <-s.queue)
			if len(batch) == maxBatch {
				writeOut()
			}
		}
		writeOut()
	}
	for {
		select {
		case r := <-s.queue:
			if len(batch) == 0 {
				timer.Reset(flushEvery)
			}
			batch = append(batch, r)
			if len(batch) == maxBatch {
				writeOut()
			}
		case <-timer.C:
			writeOut()
		case ack := <-s.flushes:
			// Only what is queued now: entries recorded during the flush
			// must not keep it going forever.
			drain(len(s.queue))
			ack <- outcome()
		case <-s.quit:
			// Close marked the service closed before quitting, so no
			// Record can queue any more and len is final.
			drain(len(s.queue))
			s.closeErr = outcome()
			return
		}
	}
}

// writeBatch writes a batch, logging a failure: the entries are lost then,
// and the log is the only place that can say so.
func (s *Service) writeBatch(batch []row) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	err := s.write(ctx, batch)
	if err != nil {
		s.log.Error("audit: entries lost", "count", len(batch), "err", err)
	}
	return err
}
