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
	raw, err := json.Marshal(payload)
	if err != nil {
		return Event{}, fmt.Errorf("outbox: marshal %s payload: %w", kind, err)
	}
	e := Event{ID: id.New("oev"), TenantID: tx.Tenant(), Kind: kind, Subject: subject, Payload: raw, CreatedAt: at}
	_, err = tx.Exec(`INSERT INTO outbox (tenant_id, id, kind, subject, payload, created_at) VALUES (@tenant, ?, ?, ?, ?, ?)`,
		e.ID, e.Kind, e.Subject, string(raw), e.CreatedAt)
	return e, err
}
