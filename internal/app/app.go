// Package app wires Usher together: it opens the database and Redis, builds
// every domain service, lists every route (routes.go) and serves them.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/audit"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/gate"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/meter"
	"github.com/usher-events/usher/internal/notify"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/outbox"
	"github.com/usher-events/usher/internal/privacy"
	"github.com/usher-events/usher/internal/rank"
	"github.com/usher-events/usher/internal/ratelimit"
	"github.com/usher-events/usher/internal/report"
	"github.com/usher-events/usher/internal/seat"
	"github.com/usher-events/usher/internal/tenant"
	"github.com/usher-events/usher/internal/ticket"
	"github.com/usher-events/usher/internal/waitroom"
	"github.com/usher-events/usher/internal/wallet"
	"github.com/usher-events/usher/internal/web"
	"github.com/usher-events/usher/internal/webhook"
)

// Config is the whole configuration of a server, filled from flags and
// USHER_* environment variables by the command line.
type Config struct {
	// Addr is the listen address.
	Addr string
	// DataDir holds the SQLite file and local keys.
	DataDir string
	// DatabaseURL is a postgres:// URL; empty means the embedded SQLite.
	DatabaseURL string
	// SecretsKey (32 bytes), when set, seals the installation's secrets in
	// the database.
	SecretsKey []byte
	// RedisURL is a redis:// URL for state shared across nodes; optional.
	RedisURL string
	// PublicURL is the address people reach the server at (https://tickets.example.com),
	// for links in messages and QR codes; default http://<Addr>.
	PublicURL string
	// TrustProxy takes client addresses from X-Forwarded-For.
	TrustProxy bool
	// SecureCookies marks page cookies Secure (set it behind HTTPS).
	SecureCookies bool
	// Version is the build's version.
	Version string
	// FontPath is NanumGothic.ttf for PDF tickets; empty searches the usual
	// places (Debian's fonts-nanum).
	FontPath string
	// SMTPURL is smtp://user:pass@host:587 (or smtps://…) for email;
	// empty keeps messages in the development outbox.
	SMTPURL string
	// MailFrom is the sender of email, "Name <address>" or an address.
	MailFrom string
	// SMSURL is the HTTP endpoint of an SMS / AlimTalk gateway (see
	// notify.HTTPSMS); empty keeps text messages in the development outbox.
	SMSURL string
	// SMSAPIKey is sent to the SMS gateway in its X-API-Key header.
	SMSAPIKey string
	// ParticipationLimit caps public campaign participations per client
	// address; zero keeps the campaign service's default. Rehearsals from
	// one address (usher bench participation) raise it for their own
	// in-process server only.
	ParticipationLimit ratelimit.Limit
	// WebhookAllowPrivate lets webhook endpoints live on loopback, private
	// and link-local addresses (development, tests, one closed network).
	WebhookAllowPrivate bool
	// TierLimits holds each tenant's authenticated API calls to its tier's
	// rate limit (usher serve --tier-limits); calls are counted either way.
	TierLimits bool
	// Clock, when set, replaces the wall clock (tests of what time does,
	// such as the retention purge); its readings are used as Now's are.
	Clock func() time.Time
}

// publicURL is the base of links that leave the server.
func (c Config) publicURL() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + c.Addr
}

// App is a built server with its dependencies.
type App struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	db      *db.DB
	redis   *redis.Client
	rooms   *waitroom.Service
	audit   *audit.Service
	tenants *tenant.Service
	events  *event.Service
	// wallets and orders are commerce: customers, points, holds, payments.
	wallets *wallet.Service
	orders  *order.Service
	// tickets signs codes and renders QR, PDF and calendar files.
	tickets *ticket.Service
	// limiter is shared by every rate-limited operation (Redis when configured).
	limiter   ratelimit.Limiter
	campaigns *campaign.Service
	reports   *report.Service
	pages     *web.Pages
	server    *api.Server
	// jobs runs durable background jobs; dispatch feeds outbox events to
	// consumers through it; notify sends messages.
	jobs     *job.Runner
	dispatch *outbox.Dispatcher
	notify   *notify.Service
	// gates runs gates, check-in, devices and beacons.
	gates *gate.Service
	// seats owns seat maps and seat holds; ranks the paid-order rankings.
	seats *seat.Service
	ranks *rank.Service
	// webhooks sends the tenants' events to their endpoints.
	webhooks *webhook.Service
	// privacy exports and erases one person's data across the domains.
	privacy *privacy.Service
	// meter counts usage per tenant and enforces the tiers' rate limits.
	meter *meter.Service
}

