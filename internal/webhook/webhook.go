// Package webhook sends a tenant's domain events to the HTTP endpoints its
// integrators register, signed per the Standard Webhooks specification
// (https://www.standardwebhooks.com: headers webhook-id, webhook-timestamp
// and webhook-signature, HMAC-SHA256 under a "whsec_" secret).
//
// The events come from the outbox: a consumer turns each event into one
// delivery row per subscribed endpoint, with a job that sends it, inside the
// dispatcher's write, so a delivery exists exactly when its event does. The
// job retries with the runner's backoff; every try is an attempt row, and the
// deliveries with their attempts are the log an organizer reads and from
// which a delivery can be sent again. An endpoint answering 410 Gone is
// switched off.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
)

// Kinds are the event kinds an endpoint may subscribe to. A subscription
// names kinds, or families ("order.*"); none means every kind.
var Kinds = []string{
	"order.created", "order.paid", "order.cancelled", "order.proof_uploaded",
	"order.verification_approved", "order.verification_rejected",
	"ticket.issued", "ticket.revoked",
	"event.published", "event.sales_closed", "event.finished", "event.cancelled",
	"participation.created", "participation.approved", "participation.rejected", "participation.result",
	"draw.winner", "checkin.recorded", "device.alert",
	"usage.budget_alert",
}

// KindPing is the kind of the test delivery sent by Ping; every endpoint
// receives it, whatever it subscribed to.
const KindPing = "webhook.ping"

// Delivery statuses.
const (
	StatusPending   = "pending"   // not tried yet
	StatusRetrying  = "retrying"  // tried and failed; the job tries again
	StatusSucceeded = "succeeded" // answered 2xx
	StatusFailed    = "failed"    // every attempt failed, the endpoint is gone, or the job gave up (see gaveUp)
	StatusCancelled = "cancelled" // the endpoint was switched off or deleted first
)

// MaxAttempts is how often a delivery is tried before it fails: with the job
// runner's backoff (10 s doubling up to 1 h, each delay picked in its upper
// half) the last try comes 1.7 to 3.4 hours after the first.
const MaxAttempts = 12

// rotationGrace is how long the secret replaced by RotateSecret still signs
// deliveries beside the new one, so receivers can switch without a gap.
const rotationGrace = 24 * time.Hour

// maxPrevious bounds the secrets rotated out that sign beside the current
// one: rotated more often within rotationGrace, the oldest stops first.
const maxPrevious = 3

// jobKind is the job that sends one delivery.
const jobKind = "webhook.deliver"

// idEndpoint and idDelivery prefix the ids of endpoints and deliveries.
const (
	idEndpoint = "whk"
	idDelivery = "whd"
)

// Endpoint is a registered receiver of webhooks.
type Endpoint struct {
	ID             string    `json:"id" db:"id"`
	URL            string    `json:"url" db:"url"`
	Description    string    `json:"description" db:"description"`
	Events         []string  `json:"events" db:"-" doc:"The event kinds sent; empty means every kind."`
	Active         bool      `json:"active" db:"active"`
	DisabledReason string    `json:"disabled_reason,omitempty" db:"disabled_reason" doc:"Why the server switched the endpoint off (it answered 410 Gone)."`
	CreatedAt      time.Time `json:"created_at" db:"created_at"`
	UpdatedAt      time.Time `json:"updated_at" db:"updated_at"`

	kinds string // stored JSON array of Events
}

// NewEndpoint is a just-created endpoint (or one whose secret was rotated)
// with its signing secret.
type NewEndpoint struct {
	Endpoint
	Secret string `json:"secret" doc:"The signing secret (whsec_…). It is shown only in this answer."`
}

