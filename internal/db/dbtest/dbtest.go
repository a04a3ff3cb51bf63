// Package dbtest opens migrated databases for tests: SQLite always, and
// PostgreSQL when USHER_TEST_POSTGRES_URL is set, each test in a schema of
// its own so that tests run in parallel.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/id"
)

// PostgresURL returns the test PostgreSQL URL, or "".
func PostgresURL() string { return os.Getenv("USHER_TEST_POSTGRES_URL") }

// RedisURL returns the test Redis URL, or "".
func RedisURL() string { return os.Getenv("USHER_TEST_REDIS_URL") }

// Dialects lists the dialects the current run can test.
func Dialects() []db.Dialect {
	if PostgresURL() != "" {
		return []db.Dialect{db.SQLite, db.Postgres}
	}
	return []db.Dialect{db.SQLite}
}

// Each runs fn as a parallel subtest once per available dialect.
func Each(t *testing.T, fn func(t *testing.T, d db.Dialect)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// Config returns a database configuration for a fresh, empty database of the
// dialect, dropped when the test ends.
func Config(tb testing.TB, d db.Dialect) db.Config {
	tb.Helper()
	if d == db.SQLite {
		return db.Config{DataDir: tb.TempDir()}
	}
	base := PostgresURL()
	if base == "" {
		tb.Skip("USHER_TEST_POSTGRES_URL is not set")
	}
	schema := "t_" + strings.TrimPrefix(id.New("x"), "x_")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return db.Config{URL: u.String()}
}

// Open returns a migrated database of the dialect, closed when the test ends.
func Open(tb testing.TB, d db.Dialect) *db.DB {
	tb.Helper()
	ctx := context.Background()
	conn, err := db.Open(ctx, Config(tb, d))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	if err := conn.Migrate(ctx); err != nil {
		tb.Fatal(fmt.Errorf("migrate %s: %w", d, err))
	}
	return conn
}