// Now is the clock every write is stamped with: UTC, at the precision both
// databases keep.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// New opens the database (migrating it), connects Redis when configured and
// builds every service and route.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, log: log, now: Now}
	if cfg.Clock != nil {
		a.now = func() time.Time { return cfg.Clock().UTC().Truncate(time.Microsecond) }
	}
	conn, err := db.Open(ctx, db.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log, SecretsKey: cfg.SecretsKey})
	if err != nil {
		return nil, err
	}
	a.db = conn
	if err := conn.Migrate(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	if n, err := conn.SealSecrets(ctx); err != nil {
		conn.Close()
		return nil, err
	} else if n > 0 {
		log.Info("sealed the secrets stored before the secrets key", "count", n)
	}
	if n, err := api.SealAnswers(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	} else if n > 0 {
		log.Info("sealed the idempotent answers stored before the secrets key", "count", n)
	}
	var limiter ratelimit.Limiter = ratelimit.NewMemory()
	if cfg.RedisURL != "" {
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("redis url: %w", err)
		}
		a.redis = redis.NewClient(opt)
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := a.redis.Ping(pctx).Err(); err != nil {
			a.Close(ctx)
			return nil, fmt.Errorf("redis: connect to %s: %w", opt.Addr, err)
		}
		limiter = ratelimit.NewRedis(a.redis)
	}
	a.audit = audit.NewService(conn, log, a.now)
	a.tenants, err = tenant.NewService(ctx, tenant.Deps{DB: conn, Limiter: limiter, Logins: a.audit, Now: a.now, Logger: log})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	a.events = event.NewService(conn, a.now)
	a.wallets = wallet.NewService(conn, a.now)
	// The ticket issuer is connected with a.orders.UseTickets by the
	// ticket domain's wiring; until then orders cannot be paid.
	a.orders = order.NewService(order.Deps{DB: conn, Events: a.events, Wallets: a.wallets, Now: a.now})
	a.events.UseSales(a.orders)
	a.tickets = ticket.NewService(ticket.Config{FontPath: cfg.FontPath}, conn, ticketCatalog{a.events}, a.now, log)
	if n, err := a.tickets.SealKeys(ctx); err != nil {
		a.Close(ctx)
		return nil, err
	} else if n > 0 {
		log.Info("sealed the ticket keys stored before the secrets key", "count", n)
	}
	a.orders.UseTickets(ticketIssuer{a.tickets})
	a.rooms, err = waitroom.NewService(ctx, waitroom.Deps{DB: conn, Redis: a.redis, Events: eventExists{a.events}, Now: a.now, Logger: log})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	a.orders.UseQueue(a.rooms)
	a.seats = seat.NewService(conn, a.events, a.now)
	a.orders.UseSeats(a.seats)
	a.limiter = limiter
	a.campaigns = campaign.NewService(conn, a.now, limiter, campaign.Config{PublicURL: cfg.publicURL(), ParticipationLimit: cfg.ParticipationLimit})
	a.reports = report.NewService(a.campaigns, a.now, report.Config{FontPath: cfg.FontPath})
	// Messages and jobs: built here, started by Serve.
	a.jobs = job.NewRunner(conn, job.Config{Now: a.now, Logger: log})
	a.dispatch = outbox.NewDispatcher(conn, a.jobs, outbox.DispatcherConfig{Now: a.now, Logger: log})
	notifyCfg := notify.Config{Tickets: a.tickets, BaseURL: cfg.publicURL(), Now: a.now, Logger: log, Managers: managers{a.tenants}, Events: messageEvents{a.events}}
	if cfg.SMTPURL != "" {
		mailer, err := notify.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			a.Close(ctx)
			return nil, err
		}
		notifyCfg.Mailer = mailer
	}
	if cfg.SMSURL != "" {
		notifyCfg.SMS = &notify.HTTPSMS{URL: cfg.SMSURL, APIKey: cfg.SMSAPIKey}
	}
	a.notify = notify.NewService(conn, a.jobs, a.dispatch, notifyCfg)
	a.gates = gate.NewService(gate.Deps{DB: conn, Tickets: a.tickets, Events: gateEvents{a.events}, Keys: deviceKeys{a.tenants}, Redis: a.redis, Now: a.now, Logger: log})
	a.ranks = rank.NewService(conn, a.now)
	a.dispatch.Register(a.ranks.Consumer())
	a.meter = meter.NewService(meter.Deps{DB: conn, Limiter: limiter, Tiers: a.tenants, Now: a.now, Logger: log},
		meter.Config{Enforce: cfg.TierLimits})
	a.dispatch.Register(a.meter.Consumer())
	a.webhooks = webhook.NewService(webhook.Deps{DB: conn, Jobs: a.jobs, Dispatcher: a.dispatch, Now: a.now, Logger: log},
		webhook.Config{AllowPrivate: cfg.WebhookAllowPrivate})
	if n, err := a.webhooks.SealSecrets(ctx); err != nil {
		a.Close(ctx)
		return nil, err
	} else if n > 0 {
		log.Info("sealed the webhook secrets stored before the secrets key", "count", n)
	}
	// Each domain holds its part of a person's data; customers and orders
	// run first because they note the ids that later holders find records
	// by, and the stored answers run last. The audit log keeps no one's
	// personal data: it records staff and API keys (public calls are not
	// audited), so it is not among them.
	a.privacy = privacy.NewService(conn, a.now, a.wallets.PersonalData(), a.orders.PersonalData(), a.tickets.PersonalData(),
		a.campaigns.PersonalData(), a.notify.PersonalData(), job.PersonalData(eraseAgainJob), outbox.PersonalData(),
		a.webhooks.PersonalData(), privacy.StoredAnswers(conn))
	a.handleHourly()
	a.handleEraseAgain()
	a.pages, err = web.New(web.Config{SecureCookies: cfg.SecureCookies}, web.Deps{Tenants: a.tenants, Logger: log,
		Events: a.events, Orders: a.orders, Wallets: a.wallets, Notify: a.notify, Rooms: a.rooms, Seats: a.seats,
		Campaigns: a.campaigns, Reports: a.reports, Gates: a.gates, Webhooks: a.webhooks, Privacy: a.privacy, Meter: a.meter, Jobs: a.jobs})
	if err != nil {
		a.Close(ctx)
		return nil, err
	}

	pools := map[string]*sql.DB{"write": conn.SQL()}
	if conn.ReadSQL() != conn.SQL() {
		pools["read"] = conn.ReadSQL()
	}
	a.server = api.New(api.Config{Version: cfg.Version, TrustProxy: cfg.TrustProxy}, api.Deps{
		DB:      conn,
		Auth:    a.tenants,
		Auditor: a.audit,
		Metrics: api.NewMetrics(pools),
		Meter:   a.meter,
		Logger:  log,
		Now:     a.now,
		Ready:   a.ready,
	})
	a.routes()
	return a, nil
}