// Delivery is one event sent (or to be sent) to one endpoint.
type Delivery struct {
	ID             string     `json:"id" db:"id" doc:"Also the webhook-id header: the same on every attempt, so receivers can drop repeats."`
	EndpointID     string     `json:"endpoint_id" db:"endpoint_id"`
	EventID        string     `json:"event_id" db:"event_id"`
	Kind           string     `json:"kind" db:"kind"`
	Status         string     `json:"status" db:"status" enum:"pending,retrying,succeeded,failed,cancelled"`
	Attempts       int        `json:"attempts" db:"attempts"`
	ResponseStatus *int       `json:"response_status,omitempty" db:"response_status" doc:"The HTTP status of the last attempt, when it got an answer."`
	LastError      string     `json:"last_error,omitempty" db:"last_error" doc:"The last attempt's error; for a delivery failed because its background job gave up after an internal error, why."`
	CreatedAt      time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at" db:"updated_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty" db:"delivered_at"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty" db:"-" doc:"When the next attempt is due, while one is (status pending or retrying): the time the background job that sends the delivery is scheduled for, and a worker sends it at or soon after it; a time already past means it is being sent or about to be. Absent when no attempt will follow: succeeded, cancelled, or failed (every attempt used, the endpoint answered 410 Gone, or the job gave up after an internal error). A receiver's Retry-After on a 429 or 503 answer puts it off, by at most an hour."`
	Body           string     `json:"body,omitempty" db:"body" doc:"The JSON body as sent (in the answer for one delivery)."`
	AttemptLog     []Attempt  `json:"attempt_log,omitempty" db:"-" doc:"Every try, oldest first (in the answer for one delivery)."`
}

// Attempt is one try at sending a delivery.
type Attempt struct {
	N              int       `json:"n" db:"n"`
	At             time.Time `json:"at" db:"at"`
	ResponseStatus *int      `json:"response_status,omitempty" db:"response_status"`
	Error          string    `json:"error,omitempty" db:"error"`
	ResponseBody   string    `json:"response_body,omitempty" db:"response_body" doc:"The start of the receiver's answer (at most 1 KiB)."`
	DurationMS     int       `json:"duration_ms" db:"duration_ms"`
}

// Config tunes the service.
type Config struct {
	// AllowPrivate lets endpoints live on loopback, private and link-local
	// addresses (development, tests, an installation inside one network).
	// Off, such addresses are refused when an endpoint is saved and again
	// when a delivery connects, whatever the host name resolved to.
	AllowPrivate bool
	// Timeout bounds one attempt, answer included (default 10 s).
	Timeout time.Duration
}

// Deps are what the service needs.
type Deps struct {
	DB         *db.DB
	Jobs       *job.Runner
	Dispatcher *outbox.Dispatcher
	Now        func() time.Time
	Logger     *slog.Logger
}

// Service manages endpoints and sends deliveries.
type Service struct {
	db     *db.DB
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	client *http.Client
}

// NewService returns the service, with its outbox consumer and delivery job
// registered.
func NewService(deps Deps, cfg Config) *Service {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = func() time.Time { return time.Now().UTC() }
	}
	s := &Service{db: deps.DB, cfg: cfg, now: deps.Now, log: deps.Logger}
	s.client = newClient(cfg)
	if deps.Jobs != nil {
		deps.Jobs.Handle(jobKind, s.deliver)
	}
	if deps.Dispatcher != nil {
		deps.Dispatcher.Register(outbox.Consumer{Name: "webhooks", ApplyBatch: s.fanOut, Apply: func(tx *db.Tx, e outbox.Event) error {
			return s.fanOut(tx, []outbox.Event{e})
		}})
	}
	return s
}

// Now is the service's clock reading: the time the pages compare a next
// attempt with.
func (s *Service) Now() time.Time { return s.now() }

// Input is what an integrator sends to create or change an endpoint; nil
// fields are left as they are on a change.
type Input struct {
	URL         *string   `json:"url,omitempty" maxLength:"2000" doc:"Where deliveries are POSTed (http or https)."`
	Description *string   `json:"description,omitempty" maxLength:"500"`
	Events      *[]string `json:"events,omitempty" maxItems:"50" doc:"Event kinds (order.paid) or families (order.*) to send; empty for every kind."`
	Active      *bool     `json:"active,omitempty" doc:"Switch deliveries off (false) or back on."`
}

// check validates in and returns the normalized URL and kinds.
func (s *Service) check(in Input, creating bool) (u string, kinds []string, err error) {
	var check fault.Check
	if in.URL != nil {
		u = strings.TrimSpace(*in.URL)
		if msg := s.checkURL(u); msg != "" {
			if strings.HasPrefix(msg, "!") {
				return "", nil, fault.New(fault.WebhookURLNotAllowed, "%s", msg[1:])
			}
			check.Add(true, "url", msg)
		}
	} else {
		check.Add(creating, "url", "is required")
	}
	if in.Events != nil {
		for _, k := range *in.Events {
			k = strings.TrimSpace(k)
			check.Add(!knownKind(k), "events", fmt.Sprintf("%q is not an event kind (see GET /v1/webhooks/event-types)", k))
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		slices.Sort(kinds)
	}
	return u, kinds, check.Err()
}

// knownKind reports whether k is a kind of Kinds or a family of them.
func knownKind(k string) bool {
	if family, ok := strings.CutSuffix(k, ".*"); ok {
		return slices.ContainsFunc(Kinds, func(x string) bool { return strings.HasPrefix(x, family+".") })
	}
	return slices.Contains(Kinds, k)
}

// wants reports whether an endpoint subscribed to kinds receives kind.
func wants(kinds []string, kind string) bool {
	if len(kinds) == 0 || kind == KindPing {
		return true
	}
	family, _, _ := strings.Cut(kind, ".")
	return slices.Contains(kinds, kind) || slices.Contains(kinds, family+".*")
}

// checkURL returns why u cannot be an endpoint ("" when it can); a reason
// starting with "!" is a refusal of the address rather than a malformed one.
func (s *Service) checkURL(u string) string {
	p, err := url.Parse(u)
	switch {
	case u == "":
		return "is required"
	case err != nil || !p.IsAbs() || p.Host == "" || p.Opaque != "":
		return "must be an absolute http or https URL"
	case p.Scheme != "http" && p.Scheme != "https":
		return "!webhook URLs must use http or https"
	case p.Hostname() == "":
		return "must name a host"
	case p.User != nil:
		return "must not carry a user name or password"
	case p.Fragment != "":
		return "must not have a #fragment"
	}
	if port := p.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "must have a port from 1 to 65535"
		}
	}
	if s.cfg.AllowPrivate {
		return ""
	}
	host := strings.ToLower(strings.TrimSuffix(p.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "!webhook URLs may not point at this machine"
	}
	if ip, err := netip.ParseAddr(host); err == nil && !public(ip) {
		return "!webhook URLs may not point at private, loopback or link-local addresses"
	}
	return ""
}

// public reports whether ip is an address the server may send webhooks to
// when private addresses are not allowed.
func public(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("") // a prefix never contains a zoned address
	if v4, ok := embeddedIPv4(ip); ok {
		return public(v4)
	}
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() &&
		!slices.ContainsFunc(notPublic, func(p netip.Prefix) bool { return p.Contains(ip) })
}

// notPublic are the ranges that netip does not already call private,
// loopback or link-local but that do not lead to the open Internet either.
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking, used inside networks
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("::/96"),          // IPv4-compatible (deprecated)
	netip.MustParsePrefix("64:ff9b:1::/48"), // NAT64 inside one network
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// embeddedIPv4 returns the IPv4 address that an IPv6 address of the NAT64
// (64:ff9b::/96) or 6to4 (2002::/16) ranges leads to: a gateway delivers
// the connection there, so that address is the one to judge.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// newSecret returns a signing secret in the Standard Webhooks form.
func newSecret() string {
	key := make([]byte, 24)
	rand.Read(key) // crypto/rand never fails on supported platforms
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// secretLabel binds a sealed secret to its endpoint.
func secretLabel(endpointID string) string { return "webhook:" + endpointID }

// Create registers an endpoint for the tenant of ctx.
func (s *Service) Create(ctx context.Context, in Input) (*NewEndpoint, error) {
	u, kinds, err := s.check(in, true)
	if err != nil {
		return nil, err
	}
	now := s.now()
	e := &NewEndpoint{Endpoint: Endpoint{ID: id.New(idEndpoint), URL: u, Events: nonNil(kinds), Active: true, CreatedAt: now, UpdatedAt: now}, Secret: newSecret()}
	if in.Description != nil {
		e.Description = strings.TrimSpace(*in.Description)
	}
	if in.Active != nil {
		e.Active = *in.Active
	}
	sealed, err := s.db.Seal([]byte(e.Secret), secretLabel(e.ID))
	if err != nil {
		return nil, err
	}
	kb, _ := json.Marshal(e.Events)
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO webhook_endpoints (tenant_id, id, url, description, kinds, active, disabled_reason, secret, created_at, updated_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, '', ?, ?, ?)`, e.ID, e.URL, e.Description, string(kb), e.Active, sealed, now, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, e.ID)
	return e, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const endpointColumns = `id, url, description, kinds, active, disabled_reason, created_at, updated_at`

