package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
)

// rig is a tenant with the webhook service on a real outbox dispatcher and
// job runner, a clock moved by hand, and a receiver that records what it
// gets and answers with the status the test sets.
type rig struct {
	t      *testing.T
	conn   *db.DB
	ctx    context.Context
	clock  atomic.Int64
	runner *job.Runner
	disp   *outbox.Dispatcher
	svc    *Service

	mu       sync.Mutex
	got      []*received
	status   atomic.Int32
	receiver *httptest.Server
}

type received struct {
	header http.Header
	body   []byte
}

func newRig(t *testing.T, d db.Dialect) *rig { return newRigOn(t, dbtest.Open(t, d)) }

// newRigOn is newRig on a database the test opened itself (with a secrets
// key, say).
func newRigOn(t *testing.T, conn *db.DB) *rig {
	r := &rig{t: t, conn: conn}
	// Near the real time: receivers check the signature's timestamp.
	r.clock.Store(time.Now().UTC().Truncate(time.Microsecond).UnixNano())
	now := func() time.Time { return time.Unix(0, r.clock.Load()).UTC() }
	tenant := id.New(id.Tenant)
	if err := r.conn.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'T', 'basic', ?)`, tenant, now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r.ctx = db.WithTenant(context.Background(), tenant)
	r.runner = job.NewRunner(r.conn, job.Config{Now: now})
	r.disp = outbox.NewDispatcher(r.conn, r.runner, outbox.DispatcherConfig{Now: now})
	r.svc = NewService(Deps{DB: r.conn, Jobs: r.runner, Dispatcher: r.disp, Now: now}, Config{AllowPrivate: true, Timeout: 5 * time.Second})
	r.status.Store(http.StatusOK)
	r.receiver = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, &received{header: req.Header.Clone(), body: b})
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
		io.WriteString(w, "thanks")
	}))
	t.Cleanup(r.receiver.Close)
	return r
}

func (r *rig) advance(d time.Duration) { r.clock.Add(int64(d)) }

// emit records a domain event of the rig's tenant.
func (r *rig) emit(kind, subject string, payload any) {
	r.t.Helper()
	err := r.conn.Write(r.ctx, func(tx *db.Tx) error {
		_, err := outbox.Emit(tx, kind, subject, payload, time.Unix(0, r.clock.Load()).UTC())
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// settle dispatches the outbox and runs the jobs that are due.
func (r *rig) settle() {
	r.t.Helper()
	if _, err := r.disp.DispatchOnce(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.runner.RunDue(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) received() []*received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*received(nil), r.got...)
}

func (r *rig) create(in Input) *NewEndpoint {
	r.t.Helper()
	e, err := r.svc.Create(r.ctx, in)
	if err != nil {
		r.t.Fatal(err)
	}
	return e
}

func (r *rig) deliveries(endpointID string) []Delivery {
	r.t.Helper()
	l, err := r.svc.Deliveries(r.ctx, endpointID, "", api.PageParams{Limit: 200})
	if err != nil {
		r.t.Fatal(err)
	}
	return l.Body.Data
}

func ptr[T any](v T) *T { return &v }

// Events reach the endpoints that asked for them, signed so that the
// Standard Webhooks reference library accepts them, once each, and the
// delivery log shows the attempt.
func TestDeliveriesAreSignedFilteredAndLogged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		r.emit("order.paid", "ord_before", map[string]any{"order_id": "ord_before"}) // before any endpoint
		r.advance(time.Second)
		orders := r.create(Input{URL: ptr(r.receiver.URL + "/orders"), Events: &[]string{"order.*"}})
		all := r.create(Input{URL: ptr(r.receiver.URL + "/all")})
		r.advance(time.Second)
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1", "total": 5000})
		r.emit("participation.created", "par_1", map[string]any{"participation_id": "par_1"})
		r.settle()
		r.settle() // a second pass sends nothing again

		got := r.received()
		if len(got) != 3 {
			t.Fatalf("received %d deliveries, want 3 (order.paid twice, participation.created once)", len(got))
		}
		byKind := map[string]int{}
		for _, g := range got {
			var b body
			if err := json.Unmarshal(g.body, &b); err != nil {
				t.Fatal(err)
			}
			byKind[b.Type]++
			if b.Type == "order.paid" && !strings.Contains(string(b.Data), `"ord_1"`) {
				t.Errorf("order.paid data = %s", b.Data)
			}
			if b.EventID == "" || b.Timestamp.IsZero() {
				t.Errorf("body without event id or timestamp: %s", g.body)
			}
			verified := 0
			for _, secret := range []string{orders.Secret, all.Secret} {
				wh, err := standardwebhooks.NewWebhook(secret)
				if err != nil {
					t.Fatal(err)
				}
				if wh.Verify(g.body, g.header) == nil {
					verified++
				}
			}
			if verified != 1 {
				t.Errorf("delivery %s verifies under %d of the two secrets, want exactly 1", g.header.Get("webhook-id"), verified)
			}
		}
		if byKind["order.paid"] != 2 || byKind["participation.created"] != 1 {
			t.Errorf("kinds received = %v", byKind)
		}
		// A changed body no longer verifies.
		for _, g := range got {
			if verifiesUnder(g, all.Secret) {
				wh, _ := standardwebhooks.NewWebhook(all.Secret)
				if wh.Verify(append(g.body, ' '), g.header) == nil {
					t.Error("a changed body still verifies")
				}
				break
			}
		}

		ds := r.deliveries(orders.ID)
		if len(ds) != 1 || ds[0].Status != StatusSucceeded || ds[0].Attempts != 1 || ds[0].DeliveredAt == nil {
			t.Fatalf("deliveries of the order endpoint = %+v", ds)
		}
		one, err := r.svc.Delivery(r.ctx, orders.ID, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(one.AttemptLog) != 1 || one.AttemptLog[0].ResponseStatus == nil || *one.AttemptLog[0].ResponseStatus != 200 || one.AttemptLog[0].ResponseBody != "thanks" {
			t.Errorf("attempt log = %+v", one.AttemptLog)
		}
		if !strings.Contains(one.Body, `"type":"order.paid"`) {
			t.Errorf("stored body = %s", one.Body)
		}
		if n := len(r.deliveries(all.ID)); n != 2 {
			t.Errorf("the catch-all endpoint has %d deliveries, want 2", n)
		}
	})
}

func verifiesUnder(g *received, secret string) bool {
	wh, _ := standardwebhooks.NewWebhook(secret)
	return wh.Verify(g.body, g.header) == nil
}

// A failing receiver is tried again with backoff until it answers; every
// attempt is logged, and the webhook-id stays the same.
func TestFailuresAreRetriedThenGivenUpAndRedelivered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL)})
		r.status.Store(http.StatusServiceUnavailable)
		r.emit("order.paid", "ord_1", map[string]any{"order_id": "ord_1"})
		r.settle()
		ds := r.deliveries(e.ID)
		if len(ds) != 1 || ds[0].Status != StatusRetrying || ds[0].Attempts != 1 || ds[0].ResponseStatus == nil || *ds[0].ResponseStatus != 503 {
			t.Fatalf("after one failure: %+v", ds)
		}
		r.settle() // not due yet: nothing is sent
		if n := len(r.received()); n != 1 {
			t.Fatalf("sent %d times before the backoff ran out, want 1", n)
		}
		for range MaxAttempts {
			r.advance(2 * time.Hour)
			r.settle()
		}
		ds = r.deliveries(e.ID)
		if ds[0].Status != StatusFailed || ds[0].Attempts != MaxAttempts {
			t.Fatalf("after the last attempt: status %s, attempts %d; want failed, %d", ds[0].Status, ds[0].Attempts, MaxAttempts)
		}
		got := r.received()
		if len(got) != MaxAttempts {
			t.Fatalf("received %d attempts, want %d", len(got), MaxAttempts)
		}
		for _, g := range got {
			if g.header.Get("webhook-id") != ds[0].ID {
				t.Fatalf("webhook-id %q, want the delivery id %q on every attempt", g.header.Get("webhook-id"), ds[0].ID)
			}
		}
		if _, err := r.svc.Redeliver(r.ctx, e.ID, "whd_nope"); !fault.Is(err, fault.NotFound) {
			t.Errorf("redeliver of an unknown delivery: %v", err)
		}
		r.status.Store(http.StatusNoContent)
		if _, err := r.svc.Redeliver(r.ctx, e.ID, ds[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Redeliver(r.ctx, e.ID, ds[0].ID); !fault.Is(err, fault.Conflict) {
			t.Errorf("redeliver while waiting: %v, want conflict", err)
		}
		r.settle()
		one, err := r.svc.Delivery(r.ctx, e.ID, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if one.Status != StatusSucceeded || one.Attempts != MaxAttempts+1 || len(one.AttemptLog) != MaxAttempts+1 {
			t.Errorf("after redelivery: status %s, attempts %d, log %d", one.Status, one.Attempts, len(one.AttemptLog))
		}
		if last := r.received(); last[len(last)-1].header.Get("webhook-id") != ds[0].ID {
			t.Error("a redelivery has a new webhook-id")
		}
	})
}

// 410 Gone switches the endpoint off; switching an endpoint off (or
// deleting it) cancels what waits for it, and nothing more is sent.
func TestGoneAndSwitchedOffEndpointsGetNothingMore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		gone := r.create(Input{URL: ptr(r.receiver.URL + "/gone")})
		r.status.Store(http.StatusGone)
		r.emit("order.paid", "ord_1", nil)
		r.settle()
		e, err := r.svc.Get(r.ctx, gone.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Active || e.DisabledReason == "" {
			t.Fatalf("after 410: active %v, reason %q", e.Active, e.DisabledReason)
		}
		r.emit("order.paid", "ord_2", nil)
		r.settle()
		if n := len(r.received()); n != 1 {
			t.Fatalf("an endpoint that answered 410 got %d deliveries, want 1", n)
		}
		if _, err := r.svc.Ping(r.ctx, gone.ID); !fault.Is(err, fault.Conflict) {
			t.Errorf("ping of a switched-off endpoint: %v, want conflict", err)
		}

		// Failing, then switched off before the retry: the retry sends nothing.
		r.status.Store(http.StatusInternalServerError)
		off := r.create(Input{URL: ptr(r.receiver.URL + "/off")})
		r.emit("order.paid", "ord_3", nil)
		r.settle()
		if _, err := r.svc.Update(r.ctx, off.ID, Input{Active: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		before := len(r.received())
		r.advance(2 * time.Hour)
		r.settle()
		if n := len(r.received()); n != before {
			t.Errorf("a switched-off endpoint got %d more deliveries", n-before)
		}
		if ds := r.deliveries(off.ID); len(ds) != 1 || ds[0].Status != StatusCancelled {
			t.Errorf("deliveries of the switched-off endpoint = %+v", ds)
		}

		// Deleted: gone from the list and from every call.
		if err := r.svc.Delete(r.ctx, off.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Get(r.ctx, off.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("get after delete: %v", err)
		}
		l, err := r.svc.List(r.ctx, api.PageParams{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Body.Data) != 1 || l.Body.Data[0].ID != gone.ID {
			t.Errorf("list after delete = %+v", l.Body.Data)
		}
	})
}

// After a rotation both secrets verify deliveries for a day, then only the
// new one; a ping reaches an endpoint whatever it subscribed to.
func TestRotationAndPing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		e := r.create(Input{URL: ptr(r.receiver.URL), Events: &[]string{"draw.winner"}})
		rotated, err := r.svc.RotateSecret(r.ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rotated.Secret == e.Secret {
			t.Fatal("rotation kept the secret")
		}
		if _, err := r.svc.Ping(r.ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		r.settle()
		got := r.received()
		if len(got) != 1 || !verifiesUnder(got[0], e.Secret) || !verifiesUnder(got[0], rotated.Secret) {
			t.Fatalf("ping after rotation: %d received, or not signed under both secrets", len(got))
		}
		var b body
		if err := json.Unmarshal(got[0].body, &b); err != nil || b.Type != KindPing {
			t.Fatalf("ping body %s (%v)", got[0].body, err)
		}

		r.advance(rotationGrace + time.Minute)
		r.clock.Store(time.Now().UTC().UnixNano()) // back near real time for the timestamp check...
		r.advance(rotationGrace + time.Minute)     // ...but past the grace period for the service
		if _, err := r.svc.Ping(r.ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		r.settle()
		got = r.received()
		last := got[len(got)-1]
		if strings.Count(last.header.Get("webhook-signature"), "v1,") != 1 {
			t.Errorf("after the grace period: signature header %q, want one signature", last.header.Get("webhook-signature"))
		}
		wh, _ := standardwebhooks.NewWebhook(rotated.Secret)
		if err := wh.VerifyIgnoringTimestamp(last.body, last.header); err != nil {
			t.Errorf("the new secret does not verify: %v", err)
		}
	})
}

// Endpoint input is checked: URLs, event kinds, and which addresses the
// server may call.
func TestEndpointInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r := newRig(t, d)
		strict := NewService(Deps{DB: r.conn, Now: time.Now}, Config{})
		for _, c := range []struct {
			svc  *Service
			in   Input
			code fault.Code
		}{
			{r.svc, Input{}, fault.Validation},
			{r.svc, Input{URL: ptr("not a url")}, fault.Validation},
			{r.svc, Input{URL: ptr("https://user:pw@example.com/")}, fault.Validation},
			{r.svc, Input{URL: ptr("ftp://example.com/")}, fault.WebhookURLNotAllowed},
			{r.svc, Input{URL: ptr("https://example.com/"), Events: &[]string{"order.paid", "order.shipped"}}, fault.Validation},
			{r.svc, Input{URL: ptr("https://example.com/"), Events: &[]string{"nothing.*"}}, fault.Validation},
			{strict, Input{URL: ptr("http://127.0.0.1:9000/")}, fault.WebhookURLNotAllowed},
			{strict, Input{URL: ptr("http://10.1.2.3/")}, fault.WebhookURLNotAllowed},
			{strict, Input{URL: ptr("http://[::1]/")}, fault.WebhookURLNotAllowed},
			{strict, Input{URL: ptr("http://169.254.169.254/latest/meta-data")}, fault.WebhookURLNotAllowed},
			{strict, Input{URL: ptr("http://localhost:8080/")}, fault.WebhookURLNotAllowed},
		} {
			_, err := c.svc.Create(r.ctx, c.in)
			if !fault.Is(err, c.code) {
				t.Errorf("create %+v: %v, want %s", c.in, err, c.code)
			}
		}
		e, err := strict.Create(r.ctx, Input{URL: ptr(" https://hooks.example.com/usher "), Events: &[]string{"order.*", "draw.winner", "order.*"}})
		if err != nil {
			t.Fatal(err)
		}
		if e.URL != "https://hooks.example.com/usher" || strings.Join(e.Events, ",") != "draw.winner,order.*" || !strings.HasPrefix(e.Secret, "whsec_") {
			t.Errorf("created %+v", e)
		}
		if l, _ := r.svc.List(r.ctx, api.PageParams{Limit: 50}); len(l.Body.Data) != 1 {
			t.Errorf("refused inputs created endpoints: %d listed", len(l.Body.Data))
		}
	})
}

// Without AllowPrivate the client refuses to connect to a private address
// even when the URL passed the check (a host name that resolves inside).
func TestClientRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	_, err := newClient(Config{Timeout: 2 * time.Second}).Post(srv.URL, "application/json", nil)
	var refused *refusedAddr
	if !errors.As(err, &refused) {
		t.Fatalf("posting to %s: %v, want a refusal", srv.URL, err)
	}
	resp, err := newClient(Config{Timeout: 2 * time.Second, AllowPrivate: true}).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
