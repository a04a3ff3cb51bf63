// Package notify sends the messages of an event's life — order confirmation,
// payment received, reminders 7 days and 1 day before (with the PDF tickets)
// and a thank-you the day after — by email over SMTP, and campaign notices by
// SMS or KakaoTalk AlimTalk. Messages are triggered by domain events from the
// outbox and sent by durable jobs whose dedupe keys make each message go out
// once, also across restarts. Without a configured provider, messages land in
// the development outbox (the messages table with status "outbox").
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
)

// TicketPDF renders a ticket as a PDF; the ticket domain implements it. ctx
// is scoped to the ticket's tenant.
type TicketPDF interface {
	PDF(ctx context.Context, ticketID string) ([]byte, error)
}

// Config holds the providers and settings of a Service.
type Config struct {
	// Mailer sends email; nil keeps email in the development outbox.
	Mailer Mailer
	// SMS sends text messages; nil keeps them in the development outbox.
	SMS SMSProvider
	// Tickets attaches PDF tickets to the D-1 reminder; nil sends none.
	Tickets TicketPDF
	// BaseURL is the public address that ticket links in messages start with.
	BaseURL string
	// Now stamps messages and decides which reminders are already past.
	Now func() time.Time
	// Logger receives send failures, never recipients or contents.
	Logger *slog.Logger
}

// Service holds the rules of messages.
type Service struct {
	db  *db.DB
	cfg Config
	log *slog.Logger
}

// Message statuses.
const (
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusOutbox  = "outbox"
	StatusFailed  = "failed"
)

// jobSend is the job kind that renders and sends one message.
const jobSend = "notify.send"

// consumerName is the outbox consumer of this package.
const consumerName = "notify"

// NewService returns the message service, registering its outbox consumer
// with d and its job handler with runner.
func NewService(conn *db.DB, runner *job.Runner, d *outbox.Dispatcher, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = runner.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: conn, cfg: cfg, log: cfg.Logger}
	d.Register(outbox.Consumer{
		Name:   consumerName,
		Kinds:  []string{"order.created", "order.paid", "order.cancelled", "participation.created"},
		Apply:  s.applyEvent,
		Handle: s.handleEvent,
	})
	runner.Handle(jobSend, s.handleSend)
	return s
}

// sendJob is the payload of a notify.send job: what to send, with the event
// data as it was when the message was scheduled. The template is looked up
// when the job runs, so a reminder uses the template of its sending day.
type sendJob struct {
	Kind          string              `json:"kind"`
	Order         *OrderEvent         `json:"order,omitempty"`
	Participation *ParticipationEvent `json:"participation,omitempty"`
}

// messageKey is the identity of one message: at most one per order (or
// participation) and kind, ever.
func messageKey(subject, kind string) string { return "msg:" + subject + ":" + kind }

// reminders are the order messages scheduled relative to the event's start.
var reminders = []struct {
	kind   string
	offset time.Duration
}{
	{KindReminderD7, -7 * 24 * time.Hour},
	{KindReminderD1, -24 * time.Hour},
	{KindThankYouD1, 24 * time.Hour},
}

// handleEvent turns a domain event into send jobs in a transaction of its
// own: the outbox job path (a redelivery, a replayed dead letter, or an event
// whose inline apply failed).
func (s *Service) handleEvent(ctx context.Context, e outbox.Event) error {
	return s.db.Write(ctx, func(tx *db.Tx) error { return s.applyEvent(tx, e) })
}

