package notify

import (
	"context"
	"slices"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// checkKindLang rejects kinds and languages we have no templates for.
func checkKindLang(kind, lang string) error {
	var c fault.Check
	c.Add(!slices.Contains(Kinds, kind), "kind", "is not a message kind")
	c.Add(!slices.Contains(Langs, lang), "lang", "must be ko or en")
	return c.Err()
}

// Template returns the tenant's template of a kind and language, or the
// built-in one when the tenant has not overridden it.
func (s *Service) Template(ctx context.Context, kind, lang string) (*Template, error) {
	if err := checkKindLang(kind, lang); err != nil {
		return nil, err
	}
	var row struct {
		Subject   string    `db:"subject"`
		Body      string    `db:"body"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&row, `SELECT subject, body, updated_at FROM message_templates
			WHERE tenant_id = @tenant AND kind = ? AND lang = ?`, kind, lang)
	})
	t := &Template{Kind: kind, Lang: lang, Variables: variables(kind)}
	switch {
	case fault.Is(err, fault.NotFound):
		t.Subject, t.Body = builtin(kind, lang)
	case err != nil:
		return nil, err
	default:
		t.Subject, t.Body, t.Custom = row.Subject, row.Body, true
		at := row.UpdatedAt.UTC()
		t.UpdatedAt = &at
	}
	return t, nil
}

// SaveTemplate overrides the tenant's template after checking that it renders
// on sample data.
func (s *Service) SaveTemplate(ctx context.Context, kind, lang, subject, body string) (*Template, error) {
	if err := checkKindLang(kind, lang); err != nil {
		return nil, err
	}
	if err := validate(kind, lang, subject, body); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO message_templates (tenant_id, kind, lang, subject, body, updated_at)
			VALUES (@tenant, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, kind, lang) DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at`,
			kind, lang, subject, body, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, kind+"/"+lang)
	return &Template{Kind: kind, Lang: lang, Subject: subject, Body: body, Custom: true, Variables: variables(kind), UpdatedAt: &now}, nil
}

// Preview renders a template on sample data: the given subject and body, or
// the tenant's current template where they are empty.
func (s *Service) Preview(ctx context.Context, kind, lang, subject, body string) (string, string, error) {
	if err := checkKindLang(kind, lang); err != nil {
		return "", "", err
	}
	if subject == "" || body == "" {
		t, err := s.Template(ctx, kind, lang)
		if err != nil {
			return "", "", err
		}
		if subject == "" {
			subject = t.Subject
		}
		if body == "" {
			body = t.Body
		}
	}
	return render(subject, body, sampleData(kind, lang))
}

// Message is one entry of the sent list (or of the development outbox). It
// holds personal data: shown to the tenant's own staff, never logged.
type Message struct {
	ID        string     `json:"id" db:"id"`
	Kind      string     `json:"kind" db:"kind"`
	Lang      string     `json:"lang" db:"lang"`
	Channel   string     `json:"channel" db:"channel" enum:"email,sms"`
	To        string     `json:"to" db:"to_addr"`
	Subject   string     `json:"subject" db:"subject"`
	Body      string     `json:"body" db:"body"`
	Status    string     `json:"status" db:"status" enum:"sending,sent,outbox,failed"`
	SubjectID string     `json:"subject_id,omitempty" db:"subject_id" doc:"The order or participation the message is about."`
	LastError string     `json:"last_error,omitempty" db:"last_error"`
	CreatedAt time.Time  `json:"created_at" db:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty" db:"sent_at"`
}

// MessageFilter narrows the message list.
type MessageFilter struct {
	Status string
	Kind   string
}

// ListMessages returns the tenant's messages, newest first.
func (s *Service) ListMessages(ctx context.Context, f MessageFilter, page api.PageParams) (*api.List[Message], error) {
	q := `SELECT id, kind, lang, channel, to_addr, subject, body, status, subject_id, last_error, created_at, sent_at
		FROM messages WHERE tenant_id = @tenant`
	var args []any
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	q, args, err := page.Keyset(q, "id", args...)
	if err != nil {
		return nil, err
	}
	var msgs []Message
	err = s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&msgs, q, args...) })
	if err != nil {
		return nil, err
	}
	return api.NewList(msgs, page.Limit, func(m Message) string { return m.ID }), nil
}
