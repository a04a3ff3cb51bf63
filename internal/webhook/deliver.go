package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/meter"
	"github.com/usher-events/usher/internal/outbox"
)

// body is what a delivery POSTs: the Standard Webhooks payload shape.
type body struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	EventID   string          `json:"event_id"`
	Data      json.RawMessage `json:"data"`
}

// subscriber is an endpoint as the fan-out reads it.
type subscriber struct {
	ID        string    `db:"id"`
	Kinds     string    `db:"kinds"`
	CreatedAt time.Time `db:"created_at"`
	kinds     []string
}

// fanOut makes a delivery, and the job that sends it, for every active
// endpoint of the events' tenant that wants each event and existed when it
// happened. It runs in the outbox dispatcher's write (or a retry job's).
func (s *Service) fanOut(tx *db.Tx, events []outbox.Event) error {
	if tx.Tenant() == "" {
		return nil // platform events have no endpoints
	}
	var subs []subscriber
	if err := tx.Select(&subs, `SELECT id, kinds, created_at FROM webhook_endpoints
		WHERE tenant_id = @tenant AND active AND deleted_at IS NULL ORDER BY id`); err != nil {
		return err
	}
	if len(subs) == 0 {
		return nil
	}
	for i := range subs {
		if err := json.Unmarshal([]byte(subs[i].Kinds), &subs[i].kinds); err != nil {
			return fmt.Errorf("webhook: endpoint %s kinds: %w", subs[i].ID, err)
		}
	}
	now := s.now()
	for _, e := range events {
		for _, sub := range subs {
			if !wants(sub.kinds, e.Kind) || e.CreatedAt.Before(sub.CreatedAt) {
				continue
			}
			raw, err := json.Marshal(body{Type: e.Kind, Timestamp: e.CreatedAt, EventID: e.ID, Data: e.Payload})
			if err != nil {
				return err
			}
			if err := enqueue(tx, id.New(idDelivery), sub.ID, e.ID, e.Kind, raw, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// enqueue records a delivery and its job; a delivery of the same event to
// the same endpoint that already exists is left alone.
func enqueue(tx *db.Tx, deliveryID, endpointID, eventID, kind string, raw []byte, now time.Time) error {
	res, err := tx.Exec(`INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, kind, body, status, attempts, last_error, created_at, updated_at)
		VALUES (@tenant, ?, ?, ?, ?, ?, 'pending', 0, '', ?, ?) ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
		deliveryID, endpointID, eventID, kind, string(raw), now, now)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return sendJob(tx, deliveryID)
}

// sendJob enqueues the job that sends a new delivery. The job is named by
// the delivery (jobKey), so the log can tell when it runs next and a
// redelivery queues the same job again instead of adding a second one.
func sendJob(tx *db.Tx, deliveryID string) error {
	_, _, err := job.Enqueue(tx, jobKind, jobPayload{DeliveryID: deliveryID}, job.Opts{MaxAttempts: MaxAttempts, DedupeKey: jobKey(deliveryID)})
	return err
}

// jobKey is the dedupe key of the job that sends a delivery. Deliveries
// recorded before jobs had one are sent by jobs without a key: such a
// delivery shows no next attempt, and its redelivery makes the keyed job.
func jobKey(deliveryID string) string { return jobKind + "/" + deliveryID }

// waiting reports whether a delivery of the status waits for an attempt.
func waiting(status string) bool { return status == StatusPending || status == StatusRetrying }

// A delivery's row says pending or retrying until an attempt finishes it,
// but its job can die without one: an internal failure (the database, a
// secret that does not open, a panic) on the last attempt, or the node that
// ran it stopping then. The job layer keeps the job as a dead letter, which
// an admin may replay (/v1/admin/dead-jobs). Rather than a hook in the job
// layer that would have to write the delivery in the runner's own
// transactions (and replay it back), the delivery is read through its job:
// while the job is dead the delivery is failed, with the job's last error as
// its own, and can be redelivered; once the job is replayed it waits again,
// with the replay's next attempt. The row and the job so never disagree, and
// nothing has to be repaired afterwards. Only jobs named by jobKey are found:
// a delivery sent by a job from before jobs had keys is read from its row.

// gaveUp is the SQL condition that a delivery waiting in its row (the query
// of webhook_deliveries checks the status) has a dead job.
var gaveUp = job.DeadSQL(`'` + jobKind + `/' || webhook_deliveries.id`)

// statusSQL is the condition of the deliveries that read as status.
func statusSQL(status string) (string, []any) {
	switch status {
	case StatusFailed:
		return `(status = 'failed' OR (status IN ('pending', 'retrying') AND ` + gaveUp + `))`, nil
	case StatusPending, StatusRetrying:
		return `status = ? AND NOT ` + gaveUp, []any{status}
	}
	return `status = ?`, []any{status}
}

// deadReason is a delivery's last error once its job died.
func deadReason(jobError string) string {
	return "gave up after an internal error: " + jobError
}

// schedule reads the deliveries that wait for an attempt through their
// jobs: NextAttemptAt from the job layer's schedule, or failed when the job
// died.
func schedule(tx *db.Tx, ds []Delivery) error {
	var keys []string
	for _, d := range ds {
		if waiting(d.Status) {
			keys = append(keys, jobKey(d.ID))
		}
	}
	jobs, err := job.Lookup(tx, keys)
	if err != nil {
		return err
	}
	for i := range ds {
		j, ok := jobs[jobKey(ds[i].ID)]
		if !waiting(ds[i].Status) || !ok {
			continue
		}
		if j.Dead {
			ds[i].Status, ds[i].LastError = StatusFailed, deadReason(j.LastError)
			continue
		}
		at := j.RunAt
		// A job due at once (a new delivery, a redelivery) has been due
		// since the delivery was queued.
		if at.Before(ds[i].UpdatedAt) {
			at = ds[i].UpdatedAt
		}
		ds[i].NextAttemptAt = &at
	}
	return nil
}

type jobPayload struct {
	DeliveryID string `json:"delivery_id"`
}

// target is what one attempt needs to know about a delivery and its
// endpoint.
type target struct {
	ID             string     `db:"id"`
	EndpointID     string     `db:"endpoint_id"`
	Body           string     `db:"body"`
	Status         string     `db:"status"`
	URL            string     `db:"url"`
	Active         bool       `db:"active"`
	Secret         []byte     `db:"secret"`
	PreviousSecret []byte     `db:"previous_secret"`
	PreviousUntil  *time.Time `db:"previous_until"`
}

// maxResponseBody is how much of a receiver's answer an attempt keeps.
const maxResponseBody = 1024

// deliver is the job that sends one delivery. A receiver's failure is
// logged and, while attempts are left, its retry scheduled in one commit
// (job.Job.Retry); an error returned is an internal one, which the runner
// retries with its backoff, and which after the last attempt leaves the job
// dead and the delivery failed (see gaveUp).
func (s *Service) deliver(ctx context.Context, j *job.Job) error {
	var p jobPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Permanent(fmt.Errorf("webhook: payload: %w", err))
	}
	var t target
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&t, `SELECT d.id, d.endpoint_id, d.body, d.status, e.url, e.active AND e.deleted_at IS NULL AS active,
				e.secret, e.previous_secret, e.previous_until
			FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.tenant_id = d.tenant_id
			WHERE d.tenant_id = @tenant AND d.id = ?`, p.DeliveryID)
	})
	if fault.Is(err, fault.NotFound) {
		return job.Permanent(fmt.Errorf("webhook: no delivery %s", p.DeliveryID))
	}
	if err != nil {
		return err
	}
	if t.Status != StatusPending && t.Status != StatusRetrying {
		return nil // sent, given up or cancelled meanwhile
	}
	if !t.Active {
		return s.db.Write(ctx, func(tx *db.Tx) error {
			if _, err := tx.Exec(`UPDATE webhook_deliveries SET status = 'cancelled', updated_at = ? WHERE tenant_id = @tenant AND id = ? AND status IN ('pending', 'retrying')`, s.now(), t.ID); err != nil {
				return err
			}
			return j.Done(tx)
		})
	}
	sig, err := s.sign(t, s.now())
	if err != nil {
		return err
	}
	start := time.Now()
	code, answer, wait, sendErr := s.send(ctx, t, sig)
	a := Attempt{At: s.now(), Error: errText(sendErr), ResponseBody: answer, DurationMS: int(time.Since(start).Milliseconds())}
	if code != 0 {
		a.ResponseStatus = &code
	}
	status := StatusSucceeded
	var notBefore time.Time
	switch {
	case sendErr == nil && code >= 200 && code < 300:
	case code == http.StatusGone:
		status = StatusFailed
	default:
		if sendErr == nil {
			a.Error = fmt.Sprintf("the endpoint answered %d", code)
			if d := retryAfter(code, wait, a.At); d > 0 {
				notBefore = a.At.Add(d)
				a.Error += fmt.Sprintf(" with Retry-After: waiting at least %s", d)
			}
		}
		status = StatusRetrying
		if j.Attempts >= j.MaxAttempts {
			status = StatusFailed
		}
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		var n []int
		if err := tx.Select(&n, `UPDATE webhook_deliveries SET attempts = attempts + 1, response_status = ?, last_error = ?, updated_at = ?,
				status = CASE WHEN status IN ('pending', 'retrying') THEN ? ELSE status END,
				delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END
			WHERE tenant_id = @tenant AND id = ? RETURNING attempts`,
			a.ResponseStatus, a.Error, a.At, status, status == StatusSucceeded, a.At, t.ID); err != nil {
			return err
		}
		if len(n) == 0 {
			return fault.New(fault.NotFound, "no delivery %s", t.ID)
		}
		if _, err := tx.Exec(`INSERT INTO webhook_attempts (tenant_id, delivery_id, n, at, response_status, error, response_body, duration_ms)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?)`, t.ID, n[0], a.At, a.ResponseStatus, a.Error, a.ResponseBody, a.DurationMS); err != nil {
			return err
		}
		if status == StatusSucceeded {
			// Redeliveries and pings are deliveries too, and count.
			if err := meter.Add(tx, a.At, meter.WebhookDeliveries, 1); err != nil {
				return err
			}
		}
		if code == http.StatusGone {
			// The receiver says it is gone for good: stop sending to it.
			if err := tx.ExecOne(`UPDATE webhook_endpoints SET active = FALSE, disabled_reason = ?, updated_at = ? WHERE tenant_id = @tenant AND id = ?`,
				"the endpoint answered 410 Gone", a.At, t.EndpointID); err != nil {
				return err
			}
			if err := cancelWaiting(tx, t.EndpointID, a.At); err != nil {
				return err
			}
		}
		if status == StatusRetrying {
			// The retry is scheduled in the commit that logs the attempt,
			// at the backoff or when the receiver asked, so the delivery's
			// next_attempt_at is the job's time from the moment it shows.
			_, err := j.Retry(tx, notBefore, a.Error)
			return err
		}
		// Finished: the job is done in the same commit, so that a delivery
		// the log shows finished can be sent again at once (Redeliver
		// queues its job again only once the job is not running).
		return j.Done(tx)
	})
}

// maxRetryAfter bounds how long a receiver's Retry-After may hold a
// delivery's next attempt back: longer, and a handful of answers would
// spend every attempt over days.
const maxRetryAfter = time.Hour

// retryAfter returns how long a receiver that answered 429 Too Many
// Requests or 503 Service Unavailable asked to be left alone, from its
// Retry-After header (seconds, or an HTTP date, RFC 9110 §10.2.3), at most
// maxRetryAfter; zero when it did not ask, asked for a time past, or said
// something else. Other answers' Retry-After is not for retries of a
// request and is ignored.
func retryAfter(code int, header string, now time.Time) time.Duration {
	if code != http.StatusTooManyRequests && code != http.StatusServiceUnavailable {
		return 0
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return 0
	}
	var d time.Duration
	if strings.Trim(header, "0123456789") == "" {
		secs, err := strconv.ParseInt(header, 10, 64)
		if err != nil || secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter // more digits than int64 holds is a long wait too
		}
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(header); err == nil {
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// sign returns the webhook-signature header: the signature under the
// endpoint's secret, then one under each secret rotated out whose grace
// period still runs, space separated as Standard Webhooks has it.
func (s *Service) sign(t target, now time.Time) (sig signed, err error) {
	sig.id, sig.at = t.ID, now
	current, err := s.db.Open(t.Secret, secretLabel(t.EndpointID))
	if err != nil {
		return sig, err
	}
	prev, err := s.previousSecrets(t.EndpointID, t.PreviousSecret, t.PreviousUntil, now)
	if err != nil {
		return sig, err
	}
	secrets := []string{string(current)}
	for _, p := range prev {
		secrets = append(secrets, p.Secret)
	}
	for _, secret := range secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return sig, fmt.Errorf("webhook: endpoint %s secret: %w", t.EndpointID, err)
		}
		v, err := wh.Sign(t.ID, now, []byte(t.Body))
		if err != nil {
			return sig, err
		}
		if sig.header != "" {
			sig.header += " "
		}
		sig.header += v
	}
	return sig, nil
}

type signed struct {
	id, header string
	at         time.Time
}

// send POSTs the delivery and returns the answer's status (0 when there was
// none), the start of its body and its Retry-After header.
func (s *Service) send(ctx context.Context, t target, sig signed) (int, string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader([]byte(t.Body)))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Usher-Webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, sig.id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(sig.at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig.header)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	for !utf8.Valid(b) && len(b) > 0 {
		b = b[:len(b)-1] // cut inside a character, or not text at all
	}
	// The database takes no text with NUL, and the attempt must be
	// recorded whatever the receiver answered.
	return resp.StatusCode, strings.ReplaceAll(string(b), "\x00", "\uFFFD"), resp.Header.Get("Retry-After"), nil
}

// errText is an attempt's error as the log shows it.
func errText(err error) string {
	if err == nil {
		return ""
	}
	var refused *refusedAddr
	if errors.As(err, &refused) {
		return refused.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within the time limit"
	}
	return err.Error()
}

// refusedAddr is a connection the server would not open.
type refusedAddr struct{ addr string }

func (r *refusedAddr) Error() string {
	return "refused to connect to " + r.addr + ": private, loopback and link-local addresses are not allowed"
}

// newClient returns the client deliveries are sent with: it follows no
// redirects (a 3xx is a failed attempt) and, unless private addresses are
// allowed, connects only to public addresses, checked after the host name
// was resolved so that a name pointing inside cannot be used to reach in.
func newClient(cfg Config) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !public(ap.Addr()) {
				return &refusedAddr{address}
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: cfg.Timeout,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Ping sends a test delivery (kind webhook.ping) to an endpoint.
func (s *Service) Ping(ctx context.Context, endpointID string) (*Delivery, error) {
	now := s.now()
	deliveryID := id.New(idDelivery)
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		e, err := getEndpoint(tx, endpointID)
		if err != nil {
			return err
		}
		if !e.Active {
			return fault.New(fault.Conflict, "the endpoint is switched off; switch it on first")
		}
		data, _ := json.Marshal(map[string]string{"endpoint_id": e.ID})
		eventID := id.New("png")
		raw, _ := json.Marshal(body{Type: KindPing, Timestamp: now, EventID: eventID, Data: data})
		return enqueue(tx, deliveryID, e.ID, eventID, KindPing, raw, now)
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, deliveryID)
	return s.Delivery(ctx, endpointID, deliveryID)
}

// Redeliver sends a delivery again (same webhook-id, same body, a new
// series of attempts), once it has succeeded, failed (its job's death
// included) or been cancelled.
func (s *Service) Redeliver(ctx context.Context, endpointID, deliveryID string) (*Delivery, error) {
	now := s.now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		e, err := getEndpoint(tx, endpointID)
		if err != nil {
			return err
		}
		if !e.Active {
			return fault.New(fault.Conflict, "the endpoint is switched off; switch it on first")
		}
		var status string
		if err := tx.Get(&status, `SELECT status FROM webhook_deliveries WHERE tenant_id = @tenant AND endpoint_id = ? AND id = ?`, endpointID, deliveryID); err != nil {
			if fault.Is(err, fault.NotFound) {
				return fault.New(fault.NotFound, "no delivery %q for this endpoint", deliveryID)
			}
			return err
		}
		if waiting(status) {
			// Waiting in its row, it may have a dead job (see gaveUp).
			dead, err := job.Dead(tx, []string{jobKey(deliveryID)})
			if err != nil {
				return err
			}
			if _, ok := dead[jobKey(deliveryID)]; !ok {
				return fault.New(fault.Conflict, "the delivery is still being sent")
			}
		}
		if err := tx.ExecOne(`UPDATE webhook_deliveries SET status = 'pending', updated_at = ? WHERE tenant_id = @tenant AND id = ?`, now, deliveryID); err != nil {
			return err
		}
		// The delivery's job is queued again, not joined by a second one: a
		// job still waiting from before the delivery was cancelled would
		// otherwise send it alongside, with attempts of its own.
		queued, err := job.Rearm(tx, jobKind, jobPayload{DeliveryID: deliveryID}, job.Opts{MaxAttempts: MaxAttempts, DedupeKey: jobKey(deliveryID)}, now)
		if err != nil {
			return err
		}
		if !queued {
			return fault.New(fault.Conflict, "the delivery is still being sent")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, deliveryID)
	return s.Delivery(ctx, endpointID, deliveryID)
}

const deliveryColumns = `id, endpoint_id, event_id, kind, status, attempts, response_status, last_error, created_at, updated_at, delivered_at`

// Deliveries lists an endpoint's deliveries, newest first, optionally of
// one status; bodies and attempts are in Delivery.
func (s *Service) Deliveries(ctx context.Context, endpointID, status string, page api.PageParams) (*api.List[Delivery], error) {
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE tenant_id = @tenant AND endpoint_id = ?`
	args := []any{endpointID}
	if status != "" {
		cond, more := statusSQL(status)
		q += ` AND ` + cond
		args = append(args, more...)
	}
	q, args, err := page.Keyset(q, "id", args...)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := getEndpoint(tx, endpointID); err != nil {
			return err
		}
		if err := tx.Select(&out, q, args...); err != nil {
			return err
		}
		return schedule(tx, out)
	})
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(d Delivery) string { return d.ID }), nil
}

// Delivery returns one delivery with its body and every attempt.
func (s *Service) Delivery(ctx context.Context, endpointID, deliveryID string) (*Delivery, error) {
	var d Delivery
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := getEndpoint(tx, endpointID); err != nil {
			return err
		}
		if err := tx.Get(&d, `SELECT `+deliveryColumns+`, body FROM webhook_deliveries WHERE tenant_id = @tenant AND endpoint_id = ? AND id = ?`, endpointID, deliveryID); err != nil {
			if fault.Is(err, fault.NotFound) {
				return fault.New(fault.NotFound, "no delivery %q for this endpoint", deliveryID)
			}
			return err
		}
		if err := tx.Select(&d.AttemptLog, `SELECT n, at, response_status, error, response_body, duration_ms FROM webhook_attempts
			WHERE tenant_id = @tenant AND delivery_id = ? ORDER BY n`, deliveryID); err != nil {
			return err
		}
		one := []Delivery{d}
		if err := schedule(tx, one); err != nil {
			return err
		}
		d = one[0]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if d.AttemptLog == nil {
		d.AttemptLog = []Attempt{}
	}
	return &d, nil
}

// SealSecrets seals the endpoint secrets stored before the installation had
// a secrets key (a no-op without one). It runs at start-up.
func (s *Service) SealSecrets(ctx context.Context) (int, error) {
	if !s.db.Sealing() {
		return 0, nil
	}
	n := 0
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		tx = tx.Global()
		var rows []struct {
			ID             string `db:"id"`
			Secret         []byte `db:"secret"`
			PreviousSecret []byte `db:"previous_secret"`
		}
		if err := tx.Select(&rows, `SELECT id, secret, previous_secret FROM webhook_endpoints ORDER BY id`); err != nil {
			return err
		}
		for _, r := range rows {
			for col, v := range map[string][]byte{"secret": r.Secret, "previous_secret": r.PreviousSecret} {
				if v == nil || db.IsSealed(v) {
					continue
				}
				sealed, err := s.db.Seal(v, secretLabel(r.ID))
				if err != nil {
					return err
				}
				if _, err := tx.Exec(`UPDATE webhook_endpoints SET `+col+` = ? WHERE id = ?`, sealed, r.ID); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}