// applyEvent turns a domain event into send jobs inside tx, scoped to the
// event's tenant; the outbox dispatcher calls it in its own transaction. It
// only enqueues (and cancels) jobs, whose dedupe keys make a redelivered
// event harmless.
func (s *Service) applyEvent(tx *db.Tx, e outbox.Event) error {
	now := s.cfg.Now()
	switch e.Kind {
	case "order.created", "order.paid":
		var o OrderEvent
		if err := json.Unmarshal(e.Payload, &o); err != nil || o.OrderID == "" {
			return job.Permanent(fmt.Errorf("notify: bad %s payload", e.Kind))
		}
		if o.Buyer.Email == "" {
			return nil
		}
		kind := KindConfirmation
		if e.Kind == "order.paid" {
			kind = KindPaymentReceived
		}
		if err := s.schedule(tx, sendJob{Kind: kind, Order: &o}, o.OrderID, time.Time{}); err != nil {
			return err
		}
		if e.Kind != "order.paid" {
			return nil
		}
		for _, r := range reminders {
			at := o.Event.StartsAt.Add(r.offset)
			if at.Before(now) {
				continue // a reminder for a moment already past would only confuse
			}
			if err := s.schedule(tx, sendJob{Kind: r.kind, Order: &o}, o.OrderID, at); err != nil {
				return err
			}
		}
		return nil
	case "order.cancelled":
		var c CancelEvent
		if err := json.Unmarshal(e.Payload, &c); err != nil || c.OrderID == "" {
			return job.Permanent(fmt.Errorf("notify: bad %s payload", e.Kind))
		}
		for _, r := range reminders {
			if err := job.Cancel(tx, messageKey(c.OrderID, r.kind), now); err != nil {
				return err
			}
		}
		return nil
	case "participation.created":
		var p ParticipationEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return job.Permanent(fmt.Errorf("notify: bad %s payload", e.Kind))
		}
		if p.Phone == "" || p.ParticipationID == "" {
			return nil
		}
		return s.schedule(tx, sendJob{Kind: KindParticipation, Participation: &p}, p.ParticipationID, time.Time{})
	}
	return nil
}

func (s *Service) schedule(tx *db.Tx, j sendJob, subject string, at time.Time) error {
	_, _, err := job.Enqueue(tx, jobSend, j, job.Opts{RunAt: at, DedupeKey: messageKey(subject, j.Kind)})
	return err
}

// handleSend renders and sends one message. The messages row, keyed like the
// job, is written before the provider is called: a retry after a failure
// sends again, but a job that runs twice after a success (its "done" lost in
// a crash) finds the row sent and stops. Only a crash between the provider's
// answer and the next write can still send a message twice.
func (s *Service) handleSend(ctx context.Context, j *job.Job) error {
	var p sendJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("notify: bad job payload: %w", err))
	}
	key := j.ID
	if j.DedupeKey != nil {
		key = *j.DedupeKey
	}
	var m outgoing
	var err error
	switch {
	case p.Order != nil:
		m, err = s.renderOrder(ctx, p.Kind, p.Order)
	case p.Participation != nil:
		m, err = s.renderParticipation(ctx, p.Participation)
	default:
		return job.Permanent(fmt.Errorf("notify: empty job"))
	}
	if err != nil {
		return err
	}
	m.kind, m.key = p.Kind, key

	provider := (m.channel == "email" && s.cfg.Mailer != nil) || (m.channel == "sms" && s.cfg.SMS != nil)
	msgID, proceed, err := s.record(ctx, m, provider)
	if err != nil || !proceed {
		return err
	}
	sendErr := s.deliver(ctx, msgID, m, p)
	now := s.cfg.Now()
	werr := s.db.Write(ctx, func(tx *db.Tx) error {
		if sendErr != nil {
			_, err := tx.Exec(`UPDATE messages SET status = 'failed', last_error = ? WHERE tenant_id = @tenant AND id = ?`,
				truncate(sendErr.Error(), 1000), msgID)
			return err
		}
		_, err := tx.Exec(`UPDATE messages SET status = 'sent', sent_at = ?, last_error = '' WHERE tenant_id = @tenant AND id = ?`, now, msgID)
		return err
	})
	if sendErr != nil {
		return sendErr
	}
	return werr
}

// outgoing is a rendered message.
type outgoing struct {
	kind, key, lang, channel, to, subject, body, subjectID string
	vars                                                   map[string]string
}

