package notify

import (
	"slices"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/privacy"
)

// PersonalData is the messages' part of a person's data: the messages sent
// (or kept in the outbox) to their address or phone, or about their orders
// and participations. Erasure blanks the
// address, subject and body; the message's kind, status and times stay.
func (s *Service) PersonalData() privacy.Holder { return messageData{} }

type messageData struct{}

func (messageData) Section() string { return "messages" }

type personMessage struct {
	ID        string     `json:"id" db:"id"`
	Kind      string     `json:"kind" db:"kind"`
	Channel   string     `json:"channel" db:"channel"`
	To        string     `json:"to" db:"to_addr"`
	Subject   string     `json:"subject,omitempty" db:"subject"`
	Body      string     `json:"body" db:"body"`
	Status    string     `json:"status" db:"status"`
	CreatedAt time.Time  `json:"created_at" db:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty" db:"sent_at"`
}

// messagesTo selects the messages sent to the person's address or phone,
// and those about their orders and participations.
func messagesTo(p *privacy.Person) (string, []any) {
	about, args := privacy.In("subject_id", slices.Concat(p.Refs["order"], p.Refs["participation"]))
	return `tenant_id = @tenant AND ((lower(to_addr) = ? AND ? <> '') OR (to_addr = ? AND ? <> '') OR ` + about + `)`,
		append([]any{p.Email, p.Email, p.Phone, p.Phone}, args...)
}

func (messageData) Export(tx *db.Tx, p *privacy.Person) (any, int, error) {
	where, args := messagesTo(p)
	var out []personMessage
	err := tx.Select(&out, `SELECT id, kind, channel, to_addr, subject, body, status, created_at, sent_at FROM messages WHERE `+where+` ORDER BY created_at, id`, args...)
	return out, len(out), err
}

func (messageData) Erase(tx *db.Tx, p *privacy.Person) (int, error) {
	where, args := messagesTo(p)
	res, err := tx.Exec(`UPDATE messages SET to_addr = '', subject = '', body = '' WHERE `+where, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Purge blanks the messages written before cutoff.
func (messageData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	return privacy.PurgeRows(tx, "messages", "id", `to_addr = '', subject = '', body = ''`,
		`created_at < ? AND (to_addr <> '' OR subject <> '' OR body <> '')`, limit, cutoff)
}