// ready reports whether the database and Redis answer.
func (a *App) ready(ctx context.Context) error {
	if err := a.db.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if a.redis != nil {
		if err := a.redis.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
	}
	return nil
}

// Handler returns the HTTP handler of the whole server.
func (a *App) Handler() http.Handler { return a.server }

// Server returns the HTTP layer, for tests that walk its routes.
func (a *App) Server() *api.Server { return a.server }

// DB returns the database, for tests and tools.
func (a *App) DB() *db.DB { return a.db }

// Close flushes the audit log and closes connections.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	// Background work stops first: its handlers still write to the database.
	if a.gates != nil {
		a.gates.Close()
	}
	errs = append(errs, a.StopBackground(ctx))
	if a.audit != nil {
		errs = append(errs, a.audit.Close(ctx))
	}
	if a.redis != nil {
		errs = append(errs, a.redis.Close())
	}
	if a.db != nil {
		errs = append(errs, a.db.Close())
	}
	return errors.Join(errs...)
}

// StopBackground stops what StartBackground started, waiting for running
// jobs, and writes the API call counts still in memory.
func (a *App) StopBackground(ctx context.Context) error {
	var errs []error
	if a.dispatch != nil {
		a.dispatch.Stop()
	}
	if a.jobs != nil {
		errs = append(errs, a.jobs.Stop(ctx))
	}
	if a.meter != nil {
		errs = append(errs, a.meter.Stop(ctx))
	}
	return errors.Join(errs...)
}

// StartBackground starts the background work: the job runner (with the
// hourly jobs scheduled), the outbox dispatcher and the meter's flusher.
// Serve calls it; Close stops it.
func (a *App) StartBackground() {
	a.scheduleHourly(context.Background())
	a.meter.Start()
	a.jobs.Start()
	a.dispatch.Start()
}

// Serve listens on the configured address until ctx ends, then shuts down
// gracefully: in-flight requests finish (up to 15 s), then the background
// work stops and the connections close. ready, when not nil, receives the
// bound address once the server accepts connections.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	a.StartBackground()
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("listening", "addr", ln.Addr().String(), "database", string(a.db.Dialect()), "redis", a.redis != nil)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, a.Close(sctx))
}

// messageEvents gives notify the event domain's events as messages show them.
type messageEvents struct{ events *event.Service }

func (m messageEvents) EventInfo(ctx context.Context, eventID string) (notify.EventInfo, error) {
	e, err := m.events.Get(ctx, eventID)
	if err != nil {
		return notify.EventInfo{}, err
	}
	return notify.EventInfo{ID: e.ID, Name: e.Name, StartsAt: e.StartsAt, EndsAt: e.EndsAt, Timezone: e.Timezone, Venue: e.Venue}, nil
}

// managers gives notify the tenant domain's owners and admins.
type managers struct{ tenants *tenant.Service }

func (m managers) Managers(ctx context.Context) ([]notify.Recipient, error) {
	ms, err := m.tenants.Managers(ctx)
	out := make([]notify.Recipient, len(ms))
	for i, x := range ms {
		out[i] = notify.Recipient{Email: x.Email, Lang: x.Locale}
	}
	return out, err
}
