// Package outbox records domain events ("order.paid", "ticket.issued", …) in
// the same transaction as the change that causes them, so that webhooks,
// messages, rankings and live updates never see a change that was rolled
// back and never miss one that was committed.
package outbox

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/job"
)

// Event is one recorded domain event.
type Event struct {
	Seq       int64           `json:"-" db:"seq"`
	ID        string          `json:"id" db:"id"`
	TenantID  string          `json:"tenant_id" db:"tenant_id"`
	Kind      string          `json:"kind" db:"kind"`
	Subject   string          `json:"subject" db:"subject"`
	Payload   json.RawMessage `json:"payload" db:"payload"`
	CreatedAt time.Time       `json:"created_at" db:"created_at"`
}

// Emit records a domain event of the tenant tx is scoped to, inside tx.
// subject is the id of the object the event is about; payload is marshalled
// to JSON and must not carry secrets.
func Emit(tx *db.Tx, kind, subject string, payload any, at time.Time) (Event, error) {
	out, err := EmitAll(tx, kind, []Subject{{ID: subject, Payload: payload}}, at)
	if err != nil {
		return Event{}, err
	}
	return out[0], nil
}

// Subject is one event of EmitAll: the id of the object it is about and its
// payload.
type Subject struct {
	ID      string
	Payload any
	// Raw is the payload already encoded as JSON; when set, Payload is
	// not used.
	Raw []byte
}

// EmitAll records events of one kind with one statement, in the order given.
func EmitAll(tx *db.Tx, kind string, subjects []Subject, at time.Time) ([]Event, error) {
	out := make([]Event, len(subjects))
	args := make([]any, 0, 4*len(subjects))
	for i, sub := range subjects {
		raw := sub.Raw
		if raw == nil {
			var err error
			if raw, err = json.Marshal(sub.Payload); err != nil {
				return nil, fmt.Errorf("outbox: marshal %s payload: %w", kind, err)
			}
		}
		out[i] = Event{ID: id.New("oev"), TenantID: tx.Tenant(), Kind: kind, Subject: sub.ID, Payload: raw, CreatedAt: at}
		args = append(args, out[i].ID, kind, sub.ID, string(raw), at)
	}
	_, err := tx.Exec(`INSERT INTO outbox (tenant_id, id, kind, subject, payload, created_at) VALUES `+
		db.Rows(len(subjects), "@tenant, ?, ?, ?, ?, ?"), args...)
	return out, err
}

// Load reads the events of tx's tenant with the given sequence numbers, in
// sequence order; numbers of other tenants' events, or of none, are left
// out. Outbox rows are never deleted, so a consumer may keep sequence numbers
// (in a job, say) instead of copies of the events.
func Load(tx *db.Tx, seqs []int64) ([]Event, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	args := make([]any, len(seqs))
	for i, s := range seqs {
		args[i] = s
	}
	var rows []eventRow
	if err := tx.Select(&rows, `SELECT seq, id, tenant_id, kind, subject, payload, created_at FROM outbox
		WHERE tenant_id = @tenant AND seq IN (`+db.Placeholders(len(seqs))+`) ORDER BY seq`, args...); err != nil {
		return nil, err
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = r.Event
		out[i].Payload = json.RawMessage(r.Payload)
	}
	return out, nil
}

// Retry hands one event to a consumer's job path, inside tx: a job that runs
// the consumer's Handle (or Apply) with the job layer's retries, and keeps it
// as a dead letter an admin can list and replay when it keeps failing. A
// consumer that batches events uses it for one that its batch could not
// take. The job's key is the one the dispatcher would use, so an event is
// never queued twice.
func Retry(tx *db.Tx, consumer string, e Event) error {
	_, _, err := job.Enqueue(tx, jobKind(consumer), e, job.Opts{DedupeKey: dedupeKey(consumer, e.ID)})
	return err
}
