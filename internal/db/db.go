// Package db opens Usher's database — an embedded SQLite file or PostgreSQL —
// and gives every domain one way to read and write it: Write runs a function
// in a transaction (on SQLite, batched with other writers into one commit),
// Read runs it against a read pool. Queries use "?" placeholders and the
// @tenant marker; see Tx.
package db

import (
	"context"
	"crypto/cipher"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config says which database to open.
type Config struct {
	// URL is a postgres:// URL; empty means the embedded SQLite file.
	URL string
	// DataDir holds the SQLite file when URL is empty.
	DataDir string
	// Logger receives slow-commit and migration messages.
	Logger *slog.Logger
	// SecretsKey, when set (32 bytes), seals the installation's secrets in
	// the database (see seal.go).
	SecretsKey []byte
}

// DB is an open database with a write path and a read path.
type DB struct {
	dialect Dialect
	write   *sqlx.DB
	read    *sqlx.DB
	commit  *committer // SQLite only: the single writer with group commit
	log     *slog.Logger
	aead    cipher.AEAD // seals secrets; nil without a secrets key
}

// Open opens (and creates) the database. It does not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	aead, err := newSealer(cfg.SecretsKey)
	if err != nil {
		return nil, err
	}
	var db *DB
	if cfg.URL == "" {
		db, err = openSQLite(ctx, cfg.DataDir, log)
	} else if u, perr := url.Parse(cfg.URL); perr != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("database url: want postgres://…, got %q", redact(cfg.URL))
	} else {
		db, err = openPostgres(ctx, cfg.URL, log)
	}
	if err != nil {
		return nil, err
	}
	db.aead = aead
	return db, nil
}

func openSQLite(ctx context.Context, dir string, log *slog.Logger) (*DB, error) {
	if dir == "" {
		return nil, errors.New("sqlite: no data directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create data directory: %w", err)
	}
	path := sqlitePath(dir)
	base := "file:" + path + "?_time_format=sqlite" +
		"&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
	// synchronous(NORMAL): a commit writes its frames to the WAL without an
	// fsync; the committer's syncer fdatasyncs the WAL before it answers the
	// batch's writers (see commit.go), so an answered write is on disk, and
	// the fsync of one batch overlaps the next. SQLite still syncs the WAL
	// before each checkpoint and the database file after it.
	// temp_store(MEMORY): each batched writer runs in a SAVEPOINT, whose
	// statement journal would otherwise go to a temporary file.
	w, err := sqlx.Open("sqlite", base+"&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// Two connections: the writer goroutine's transactions, and one more so
	// that preparing a statement (and migrations at start) never waits for
	// the writer's open transaction. Only the writer goroutine writes.
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sqlx.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open read pool: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db := &DB{dialect: SQLite, write: w, read: r, log: log}
	db.commit = newCommitter(db, path)
	return db, nil
}

func openPostgres(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	p, err := sqlx.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(32)
	p.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.PingContext(pctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", redact(dsn), err)
	}
	return &DB{dialect: Postgres, write: p, read: p, log: log}, nil
}

// Dialect reports the SQL engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL returns the underlying write pool, for tools that need database/sql
// (migrations, metrics collectors).
func (db *DB) SQL() *sql.DB { return db.write.DB }

// ReadSQL returns the underlying read pool.
func (db *DB) ReadSQL() *sql.DB { return db.read.DB }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if db.commit != nil {
		if err := db.commit.broken(); err != nil {
			return err // SQLite refuses writes after a failed WAL sync
		}
	}
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	return db.read.PingContext(ctx)
}

// Close stops the writer and closes the pools.
func (db *DB) Close() error {
	if db.commit != nil {
		db.commit.stop()
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.commit != nil {
		db.commit.files.close() // after the pools: see walFiles.sync
	}
	return err
}

// Write runs fn in a read-write transaction and commits it. An error from fn
// rolls back fn's writes (and only fn's: on SQLite, other writers batched into
// the same commit keep theirs). Write returns once the commit is durable.
//
// The tenant that scopes fn's queries comes from ctx (see WithTenant).
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	tenant, _ := TenantFrom(ctx)
	if db.commit != nil {
		return db.commit.do(ctx, tenant, fn)
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = db.writePostgres(ctx, tenant, fn)
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	return err
}

func (db *DB) writePostgres(ctx context.Context, tenant string, fn func(*Tx) error) error {
	tx, err := db.write.BeginTxx(ctx, nil)
	if err != nil {
		return interpret(err)
	}
	if err := call(fn, &Tx{ctx: ctx, q: tx, dialect: db.dialect, tenant: tenant}); err != nil {
		tx.Rollback()
		return err
	}
	return interpret(tx.Commit())
}

// Read runs fn against the read pool. Queries in fn see committed data; they
// are not one snapshot unless the dialect gives one per statement.
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	tenant, _ := TenantFrom(ctx)
	return fn(&Tx{ctx: ctx, q: db.read, dialect: db.dialect, tenant: tenant})
}

// redact hides the password of a database URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

// Contains returns the pattern of "LIKE ? ESCAPE '\'" that finds s anywhere
// in a text, with LIKE's wildcards in s matched literally.
func Contains(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Placeholders returns "?, ?, ?" with n marks, for IN lists.
func Placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// Rows is the VALUES list of a multi-row INSERT: n copies of row, each in
// parentheses, separated by commas.
func Rows(n int, row string) string {
	if n <= 0 {
		return ""
	}
	return strings.TrimSuffix(strings.Repeat("("+row+"), ", n), ", ")
}
