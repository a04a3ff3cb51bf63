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
	"github.com/usher-events/usher/internal/meter"
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
	// Managers finds who gets the organization's own messages (budget
	// alerts); nil sends none.
	Managers Managers
	// Events reads the event of an order message whose payload names it by
	// id only (order.created's); nil leaves such messages without it.
	Events Events
}

// Events reads an event of ctx's tenant as order messages show it; an
// unknown one is a not_found fault.
type Events interface {
	EventInfo(ctx context.Context, eventID string) (EventInfo, error)
}

// Managers reads the owners and admins of ctx's tenant.
type Managers interface {
	Managers(ctx context.Context) ([]Recipient, error)
}

// Recipient is a person an organization's own message goes to, and the
// language ("ko" or "en") they read it in.
type Recipient struct {
	Email, Lang string
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

// jobSendMany renders and sends the confirmations of many orders: the
// outbox dispatcher schedules one per batch of order.created events, so that
// a flash sale's holds do not cost a job each.
const jobSendMany = "notify.send-many"

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
		Name:       consumerName,
		Kinds:      []string{"order.created", "order.paid", "order.cancelled", "participation.created", "participation.result", "draw.winner", "usage.budget_alert"},
		Apply:      s.applyEvent,
		ApplyBatch: s.applyEvents,
		Handle:     s.handleEvent,
	})
	runner.Handle(jobSend, s.handleSend)
	runner.Handle(jobSendMany, s.handleSendMany)
	return s
}

// sendJob is the payload of a notify.send job: what to send, with the event
// data as it was when the message was scheduled. The template is looked up
// when the job runs, so a reminder uses the template of its sending day.
type sendJob struct {
	Kind          string              `json:"kind"`
	Order         *OrderEvent         `json:"order,omitempty"`
	Participation *ParticipationEvent `json:"participation,omitempty"`
	Budget        *BudgetEvent        `json:"budget,omitempty"`
}

// sendManyJob is the payload of a notify.send-many job: the outbox sequence
// numbers of order.created events of the job's tenant, whose confirmations
// it sends. The events are read when the job runs (outbox rows stay), which
// keeps the job small and the dispatcher's write short.
type sendManyJob struct {
	Seqs []int64 `json:"seqs"`
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
	case "participation.created", "participation.result", "draw.winner":
		var p ParticipationEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return job.Permanent(fmt.Errorf("notify: bad %s payload", e.Kind))
		}
		if p.Phone == "" || p.ParticipationID == "" {
			return nil
		}
		kind, subject := KindParticipation, p.ParticipationID
		switch e.Kind {
		case "participation.result":
			kind = KindParticipationResult
		case "draw.winner":
			// One notice per draw won: a person may win several draws.
			kind, subject = KindDrawWinner, p.ParticipationID+"/"+p.DrawID
		}
		return s.schedule(tx, sendJob{Kind: kind, Participation: &p}, subject, time.Time{})
	case "usage.budget_alert":
		var b BudgetEvent
		if err := json.Unmarshal(e.Payload, &b); err != nil || b.Period == "" || b.Threshold <= 0 {
			return job.Permanent(fmt.Errorf("notify: bad %s payload", e.Kind))
		}
		if s.cfg.Managers == nil {
			return nil
		}
		// The recipients are read when the job runs: the writer's
		// transaction reads nothing of another domain's.
		return s.schedule(tx, sendJob{Kind: KindBudgetAlert, Budget: &b}, budgetSubject(&b), time.Time{})
	}
	return nil
}

// budgetSubject names a budget alert as the subject of its messages.
func budgetSubject(b *BudgetEvent) string { return fmt.Sprintf("budget/%s/%d", b.Period, b.Threshold) }

