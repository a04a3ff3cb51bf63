package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/db"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// cli is the command line: every flag can also be set with an USHER_…
// environment variable named after it (--data-dir is USHER_DATA_DIR).
type cli struct {
	LogLevel  string `help:"Log level: debug, info, warn or error." default:"info" enum:"debug,info,warn,error"`
	LogFormat string `help:"Log format: json or text." default:"json" enum:"json,text"`
	GCPercent int    `name:"gc-percent" help:"Heap growth between garbage collections, in percent (Go's GOGC, which wins when set). Higher trades memory for CPU: 400 served about a fifth more requests per second than Go's 100 for some 30 % more memory." default:"400"`

	Serve    serveCmd    `cmd:"" help:"Serve the API, the pages and the background work."`
	Migrate  migrateCmd  `cmd:"" help:"Bring the database schema up to date and exit."`
	Version  versionCmd  `cmd:"" help:"Print the version."`
	Bench    benchCmd    `cmd:"" help:"Rehearsals: put a measured load on a server."`
	Draw     drawCmd     `cmd:"" help:"Winner draws: verify a published draw."`
	Demo     demoCmd     `cmd:"" help:"Serve with a sample organization, event, seats, gates and campaign, and print how to sign in."`
	Gate     gateCmd     `cmd:"" help:"Run the venue edge node: offline check-in, scanner page, sync with the server."`
	Simulate simulateCmd `cmd:"" help:"Rehearsals on paper: queueing forecasts."`
	Tenants  tenantsCmd  `cmd:"" help:"The platform operator's: list organizations, change their tier."`
	Usage    usageCmd    `cmd:"" help:"The platform operator's: every organization's usage and statement for a month."`
	Backup   backupCmd   `cmd:"" help:"Copy the embedded SQLite database to a file, while the server runs."`
	Restore  restoreCmd  `cmd:"" help:"Put a backup in place of the SQLite database (the server must be stopped; the old file is kept)."`
}

// dbFlags name the database, shared by the commands that open it.
type dbFlags struct {
	DataDir     string `help:"Folder for the SQLite file and local keys." default:"./usher-data"`
	DatabaseURL string `help:"A postgres:// URL to use PostgreSQL instead of the embedded SQLite." placeholder:"URL"`
}

func (f dbFlags) validate() error {
	if f.DatabaseURL == "" {
		if strings.TrimSpace(f.DataDir) == "" {
			return errors.New("--data-dir must not be empty")
		}
		return nil
	}
	u, err := url.Parse(f.DatabaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return errors.New("--database-url must look like postgres://user@host:5432/dbname")
	}
	return nil
}

type serveCmd struct {
	Addr string `help:"Address to listen on." default:"127.0.0.1:8080"`
	dbFlags
	RedisURL            string `help:"A redis:// URL for state shared by several nodes." placeholder:"URL"`
	PublicURL           string `help:"The address people reach this server at, for links in messages and QR codes (default http://<addr>)." placeholder:"URL"`
	TrustProxy          bool   `help:"Take client addresses from X-Forwarded-For (behind a load balancer)."`
	SecureCookies       bool   `help:"Mark page cookies Secure (when served over HTTPS)."`
	FontPath            string `help:"NanumGothic.ttf for PDF tickets (Debian's fonts-nanum); searched in the usual places when empty." placeholder:"FILE"`
	SMTPURL             string `name:"smtp-url" help:"Send email through smtp://user:pass@host:587 (?tls=opportunistic or none to relax STARTTLS; smtps:// for TLS); without it messages stay in the development outbox." placeholder:"URL"`
	MailFrom            string `help:"Sender of email, like 'Usher <no-reply@example.com>'." placeholder:"ADDRESS"`
	SMSURL              string `name:"sms-url" help:"Send text messages (SMS / AlimTalk) by a JSON POST of {to, template_code, vars} to this https:// URL; without it they stay in the development outbox." placeholder:"URL"`
	SMSAPIKey           string `name:"sms-api-key" help:"API key the SMS gateway expects in its X-API-Key header." placeholder:"KEY"`
	WebhookAllowPrivate bool   `help:"Let webhook endpoints be on loopback, private and link-local addresses (development, or one closed network); off, such endpoints are refused."`
	TierLimits          bool   `help:"Hold each organization's authenticated API calls to its tier's rate (basic 50/s, professional 500/s, enterprise unlimited) and answer 429 above it; off, calls are only counted. Turn it on once the organizations are on their tiers (usher tenants set-tier)."`
	SecretsKeyFile      string `help:"A file with 32 random bytes in base64 (head -c 32 /dev/urandom | base64): the installation's secrets (token and ticket signing keys) are then stored sealed with it, and those stored before are sealed at start. Keep it apart from the database and its backups; every node needs the same file." placeholder:"FILE"`
}

