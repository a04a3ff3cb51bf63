package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/notify"
	"github.com/usher-events/usher/internal/outbox"
)

// clock is a hand-moved clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// mailbox is an in-process SMTP server that keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	mail []string
	addr string
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{box: m}, nil }

type session struct{ box *mailbox }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.mail = append(s.box.mail, string(b))
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	box := &mailbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return box
}

// count reports how many received mails contain s.
func (m *mailbox) count(s string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, mail := range m.mail {
		if strings.Contains(mail, s) {
			n++
		}
	}
	return n
}

func (m *mailbox) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.mail)
}

type fakePDF struct{}

func (fakePDF) PDF(ctx context.Context, ticketID string) ([]byte, error) {
	if _, ok := db.TenantFrom(ctx); !ok {
		return nil, fault.New(fault.Internal, "unscoped")
	}
	return []byte("%PDF-1.4 fake " + ticketID), nil
}

// stack is one node's background work: a runner, a dispatcher and the
// message service on a shared database.
type stack struct {
	runner   *job.Runner
	dispatch *outbox.Dispatcher
	notify   *notify.Service
}

func newStack(t *testing.T, conn *db.DB, clk *clock, mailer notify.Mailer) *stack {
	t.Helper()
	r := job.NewRunner(conn, job.Config{Now: clk.Now})
	d := outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{Now: clk.Now})
	n := notify.NewService(conn, r, d, notify.Config{Mailer: mailer, Tickets: fakePDF{}, BaseURL: "https://usher.test", Now: clk.Now, Events: fakeEvents{}})
	return &stack{runner: r, dispatch: d, notify: n}
}

// step does what the background loops do, once: read the outbox, run due jobs.
func (s *stack) step(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.dispatch.DispatchOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.runner.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
}

const tenantID = "ten_notify"