// applyEvents is applyEvent for a run of one tenant's events, except that
// the confirmations of several new orders share one notify.send-many job.
// Each message keeps its own key in the messages table, so a message is
// sent once even when its event is also delivered the one-by-one way (a
// replayed dead letter, say).
func (s *Service) applyEvents(tx *db.Tx, events []outbox.Event) error {
	var created []outbox.Event
	for _, e := range events {
		if e.Kind == "order.created" {
			created = append(created, e)
			continue
		}
		if err := s.applyEvent(tx, e); err != nil {
			return err
		}
	}
	if len(created) < 2 {
		for _, e := range created {
			if err := s.applyEvent(tx, e); err != nil {
				return err
			}
		}
		return nil
	}
	seqs := make([]int64, len(created))
	for i, e := range created {
		seqs[i] = e.Seq
	}
	_, _, err := job.Enqueue(tx, jobSendMany, sendManyJob{Seqs: seqs}, job.Opts{})
	return err
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
	if p.Budget != nil {
		return s.sendBudgetAlert(ctx, p, key)
	}
	if p.Order != nil {
		if err := s.fillEvents(ctx, []*OrderEvent{p.Order}); err != nil {
			return err
		}
	}
	m, err := s.renderJob(ctx, p, templateMemo{})
	if err != nil {
		return err
	}
	m.key = key
	return s.send(ctx, []outgoing{m}, []sendJob{p})
}