func (c *serveCmd) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr must be host:port, like 127.0.0.1:8080: %v", err)
	}
	if err := c.dbFlags.validate(); err != nil {
		return err
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("--public-url must look like https://tickets.example.com")
		}
	}
	if c.SMSURL != "" {
		u, err := url.Parse(c.SMSURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("--sms-url must look like https://sms.example.com/send")
		}
	} else if c.SMSAPIKey != "" {
		// A key alone would silently keep messages in the outbox.
		return errors.New("--sms-api-key needs --sms-url")
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return errors.New("--redis-url must look like redis://host:6379/0")
		}
	}
	return nil
}

func (c *serveCmd) run(ctx context.Context, log *slog.Logger, ready func(string)) error {
	if err := c.validate(); err != nil {
		return err
	}
	var secretsKey []byte
	if c.SecretsKeyFile != "" {
		var err error
		if secretsKey, err = db.ReadSecretsKey(c.SecretsKeyFile); err != nil {
			return err
		}
	}
	if c.DatabaseURL == "" {
		// One server per data directory: a second one would be a second
		// writer, and a restore must not swap the file under it.
		release, err := db.LockDataDir(c.DataDir)
		if err != nil {
			return err
		}
		defer release()
	}
	a, err := app.New(ctx, app.Config{
		Addr: c.Addr, DataDir: c.DataDir, DatabaseURL: c.DatabaseURL, RedisURL: c.RedisURL, SecretsKey: secretsKey,
		PublicURL: c.PublicURL, TrustProxy: c.TrustProxy, SecureCookies: c.SecureCookies, Version: version, FontPath: c.FontPath,
		SMTPURL: c.SMTPURL, MailFrom: c.MailFrom, SMSURL: c.SMSURL, SMSAPIKey: c.SMSAPIKey,
		WebhookAllowPrivate: c.WebhookAllowPrivate, TierLimits: c.TierLimits,
	}, log)
	if err != nil {
		return err
	}
	return a.Serve(ctx, ready)
}

type migrateCmd struct {
	dbFlags
}

func (c *migrateCmd) run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	if err := c.validate(); err != nil {
		return err
	}
	conn, err := db.Open(ctx, db.Config{URL: c.DatabaseURL, DataDir: c.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "the %s database is up to date\n", conn.Dialect())
	return nil
}

type versionCmd struct{}

// exitRequest carries kong's exit (after --help) out of run without exiting
// the process, so run stays testable.
type exitRequest struct{ code int }

// run parses args, with getenv supplying USHER_* variables, and runs the
// command. ready, used by tests, learns the address a server listens on.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, getenv, stdout, stderr, nil)
}

func runWith(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(string)) (err error) {
	var c cli
	defer func() {
		if p := recover(); p != nil {
			e, ok := p.(exitRequest)
			if !ok {
				panic(p)
			}
			if e.code != 0 {
				err = fmt.Errorf("exit status %d", e.code)
			}
		}
	}()
	parser, err := kong.New(&c,
		kong.Name("usher"),
		kong.Description("Usher runs events: tickets and seats, gates, campaigns, for many organizations."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitRequest{code}) }),
		kong.Resolvers(envResolver(getenv)),
		kong.UsageOnError(),
	)
	if err != nil {
		return err
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		return err
	}
	if c.GCPercent < 50 || c.GCPercent > 2000 {
		return errors.New("--gc-percent must be between 50 and 2000")
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(c.GCPercent)
	}
	log := newLogger(stderr, c.LogLevel, c.LogFormat)
	switch kctx.Command() {
	case "serve":
		return c.Serve.run(ctx, log, ready)
	case "demo":
		return c.Demo.run(ctx, log, stdout, ready)
	case "migrate":
		return c.Migrate.run(ctx, log, stdout)
	case "bench flash-sale":
		return c.Bench.FlashSale.run(ctx, log, stdout)
	case "bench participation":
		return c.Bench.Participation.run(ctx, log, stdout)
	case "gate":
		return c.Gate.run(ctx, log, ready)
	case "simulate gates":
		return c.Simulate.Gates.run(stdout)
	case "bench checkin":
		return c.Bench.Checkin.run(ctx, log, stdout)
	case "draw verify":
		return c.Draw.Verify.run(ctx, stdout)
	case "tenants list":
		return c.Tenants.List.run(ctx, log, stdout)
	case "tenants set-tier <tenant> <tier>":
		return c.Tenants.SetTier.run(ctx, log, stdout)
	case "usage":
		return c.Usage.run(ctx, log, stdout)
	case "backup <out>":
		return c.Backup.run(ctx, log, stdout)
	case "restore <from>":
		return c.Restore.run(ctx, stdout)
	case "version":
		fmt.Fprintln(stdout, "usher", version)
		return nil
	}
	return fmt.Errorf("unknown command %q", kctx.Command())
}

// envResolver fills a flag from USHER_<FLAG_NAME> when it is not given on
// the command line.
func envResolver(getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		name := "USHER_" + strings.ToUpper(strings.ReplaceAll(flag.Name, "-", "_"))
		if v := getenv(name); v != "" {
			return v, nil
		}
		return nil, nil
	})
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