func emit(t *testing.T, conn *db.DB, kind, subject string, payload any, at time.Time) {
	t.Helper()
	err := conn.Write(db.WithTenant(context.Background(), tenantID), func(tx *db.Tx) error {
		_, err := outbox.Emit(tx, kind, subject, payload, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// oneByOne queues an order.created event on the outbox's job path (one job
// for the one event), as a replayed dead letter or an older version's
// dispatcher leaves it.
func oneByOne(t *testing.T, conn *db.DB, eventID, orderID string, payload any, at time.Time) {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Write(db.WithTenant(context.Background(), tenantID), func(tx *db.Tx) error {
		return outbox.Retry(tx, "notify", outbox.Event{ID: eventID, TenantID: tenantID, Kind: "order.created", Subject: orderID, Payload: raw, CreatedAt: at})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pendingJobs counts the test tenant's pending jobs of a kind.
func pendingJobs(t *testing.T, conn *db.DB, kind string) int {
	t.Helper()
	var n int
	err := conn.Read(db.WithTenant(context.Background(), tenantID), func(tx *db.Tx) error {
		return tx.Get(&n, `SELECT COUNT(*) FROM jobs WHERE tenant_id = @tenant AND kind = ? AND status = 'pending'`, kind)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func paidOrder(orderID string, start time.Time, locale string) map[string]any {
	return map[string]any{
		"order_id": orderID,
		"event": map[string]any{"id": "evt_1", "name": "Usher Conf", "starts_at": start, "ends_at": start.Add(8 * time.Hour),
			"timezone": "Asia/Seoul", "venue": "COEX"},
		"buyer":    map[string]any{"name": "Kim Minji", "email": "minji@example.com", "phone": "+821012345678"},
		"locale":   locale,
		"total":    99000,
		"currency": "KRW",
		"tickets":  []map[string]any{{"id": "tkt_1", "ticket_type_id": "tty_1", "ticket_type_name": "VIP", "attendee_name": "Kim Minji"}},
	}
}

func smtpMailer(t *testing.T, box *mailbox) notify.Mailer {
	t.Helper()
	m, err := notify.NewSMTP("smtp://"+box.addr+"?tls=none", "Usher <no-reply@usher.test>")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRemindersSentOnceAcrossRestart moves the clock past D-7, D-1 and D+1
// and sees each message sent exactly once, with a restart in the middle.
func TestRemindersSentOnceAcrossRestart(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		box := startMailbox(t)
		now := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
		start := now.Add(10 * 24 * time.Hour)
		clk := &clock{t: now}
		node := newStack(t, conn, clk, smtpMailer(t, box))

		emit(t, conn, "order.paid", "ord_1", paidOrder("ord_1", start, "en"), now)
		node.step(t)
		node.step(t)
		if box.count("Payment received") != 1 || box.total() != 1 {
			t.Fatalf("after payment: %d mails", box.total())
		}

		clk.Set(start.Add(-7*24*time.Hour + time.Minute))
		node.step(t)
		if box.count("One week to go") != 1 || box.total() != 2 {
			t.Fatalf("after D-7: %d mails", box.total())
		}

		// Restart: a new node on the same database, with no memory.
		node = newStack(t, conn, clk, smtpMailer(t, box))
		node.step(t)
		if box.total() != 2 {
			t.Fatalf("restart resent: %d mails", box.total())
		}

		clk.Set(start.Add(-24*time.Hour + time.Minute))
		node.step(t)
		if box.count("See you tomorrow") != 1 || box.total() != 3 {
			t.Fatalf("after D-1: %d mails", box.total())
		}
		if box.count("ticket-tkt_1.pdf") != 1 {
			t.Fatal("the D-1 reminder has no PDF ticket")
		}

		clk.Set(start.Add(24*time.Hour + time.Minute))
		node.step(t)
		node = newStack(t, conn, clk, smtpMailer(t, box))
		node.step(t)
		if box.count("Thank you for coming") != 1 || box.total() != 4 {
			t.Fatalf("after D+1: %d mails", box.total())
		}
		// Event start in the event's time zone (KST), not UTC.
		if box.count("(KST)") != 3 { // all but the thank-you show the start
			t.Fatalf("times not shown in the event's time zone")
		}

		list, err := node.notify.ListMessages(db.WithTenant(context.Background(), tenantID), notify.MessageFilter{}, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, m := range list.Body.Data {
			if m.Status != notify.StatusSent || m.To != "minji@example.com" || m.SentAt == nil {
				t.Errorf("message %+v", m)
			}
			kinds[m.Kind]++
		}
		for _, k := range []string{notify.KindPaymentReceived, notify.KindReminderD7, notify.KindReminderD1, notify.KindThankYouD1} {
			if kinds[k] != 1 {
				t.Errorf("%s sent %d times", k, kinds[k])
			}
		}
	})
}

// TestCancelledOrderGetsNoReminders, and without SMTP messages land in the
// development outbox.
func TestCancelledOrderGetsNoReminders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		now := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
		start := now.Add(10 * 24 * time.Hour)
		clk := &clock{t: now}
		node := newStack(t, conn, clk, nil)
		emit(t, conn, "order.created", "ord_2", paidOrder("ord_2", start, "ko"), now)
		emit(t, conn, "order.paid", "ord_2", paidOrder("ord_2", start, "ko"), now)
		node.step(t)
		emit(t, conn, "order.cancelled", "ord_2", map[string]any{"order_id": "ord_2", "event_id": "evt_1", "ticket_ids": []string{"tkt_1"}}, now)
		node.step(t)
		clk.Set(start.Add(48 * time.Hour))
		node.step(t)

		list, err := node.notify.ListMessages(db.WithTenant(context.Background(), tenantID), notify.MessageFilter{}, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 2 {
			t.Fatalf("want confirmation and payment only, got %+v", list.Body.Data)
		}
		for _, m := range list.Body.Data {
			if m.Status != notify.StatusOutbox || m.Lang != "ko" || !strings.Contains(m.Body, "Kim Minji님") {
				t.Errorf("outbox message %+v", m)
			}
		}
	})
}

func TestTemplateValidationAndPreview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		clk := &clock{t: time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)}
		s := newStack(t, conn, clk, nil).notify
		ctx := db.WithTenant(context.Background(), tenantID)

		for name, body := range map[string]string{
			"unknown variable": "Hello {{.BuyerNmae}}",
			"syntax":           "Hello {{.BuyerName",
			"empty":            " ",
		} {
			_, err := s.SaveTemplate(ctx, notify.KindConfirmation, "en", "Hi", body)
			if !fault.Is(err, fault.Validation) {
				t.Errorf("%s: %v, want validation_failed", name, err)
			}
		}
		if _, err := s.SaveTemplate(ctx, "bogus", "en", "Hi", "x"); !fault.Is(err, fault.Validation) {
			t.Errorf("unknown kind: %v", err)
		}

		saved, err := s.SaveTemplate(ctx, notify.KindConfirmation, "en", "Order for {{.EventName}}", "Dear {{.BuyerName}}, see you at {{.Venue}}")
		if err != nil || !saved.Custom {
			t.Fatalf("save: %+v %v", saved, err)
		}
		subj, body, err := s.Preview(ctx, notify.KindConfirmation, "en", "", "")
		if err != nil || subj != "Order for Sample Conference 2026" || body != "Dear Alex Kim, see you at COEX Hall A, Seoul" {
			t.Fatalf("preview: %q %q %v", subj, body, err)
		}
		// Another tenant still sees the built-in template.
		other, err := s.Template(db.WithTenant(context.Background(), "ten_other"), notify.KindConfirmation, "en")
		if err != nil || other.Custom {
			t.Fatalf("other tenant: %+v %v", other, err)
		}
		// Every built-in template renders on its sample data.
		for _, k := range notify.Kinds {
			for _, l := range notify.Langs {
				if _, _, err := s.Preview(db.WithTenant(context.Background(), "ten_other"), k, l, "", ""); err != nil {
					t.Errorf("built-in %s/%s: %v", k, l, err)
				}
			}
		}
	})
}

func TestHTTPSMS(t *testing.T) {
	var got struct {
		To           string            `json:"to"`
		TemplateCode string            `json:"template_code"`
		Vars         map[string]string `json:"vars"`
	}
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "secret" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	p := &notify.HTTPSMS{URL: srv.URL, APIKey: "secret"}
	ctx := context.Background()
	if err := p.SendSMS(ctx, "+821012345678", "participation_confirmation", map[string]string{"ParticipationNumber": "A-7"}); err != nil {
		t.Fatal(err)
	}
	if got.To != "+821012345678" || got.TemplateCode != "participation_confirmation" || got.Vars["ParticipationNumber"] != "A-7" {
		t.Fatalf("provider got %+v", got)
	}
	status = http.StatusBadRequest
	err := p.SendSMS(ctx, "+821012345678", "x", nil)
	if err == nil || !job.IsPermanent(err) {
		t.Fatalf("400: %v, want a permanent error", err)
	}
	status = http.StatusServiceUnavailable
	err = p.SendSMS(ctx, "+821012345678", "x", nil)
	if err == nil || job.IsPermanent(err) {
		t.Fatalf("503: %v, want a retryable error", err)
	}
	if err := (&notify.HTTPSMS{URL: srv.URL, APIKey: "wrong"}).SendSMS(ctx, "+8210", "x", nil); err == nil {
		t.Fatal("a rejected key was not an error")
	}
}

// The campaign domain emits participation numbers as JSON integers; older
// or outside producers may send strings. Both read as the same text.
func TestParticipationEventNumber(t *testing.T) {
	for _, raw := range []string{`{"participation_number": 7}`, `{"participation_number": "7"}`} {
		var p notify.ParticipationEvent
		if err := json.Unmarshal([]byte(raw), &p); err != nil || p.ParticipationNumber != "7" {
			t.Errorf("%s: %q, %v", raw, p.ParticipationNumber, err)
		}
	}
	var p notify.ParticipationEvent
	if err := json.Unmarshal([]byte(`{"participation_number": {}}`), &p); err == nil {
		t.Error("an object was read as a number")
	}
}

// TestEventsAppliedInlineAndThroughJobs: events normally become send jobs
// inside the dispatcher's transaction; an outbox job (left by an earlier
// version, or a fallback) still works through Handle, a redelivered event
// sends nothing twice, and an event that cannot be applied becomes a dead
// letter without holding up the others.
func TestEventsAppliedInlineAndThroughJobs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		now := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)
		start := now.Add(10 * 24 * time.Hour)
		clk := &clock{t: now}
		node := newStack(t, conn, clk, nil)
		ctx := db.WithTenant(context.Background(), tenantID)

		// An outbox job for ord_old, as the job-per-event dispatcher left it.
		oneByOne(t, conn, "oev_old", "ord_old", paidOrder("ord_old", start, "en"), now)
		emit(t, conn, "order.created", "ord_3", paidOrder("ord_3", start, "en"), now)
		emit(t, conn, "order.created", "ord_bad", map[string]any{"order_id": ""}, now)
		emit(t, conn, "order.created", "ord_4", paidOrder("ord_4", start, "en"), now)
		emit(t, conn, "order.created", "ord_old", paidOrder("ord_old", start, "en"), now) // redelivered

		// The dispatcher alone schedules the sends of ord_3, ord_4 and
		// ord_old, in one job for the batch; the old job waits in the job
		// layer, and ord_bad goes there when the batch's job reads it.
		if _, err := node.dispatch.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		count := func(kind string) int { return pendingJobs(t, conn, kind) }
		if n, many := count("notify.send"), count("notify.send-many"); n != 0 || many != 1 {
			t.Errorf("%d send and %d send-many jobs after dispatch, want 0 and 1", n, many)
		}
		if n := count("outbox:notify"); n != 1 {
			t.Errorf("%d outbox jobs after dispatch, want 1 (the old one)", n)
		}
		node.step(t)
		node.step(t)
		node.step(t)

		list, err := node.notify.ListMessages(ctx, notify.MessageFilter{}, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		subjects := map[string]int{}
		for _, m := range list.Body.Data {
			if m.Kind != notify.KindConfirmation {
				t.Errorf("message %+v", m)
			}
			subjects[m.SubjectID]++
		}
		if len(subjects) != 3 || subjects["ord_old"] != 1 || subjects["ord_3"] != 1 || subjects["ord_4"] != 1 {
			t.Fatalf("confirmations by order: %v", subjects)
		}
		dead, err := node.runner.ListDead(ctx, api.PageParams{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(dead.Body.Data) != 1 || dead.Body.Data[0].Kind != "outbox:notify" || !strings.Contains(dead.Body.Data[0].LastError, "bad order.created payload") {
			t.Fatalf("dead letters: %+v", dead.Body.Data)
		}
	})
}

// flakyMailer fails its first sends, then hands mail to next.
type flakyMailer struct {
	mu    sync.Mutex
	fails int
	next  notify.Mailer
}

func (f *flakyMailer) SendEmail(ctx context.Context, e notify.Email) error {
	f.mu.Lock()
	fail := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if fail {
		return io.ErrUnexpectedEOF
	}
	return f.next.SendEmail(ctx, e)
}

// flakyNode is a node on a fresh database whose mailer fails its first send
// and then delivers to the returned mailbox; its clock stands at a fixed
// moment.
func flakyNode(t *testing.T, d db.Dialect) (*db.DB, *mailbox, *clock, *stack) {
	t.Helper()
	conn := dbtest.Open(t, d)
	box := startMailbox(t)
	clk := &clock{t: time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)}
	return conn, box, clk, newStack(t, conn, clk, &flakyMailer{fails: 1, next: smtpMailer(t, box)})
}

// TestFailedSendRetriedOnce: a send that fails is recorded as failed,
// retried after the backoff on the same messages row, and sent once.
func TestFailedSendRetriedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, box, clk, node := flakyNode(t, d)
		now := clk.Now()
		ctx := db.WithTenant(context.Background(), tenantID)
		emit(t, conn, "order.created", "ord_5", paidOrder("ord_5", now.Add(240*time.Hour), "en"), now)
		node.step(t)
		list, err := node.notify.ListMessages(ctx, notify.MessageFilter{}, api.PageParams{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 1 || list.Body.Data[0].Status != notify.StatusFailed || box.total() != 0 {
			t.Fatalf("after a failed send: %+v, %d mails", list.Body.Data, box.total())
		}
		clk.Set(now.Add(time.Minute))
		node.step(t)
		list, err = node.notify.ListMessages(ctx, notify.MessageFilter{}, api.PageParams{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 1 || list.Body.Data[0].Status != notify.StatusSent || box.total() != 1 {
			t.Fatalf("after the retry: %+v, %d mails", list.Body.Data, box.total())
		}
	})
}

// TestConfirmationsShareOneJob: the confirmations of the orders one
// dispatcher pass reads are scheduled as one job. A send that fails is
// retried after the backoff without sending the others again, and the same
// order's event delivered again the one-by-one way (a replayed dead letter)
// sends nothing more.
func TestConfirmationsShareOneJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn, box, clk, node := flakyNode(t, d)
		now := clk.Now()
		ctx := db.WithTenant(context.Background(), tenantID)
		orders := []string{"ord_b1", "ord_b2", "ord_b3", "ord_b4", "ord_b5"}
		for _, o := range orders {
			emit(t, conn, "order.created", o, paidOrder(o, now.Add(240*time.Hour), "en"), now)
		}
		if _, err := node.dispatch.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if many, one := pendingJobs(t, conn, "notify.send-many"), pendingJobs(t, conn, "notify.send"); many != 1 || one != 0 {
			t.Fatalf("%d send-many and %d send jobs for five orders, want 1 and 0", many, one)
		}
		statuses := func() map[string]string {
			list, err := node.notify.ListMessages(ctx, notify.MessageFilter{}, api.PageParams{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, m := range list.Body.Data {
				if _, dup := out[m.SubjectID]; dup {
					t.Errorf("two messages for %s", m.SubjectID)
				}
				out[m.SubjectID] = m.Status
			}
			return out
		}
		node.step(t)
		st := statuses()
		failed := 0
		for _, o := range orders {
			if st[o] == notify.StatusFailed {
				failed++
			} else if st[o] != notify.StatusSent {
				t.Errorf("%s is %q after the first run", o, st[o])
			}
		}
		if failed != 1 || box.total() != 4 {
			t.Fatalf("after the first run: %v, %d mails", st, box.total())
		}

		clk.Set(now.Add(time.Minute))
		node.step(t)
		for _, o := range orders {
			if st := statuses(); st[o] != notify.StatusSent {
				t.Errorf("%s is %q after the retry", o, st[o])
			}
		}
		if box.total() != 5 {
			t.Fatalf("%d mails after the retry, want 5", box.total())
		}

		oneByOne(t, conn, "oev_replay", "ord_b2", paidOrder("ord_b2", now.Add(240*time.Hour), "en"), now)
		node.step(t)
		node.step(t)
		if box.total() != 5 || box.count("ord_b2") > 1 {
			t.Fatalf("a replayed event sent again: %d mails", box.total())
		}
	})
}

// TestConfirmationReadsTheEvent: order.created names its event by id only
// (the order domain keeps that payload small); the confirmation reads the
// event and shows its name, venue and start in its time zone, on the path
// of one order and on the path of a batch of them.
func TestConfirmationReadsTheEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		box := startMailbox(t)
		clk := &clock{t: time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)}
		node := newStack(t, conn, clk, smtpMailer(t, box))
		now := clk.Now()
		err := conn.Write(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'T', 'basic', ?)`, tenantID, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		created := func(orderID string) map[string]any {
			return map[string]any{"order_id": orderID, "event_id": "evt_mail", "status": "held", "total": 99000, "currency": "KRW", "locale": "ko",
				"buyer": map[string]any{"name": "김민지", "email": orderID + "@example.com"}}
		}
		emit(t, conn, "order.created", "ord_one", created("ord_one"), now)
		node.step(t)
		for _, o := range []string{"ord_b1", "ord_b2", "ord_b3"} {
			emit(t, conn, "order.created", o, created(o), now)
		}
		if _, err := node.dispatch.DispatchOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if many := pendingJobs(t, conn, "notify.send-many"); many != 1 {
			t.Fatalf("%d send-many jobs for three orders, want 1", many)
		}
		node.step(t)
		list, err := node.notify.ListMessages(db.WithTenant(context.Background(), tenantID), notify.MessageFilter{}, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 4 {
			t.Fatalf("%d messages for four orders: %+v", len(list.Body.Data), list.Body.Data)
		}
		for _, m := range list.Body.Data {
			if !strings.Contains(m.Subject, "가을 컨퍼런스") || !strings.Contains(m.Body, "COEX Hall B") || !strings.Contains(m.Body, "2026년 10월 15일 10:00 (KST)") {
				t.Errorf("%s: the confirmation does not show the event: %q / %q", m.SubjectID, m.Subject, m.Body)
			}
		}
	})
}

// fakeEvents is the event domain as notify sees it: evt_mail, a conference
// that starts at 10:00 in Seoul, and no other event.
type fakeEvents struct{}

func (fakeEvents) EventInfo(_ context.Context, id string) (notify.EventInfo, error) {
	if id != "evt_mail" {
		return notify.EventInfo{}, fault.New(fault.NotFound, "no such event")
	}
	start := time.Date(2026, 10, 15, 1, 0, 0, 0, time.UTC)
	return notify.EventInfo{ID: id, Name: "가을 컨퍼런스", StartsAt: start, EndsAt: start.Add(8 * time.Hour), Timezone: "Asia/Seoul", Venue: "COEX Hall B"}, nil
}