// handleSendMany sends the confirmations of a batch of new orders. An
// event that can never make a message (a bad payload, a template that
// cannot render it) goes back to the outbox's job path on its own, where it
// fails like any single event and becomes a dead letter an admin sees. Any
// other failure fails the job after the rest were tried, and the retry
// sends only what was not sent (each message's row says).
func (s *Service) handleSendMany(ctx context.Context, j *job.Job) error {
	var p sendManyJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("notify: bad job payload: %w", err))
	}
	var events []outbox.Event
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		events, err = outbox.Load(tx, p.Seqs)
		return err
	})
	if err != nil {
		return err
	}
	memo := templateMemo{}
	ms := make([]outgoing, 0, len(events))
	ps := make([]sendJob, 0, len(events))
	var alone, sendable []outbox.Event
	var orders []*OrderEvent
	for _, e := range events {
		o := new(OrderEvent)
		if err := json.Unmarshal(e.Payload, o); err != nil || o.OrderID == "" {
			alone = append(alone, e)
			continue
		}
		if o.Buyer.Email == "" {
			continue
		}
		sendable, orders = append(sendable, e), append(orders, o)
	}
	if err := s.fillEvents(ctx, orders); err != nil && !job.IsPermanent(err) {
		return err
	}
	for i, e := range sendable {
		o := orders[i]
		if o.Event.ID == "" && o.EventID != "" {
			alone = append(alone, e) // its event is gone: the job path fails it on its own
			continue
		}
		sj := sendJob{Kind: KindConfirmation, Order: o}
		m, err := s.renderJob(ctx, sj, memo)
		if job.IsPermanent(err) {
			alone = append(alone, e)
			continue
		}
		if err != nil {
			return err
		}
		m.key = messageKey(o.OrderID, sj.Kind)
		ms, ps = append(ms, m), append(ps, sj)
	}
	if len(alone) > 0 {
		s.log.Warn("notify: events of a batch go to the job layer one by one", "events", len(alone), "job_id", j.ID)
		err := s.db.Write(ctx, func(tx *db.Tx) error {
			for _, e := range alone {
				if err := outbox.Retry(tx, consumerName, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.send(ctx, ms, ps)
}

// fillEvents reads the event of each order payload that names it only by
// id (order.created's), once per event. An event that cannot be found is a
// permanent error, after the others were filled in.
func (s *Service) fillEvents(ctx context.Context, orders []*OrderEvent) error {
	if s.cfg.Events == nil {
		return nil
	}
	var missing error
	read := map[string]EventInfo{}
	for _, o := range orders {
		if o.Event.ID != "" || o.EventID == "" {
			continue
		}
		e, ok := read[o.EventID]
		if !ok {
			var err error
			e, err = s.cfg.Events.EventInfo(ctx, o.EventID)
			if fault.Is(err, fault.NotFound) {
				missing = job.Permanent(fmt.Errorf("notify: order %s: no event %s", o.OrderID, o.EventID))
				continue
			}
			if err != nil {
				return err
			}
			read[o.EventID] = e
		}
		o.Event = e
	}
	return missing
}

// renderJob renders the message a job describes.
func (s *Service) renderJob(ctx context.Context, p sendJob, memo templateMemo) (outgoing, error) {
	var m outgoing
	var err error
	switch {
	case p.Order != nil:
		m, err = s.renderOrder(ctx, p.Kind, p.Order, memo)
	case p.Participation != nil:
		m, err = s.renderParticipation(ctx, p.Kind, p.Participation, memo)
	default:
		return m, job.Permanent(fmt.Errorf("notify: empty job"))
	}
	m.kind = p.Kind
	return m, err
}

// sendBudgetAlert sends a budget alert to each of the organization's owners
// and admins, in their language (the organization's own template, when it
// has one), as one message per recipient under the job's key.
func (s *Service) sendBudgetAlert(ctx context.Context, p sendJob, key string) error {
	to, err := s.cfg.Managers.Managers(ctx)
	if err != nil {
		return err
	}
	type rendered struct{ subject, body string }
	byLang := map[string]rendered{}
	ms := make([]outgoing, 0, len(to))
	ps := make([]sendJob, 0, len(to))
	for _, r := range to {
		lang := langOf(r.Lang)
		m, ok := byLang[lang]
		if !ok {
			t, err := s.template(ctx, KindBudgetAlert, lang, templateMemo{})
			if err != nil {
				return err
			}
			if m.subject, m.body, err = render(t.Subject, t.Body, budgetData(p.Budget, s.cfg.BaseURL)); err != nil {
				return job.Permanent(err)
			}
			byLang[lang] = m
		}
		ms = append(ms, outgoing{kind: KindBudgetAlert, key: key + ":" + r.Email, lang: lang, channel: "email", to: r.Email,
			subject: m.subject, body: m.body, subjectID: budgetSubject(p.Budget)})
		ps = append(ps, p)
	}
	return s.send(ctx, ms, ps)
}

// send records rendered messages (their rows are written before any
// provider is called: a retry after a failure sends again, but one after a
// success finds the row sent and stops), then hands each one that is due to
// its provider and records the outcome. Only a crash between a provider's
// answer and that write can still send a message twice. It returns the
// last failure, after trying every message.
func (s *Service) send(ctx context.Context, ms []outgoing, ps []sendJob) error {
	if len(ms) == 0 {
		return nil
	}
	ids, due, err := s.record(ctx, ms)
	if err != nil {
		return err
	}
	var failed error
	for i, m := range ms {
		if !due[i] {
			continue
		}
		sendErr := s.deliver(ctx, ids[i], m, ps[i])
		now := s.cfg.Now()
		werr := s.db.Write(ctx, func(tx *db.Tx) error {
			if sendErr != nil {
				_, err := tx.Exec(`UPDATE messages SET status = 'failed', last_error = ? WHERE tenant_id = @tenant AND id = ?`,
					truncate(sendErr.Error(), 1000), ids[i])
				return err
			}
			_, err := tx.Exec(`UPDATE messages SET status = 'sent', sent_at = ?, last_error = '' WHERE tenant_id = @tenant AND id = ?`, now, ids[i])
			return err
		})
		if sendErr != nil {
			failed = sendErr
		} else if werr != nil {
			failed = werr
		}
	}
	return failed
}

// outgoing is a rendered message.
type outgoing struct {
	kind, key, lang, channel, to, subject, body, subjectID string
	vars                                                   map[string]string
}

// record writes the messages' rows in one transaction (or finds the ones an
// earlier attempt wrote) and reports, per message, its row's id and whether
// it still has to be sent to a provider.
func (s *Service) record(ctx context.Context, ms []outgoing) ([]string, []bool, error) {
	ids, due := make([]string, len(ms)), make([]bool, len(ms))
	// A few dozen rows per write: on SQLite every write waits for the
	// single writer, and a write of hundreds of rows would hold up the
	// holds queued behind it.
	for lo := 0; lo < len(ms); lo += recordBatch {
		hi := min(lo+recordBatch, len(ms))
		if err := s.recordChunk(ctx, ms[lo:hi], ids[lo:hi], due[lo:hi]); err != nil {
			return nil, nil, err
		}
	}
	return ids, due, nil
}

// channelMetric is the meter's metric of each channel's messages.
var channelMetric = map[string]string{"email": meter.Emails, "sms": meter.SMS}

// recordBatch bounds how many messages rows one write records.
const recordBatch = 32

func (s *Service) recordChunk(ctx context.Context, ms []outgoing, ids []string, due []bool) error {
	now := s.cfg.Now()
	return s.db.Write(ctx, func(tx *db.Tx) error {
		type idStatus struct {
			ID     string `db:"id"`
			Status string `db:"status"`
			Key    string `db:"dedupe_key"`
		}
		// One statement for the chunk. RETURNING answers the rows it
		// inserted; a message it skipped was recorded by an earlier
		// attempt (a retry), whose row is read on its own.
		args := make([]any, 0, len(ms)*11)
		channels := make(map[string]string, len(ms)) // by key, for the meter
		for _, m := range ms {
			channels[m.key] = m.channel
			status := StatusSending
			if !s.hasProvider(m.channel) {
				status = StatusOutbox
			}
			args = append(args, id.New("msg"), m.kind, m.lang, m.channel, m.to, m.subject, m.body, status, m.subjectID, m.key, now)
		}
		var inserted []idStatus
		if err := tx.Select(&inserted, `INSERT INTO messages (tenant_id, id, kind, lang, channel, to_addr, subject, body, status, subject_id, dedupe_key, created_at)
			VALUES `+db.Rows(len(ms), "@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?")+` ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
			RETURNING id, status, dedupe_key`, args...); err != nil {
			return err
		}
		byKey := make(map[string]idStatus, len(inserted))
		recorded := map[string]int64{} // new messages per channel, for the meter
		for _, r := range inserted {
			byKey[r.Key] = r
			recorded[channels[r.Key]]++
		}
		for i, m := range ms {
			r, ok := byKey[m.key]
			if !ok {
				if err := tx.Get(&r, `SELECT id, status, dedupe_key FROM messages WHERE tenant_id = @tenant AND dedupe_key = ?`, m.key); err != nil {
					return err
				}
				byKey[m.key] = r
			}
			provider := s.hasProvider(m.channel)
			if r.Status == StatusFailed || (r.Status == StatusOutbox && provider) {
				// A retry: send the freshly rendered text.
				if _, err := tx.Exec(`UPDATE messages SET status = 'sending', subject = ?, body = ?, to_addr = ? WHERE tenant_id = @tenant AND id = ?`,
					m.subject, m.body, m.to, r.ID); err != nil {
					return err
				}
				r.Status = StatusSending
				byKey[m.key] = r
			}
			ids[i], due[i] = r.ID, provider && r.Status == StatusSending
		}
		for channel, n := range recorded {
			if err := meter.Add(tx, now, channelMetric[channel], n); err != nil {
				return err
			}
		}
		return nil
	})
}

// hasProvider reports whether messages of the channel go to a provider
// rather than the development outbox.
func (s *Service) hasProvider(channel string) bool {
	return (channel == "email" && s.cfg.Mailer != nil) || (channel == "sms" && s.cfg.SMS != nil)
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

// templateMemo keeps the templates a job has looked up, by kind and language.
type templateMemo map[[2]string]*Template

// template is Template, looked up once per job.
func (s *Service) template(ctx context.Context, kind, lang string, memo templateMemo) (*Template, error) {
	if t := memo[[2]string{kind, lang}]; t != nil {
		return t, nil
	}
	t, err := s.Template(ctx, kind, lang)
	if err == nil {
		memo[[2]string{kind, lang}] = t
	}
	return t, err
}

func (s *Service) renderOrder(ctx context.Context, kind string, o *OrderEvent, memo templateMemo) (outgoing, error) {
	lang := langOf(o.Locale)
	t, err := s.template(ctx, kind, lang, memo)
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

func (s *Service) renderParticipation(ctx context.Context, kind string, p *ParticipationEvent, memo templateMemo) (outgoing, error) {
	lang := langOf(p.Locale)
	t, err := s.template(ctx, kind, lang, memo)
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