type endpointRow struct {
	Endpoint
	Kinds string `db:"kinds"`
}

func (r endpointRow) endpoint() Endpoint {
	e := r.Endpoint
	e.Events = []string{}
	_ = json.Unmarshal([]byte(r.Kinds), &e.Events)
	return e
}

// Get returns one endpoint of the tenant of ctx.
func (s *Service) Get(ctx context.Context, endpointID string) (*Endpoint, error) {
	var e *Endpoint
	err := s.db.Read(ctx, func(tx *db.Tx) (err error) {
		e, err = getEndpoint(tx, endpointID)
		return err
	})
	return e, err
}

func getEndpoint(tx *db.Tx, endpointID string) (*Endpoint, error) {
	var r endpointRow
	err := tx.Get(&r, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = @tenant AND id = ? AND deleted_at IS NULL`, endpointID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no webhook endpoint %q", endpointID)
	}
	if err != nil {
		return nil, err
	}
	e := r.endpoint()
	return &e, nil
}

// List lists the tenant's endpoints, newest first.
func (s *Service) List(ctx context.Context, page api.PageParams) (*api.List[Endpoint], error) {
	q, args, err := page.Keyset(`SELECT `+endpointColumns+` FROM webhook_endpoints WHERE tenant_id = @tenant AND deleted_at IS NULL`, "id")
	if err != nil {
		return nil, err
	}
	var rows []endpointRow
	if err := s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&rows, q, args...) }); err != nil {
		return nil, err
	}
	out := make([]Endpoint, len(rows))
	for i, r := range rows {
		out[i] = r.endpoint()
	}
	return api.NewList(out, page.Limit, func(e Endpoint) string { return e.ID }), nil
}

// Update changes an endpoint. Switching it off cancels its deliveries that
// are waiting; switching it on clears the reason the server gave for
// switching it off.
func (s *Service) Update(ctx context.Context, endpointID string, in Input) (*Endpoint, error) {
	u, kinds, err := s.check(in, false)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var e *Endpoint
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if e, err = getEndpoint(tx, endpointID); err != nil {
			return err
		}
		if in.URL != nil {
			e.URL = u
		}
		if in.Description != nil {
			e.Description = strings.TrimSpace(*in.Description)
		}
		if in.Events != nil {
			e.Events = nonNil(kinds)
		}
		if in.Active != nil && *in.Active != e.Active {
			e.Active, e.DisabledReason = *in.Active, ""
			if !e.Active {
				if err := cancelWaiting(tx, e.ID, now); err != nil {
					return err
				}
			}
		}
		e.UpdatedAt = now
		kb, _ := json.Marshal(e.Events)
		return tx.ExecOne(`UPDATE webhook_endpoints SET url = ?, description = ?, kinds = ?, active = ?, disabled_reason = ?, updated_at = ?
			WHERE tenant_id = @tenant AND id = ?`, e.URL, e.Description, string(kb), e.Active, e.DisabledReason, now, e.ID)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// cancelWaiting cancels an endpoint's deliveries that have not succeeded or
// failed yet; their jobs find them cancelled and send nothing.
func cancelWaiting(tx *db.Tx, endpointID string, now time.Time) error {
	_, err := tx.Exec(`UPDATE webhook_deliveries SET status = 'cancelled', updated_at = ?
		WHERE tenant_id = @tenant AND endpoint_id = ? AND status IN ('pending', 'retrying')`, now, endpointID)
	return err
}

// Delete removes an endpoint: it receives nothing more, and its waiting
// deliveries are cancelled.
func (s *Service) Delete(ctx context.Context, endpointID string) error {
	now := s.now()
	return s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := getEndpoint(tx, endpointID); err != nil {
			return err
		}
		if err := cancelWaiting(tx, endpointID, now); err != nil {
			return err
		}
		return tx.ExecOne(`UPDATE webhook_endpoints SET deleted_at = ?, active = FALSE, updated_at = ? WHERE tenant_id = @tenant AND id = ?`, now, now, endpointID)
	})
}

// RotateSecret gives an endpoint a new secret. For a day, deliveries carry
// signatures under the new secret and under every secret rotated out in the
// last day (at most maxPrevious of them), so that a receiver that has not
// switched yet, even after rotations in quick succession, still verifies.
func (s *Service) RotateSecret(ctx context.Context, endpointID string) (*NewEndpoint, error) {
	secret := newSecret()
	sealed, err := s.db.Seal([]byte(secret), secretLabel(endpointID))
	if err != nil {
		return nil, err
	}
	now := s.now()
	var e *Endpoint
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if e, err = getEndpoint(tx, endpointID); err != nil {
			return err
		}
		lock := tx.ForUpdate() // two rotations at once must not lose a secret
		var cur struct {
			Secret         []byte     `db:"secret"`
			PreviousSecret []byte     `db:"previous_secret"`
			PreviousUntil  *time.Time `db:"previous_until"`
		}
		if err := tx.Get(&cur, `SELECT secret, previous_secret, previous_until FROM webhook_endpoints
			WHERE tenant_id = @tenant AND id = ?`+lock, endpointID); err != nil {
			return err
		}
		old, err := s.db.Open(cur.Secret, secretLabel(endpointID))
		if err != nil {
			return err
		}
		prev, err := s.previousSecrets(endpointID, cur.PreviousSecret, cur.PreviousUntil, now)
		if err != nil {
			return err
		}
		until := now.Add(rotationGrace)
		prev = append([]previousSecret{{Secret: string(old), Until: until}}, prev...)
		prev = prev[:min(len(prev), maxPrevious)]
		raw, err := json.Marshal(prev)
		if err != nil {
			return err
		}
		sealedPrev, err := s.db.Seal(raw, secretLabel(endpointID))
		if err != nil {
			return err
		}
		e.UpdatedAt = now
		return tx.ExecOne(`UPDATE webhook_endpoints SET previous_secret = ?, previous_until = ?, secret = ?, updated_at = ?
			WHERE tenant_id = @tenant AND id = ?`, sealedPrev, until, sealed, now, endpointID)
	})
	if err != nil {
		return nil, err
	}
	return &NewEndpoint{Endpoint: *e, Secret: secret}, nil
}

// previousSecret is a secret rotated out of an endpoint, which signs
// deliveries until Until.
type previousSecret struct {
	Secret string    `json:"secret"`
	Until  time.Time `json:"until"`
}

// previousSecrets returns the secrets rotated out of an endpoint that still
// sign at now, newest first. They are stored in previous_secret as one JSON
// list, sealed under the endpoint's label like its current secret (and by
// SealSecrets, when stored before the installation had a secrets key), with
// previous_until the latest end among them, so that a delivery long after
// the last rotation opens nothing. Earlier builds kept one secret there, as
// itself, ending at previous_until.
func (s *Service) previousSecrets(endpointID string, stored []byte, until *time.Time, now time.Time) ([]previousSecret, error) {
	if stored == nil || until == nil || !now.Before(*until) {
		return nil, nil
	}
	plain, err := s.db.Open(stored, secretLabel(endpointID))
	if err != nil {
		return nil, err
	}
	var list []previousSecret
	if strings.HasPrefix(string(plain), "whsec_") {
		list = []previousSecret{{Secret: string(plain), Until: *until}}
	} else if err := json.Unmarshal(plain, &list); err != nil {
		return nil, fmt.Errorf("webhook: endpoint %s previous secrets: %w", endpointID, err)
	}
	return slices.DeleteFunc(list, func(p previousSecret) bool { return !now.Before(p.Until) }), nil
}