// record writes the messages row (or finds the one an earlier attempt wrote)
// and reports whether the message still has to be sent.
func (s *Service) record(ctx context.Context, m outgoing, provider bool) (string, bool, error) {
	now := s.cfg.Now()
	status := StatusSending
	if !provider {
		status = StatusOutbox
	}
	var msgID, got string
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		type idStatus struct {
			ID     string `db:"id"`
			Status string `db:"status"`
		}
		// RETURNING answers the first attempt without a second statement;
		// only a retry, whose insert does nothing, reads the row.
		var rows []idStatus
		err := tx.Select(&rows, `INSERT INTO messages (tenant_id, id, kind, lang, channel, to_addr, subject, body, status, subject_id, dedupe_key, created_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
			RETURNING id, status`,
			id.New("msg"), m.kind, m.lang, m.channel, m.to, m.subject, m.body, status, m.subjectID, m.key, now)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			rows = append(rows, idStatus{})
			if err := tx.Get(&rows[0], `SELECT id, status FROM messages WHERE tenant_id = @tenant AND dedupe_key = ?`, m.key); err != nil {
				return err
			}
		}
		msgID, got = rows[0].ID, rows[0].Status
		if got == StatusFailed || (got == StatusOutbox && provider) {
			// A retry: send the freshly rendered text.
			_, err := tx.Exec(`UPDATE messages SET status = 'sending', subject = ?, body = ?, to_addr = ? WHERE tenant_id = @tenant AND id = ?`,
				m.subject, m.body, m.to, msgID)
			got = StatusSending
			return err
		}
		return nil
	})
	if err != nil {
		return "", false, err
	}
	return msgID, provider && got == StatusSending, nil
}

// deliver hands a rendered message to its provider.
func (s *Service) deliver(ctx context.Context, msgID string, m outgoing, p sendJob) error {
	if m.channel == "sms" {
		return s.cfg.SMS.SendSMS(ctx, m.to, m.kind, m.vars)
	}
	e := Email{To: m.to, Subject: m.subject, Body: m.body, MessageID: msgID + "@usher"}
	if m.kind == KindReminderD1 && s.cfg.Tickets != nil && p.Order != nil {
		for _, t := range p.Order.Tickets {
			pdf, err := s.cfg.Tickets.PDF(ctx, t.ID)
			if fault.Is(err, fault.NotFound) {
				continue // revoked or erased since the order was paid
			}
			if err != nil {
				return fmt.Errorf("ticket pdf: %w", err)
			}
			e.Attachments = append(e.Attachments, Attachment{Name: "ticket-" + t.ID + ".pdf", Data: pdf})
		}
	}
	return s.cfg.Mailer.SendEmail(ctx, e)
}

func (s *Service) renderOrder(ctx context.Context, kind string, o *OrderEvent) (outgoing, error) {
	lang := langOf(o.Locale)
	t, err := s.Template(ctx, kind, lang)
	if err != nil {
		return outgoing{}, err
	}
	subj, body, err := render(t.Subject, t.Body, orderData(o, lang, s.cfg.BaseURL))
	if err != nil {
		// A saved template is checked at save time; failing now means the
		// data is odd, which no retry changes.
		return outgoing{}, job.Permanent(err)
	}
	return outgoing{lang: lang, channel: "email", to: o.Buyer.Email, subject: subj, body: body, subjectID: o.OrderID}, nil
}

func (s *Service) renderParticipation(ctx context.Context, p *ParticipationEvent) (outgoing, error) {
	lang := langOf(p.Locale)
	t, err := s.Template(ctx, KindParticipation, lang)
	if err != nil {
		return outgoing{}, err
	}
	data := participationData(p)
	_, body, err := render(t.Subject, t.Body, data)
	if err != nil {
		return outgoing{}, job.Permanent(err)
	}
	vars := map[string]string{}
	for k, v := range data {
		vars[k] = fmt.Sprint(v)
	}
	return outgoing{lang: lang, channel: "sms", to: p.Phone, body: body, subjectID: p.ParticipationID, vars: vars}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	return string(r[:len(r)-1])
}
