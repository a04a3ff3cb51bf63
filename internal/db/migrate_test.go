package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// openAt opens a fresh database of the dialect migrated up to version only,
// so that a test can write rows as an earlier build would have.
func openAt(t *testing.T, d db.Dialect, version int64) *db.DB {
	t.Helper()
	conn, err := db.Open(context.Background(), dbtest.Config(t, d))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := db.MigrateTo(context.Background(), conn, version); err != nil {
		t.Fatal(err)
	}
	return conn
}

// The lean outbox (migration 15) keeps every event and its seq, and events
// appended after it still get a seq above every earlier one.
func TestOutboxLeanMigrationKeepsOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		ctx := context.Background()
		conn := openAt(t, d, 14)
		now := time.Now().UTC()
		appendEvent := func(id string) {
			t.Helper()
			err := conn.Write(ctx, func(tx *db.Tx) error {
				_, err := tx.Global().Exec(`INSERT INTO outbox (tenant_id, id, kind, subject, payload, created_at) VALUES ('', ?, 'test', 's', '{}', ?)`, id, now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"oev_a", "oev_b", "oev_c"} {
			appendEvent(id)
		}
		if err := conn.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		appendEvent("oev_d")
		var got []struct {
			Seq int64  `db:"seq"`
			ID  string `db:"id"`
		}
		err := conn.Read(ctx, func(tx *db.Tx) error {
			return tx.Global().Select(&got, `SELECT seq, id FROM outbox ORDER BY seq`)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Fatalf("outbox has %d events after the migration, want 4: %+v", len(got), got)
		}
		for i, want := range []string{"oev_a", "oev_b", "oev_c", "oev_d"} {
			if got[i].ID != want || (i > 0 && got[i].Seq <= got[i-1].Seq) {
				t.Fatalf("outbox after the migration: %+v", got)
			}
		}
	})
}

// Migration 21 rewrites in E.164 the buyers' and customers' phones that
// earlier builds stored as typed; values that are no valid number, empty
// ones and ones already in E.164 stay as they are.
func TestPhonesMigrateToE164(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		ctx := context.Background()
		conn := openAt(t, d, 20)
		now := time.Now().UTC()
		phones := map[string]string{ // as stored → as wanted
			"010-1234-5678":    "+821012345678",
			"+82 10 2345 6789": "+821023456789",
			"+821034567890":    "+821034567890",
			"call me":          "call me",
			"":                 "",
		}
		err := conn.Write(ctx, func(tx *db.Tx) error {
			g := tx.Global()
			if _, err := g.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES ('ten_p', 'P', 'basic', ?)`, now); err != nil {
				return err
			}
			if _, err := g.Exec(`INSERT INTO events (tenant_id, id, name, status, starts_at, ends_at, timezone, capacity, created_at, updated_at)
				VALUES ('ten_p', 'evt_p', 'E', 'published', ?, ?, 'Asia/Seoul', 10, ?, ?)`, now, now, now, now); err != nil {
				return err
			}
			i := 0
			for stored := range phones {
				i++
				if _, err := g.Exec(`INSERT INTO orders (tenant_id, id, event_id, status, buyer_name, buyer_email, buyer_phone, locale, total, currency, created_at, updated_at)
					VALUES ('ten_p', ?, 'evt_p', 'paid', 'B', 'b@example.com', ?, 'ko', 0, 'KRW', ?, ?)`, fmt.Sprintf("ord_%d", i), stored, now, now); err != nil {
					return err
				}
				if _, err := g.Exec(`INSERT INTO customers (tenant_id, id, email, name, phone, created_at) VALUES ('ten_p', ?, ?, 'C', ?, ?)`,
					fmt.Sprintf("cus_%d", i), fmt.Sprintf("c%d@example.com", i), stored, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`SELECT buyer_phone FROM orders ORDER BY id`, `SELECT phone FROM customers ORDER BY id`} {
			var got []string
			if err := conn.Read(ctx, func(tx *db.Tx) error { return tx.Global().Select(&got, q) }); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			for _, w := range phones {
				want[w]++
			}
			for _, g := range got {
				want[g]--
			}
			for v, n := range want {
				if n != 0 {
					t.Errorf("%s: %q off by %d (got %q)", q, v, n, got)
				}
			}
		}
	})
}

// TestNodesMigrateAtOnce starts the migrations of three nodes of one
// PostgreSQL installation (one schema) together: the schema's lock makes
// them take turns, so each migration is applied once and all three start.
func TestNodesMigrateAtOnce(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		t.Skip("USHER_TEST_POSTGRES_URL is not set")
	}
	cfg := dbtest.Config(t, db.Postgres)
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		conn, err := db.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		go func() { errs <- conn.Migrate(ctx) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("a node's migration: %v", err)
		}
	}
	conn, err := db.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got struct {
		Rows     int `db:"rows"`
		Versions int `db:"versions"`
	}
	err = conn.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Get(&got, `SELECT COUNT(*) AS rows, COUNT(DISTINCT version_id) AS versions FROM goose_db_version`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != got.Versions || got.Versions < 20 {
		t.Fatalf("goose_db_version has %d rows for %d versions: a migration ran twice, or not at all", got.Rows, got.Versions)
	}
}
