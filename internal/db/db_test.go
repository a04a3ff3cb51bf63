package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
)

func insertTenant(t *testing.T, conn *db.DB, id string) {
	t.Helper()
	err := conn.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, ?, 'basic', ?)`, id, "T "+id, time.Now().UTC())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTenantScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		insertTenant(t, conn, "ten_a")
		insertTenant(t, conn, "ten_b")
		now := time.Now().UTC()
		for _, tenant := range []string{"ten_a", "ten_b"} {
			ctx := db.WithTenant(context.Background(), tenant)
			err := conn.Write(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`INSERT INTO events (tenant_id, id, name, status, starts_at, ends_at, timezone, capacity, created_at, updated_at)
					VALUES (@tenant, ?, ?, 'draft', ?, ?, 'UTC', 10, ?, ?)`, "evt_"+tenant, "E", now, now, now, now)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		ctxA := db.WithTenant(context.Background(), "ten_a")
		var names []string
		err := conn.Read(ctxA, func(tx *db.Tx) error {
			return tx.Select(&names, `SELECT id FROM events WHERE tenant_id = @tenant ORDER BY id`)
		})
		if err != nil || len(names) != 1 || names[0] != "evt_ten_a" {
			t.Fatalf("scoped select = %v, %v; want only evt_ten_a", names, err)
		}
		// A scoped Tx refuses a query without @tenant.
		err = conn.Read(ctxA, func(tx *db.Tx) error {
			return tx.Select(&names, `SELECT id FROM events`)
		})
		if !errors.Is(err, db.ErrUnscoped) {
			t.Fatalf("unscoped query in scope: err = %v, want ErrUnscoped", err)
		}
		// An unscoped Tx refuses @tenant.
		err = conn.Read(context.Background(), func(tx *db.Tx) error {
			return tx.Select(&names, `SELECT id FROM events WHERE tenant_id = @tenant`)
		})
		if !errors.Is(err, db.ErrUnscoped) {
			t.Fatalf("@tenant without scope: err = %v, want ErrUnscoped", err)
		}
		// Another tenant's row is not found.
		var got string
		err = conn.Read(ctxA, func(tx *db.Tx) error {
			return tx.Get(&got, `SELECT id FROM events WHERE id = ? AND tenant_id = @tenant`, "evt_ten_b")
		})
		if !fault.Is(err, fault.NotFound) {
			t.Fatalf("other tenant's row: err = %v, want not_found", err)
		}
		// The marker can stand between other arguments.
		err = conn.Read(ctxA, func(tx *db.Tx) error {
			return tx.Get(&got, `SELECT id FROM events WHERE name = ? AND tenant_id = @tenant AND capacity = ?`, "E", 10)
		})
		if err != nil || got != "evt_ten_a" {
			t.Fatalf("marker between args: %q, %v", got, err)
		}
	})
}

func TestUniqueViolationIsConflict(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		insertTenant(t, conn, "ten_a")
		err := conn.Write(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'x', 'basic', ?)`, "ten_a", time.Now().UTC())
			return err
		})
		if !fault.Is(err, fault.Conflict) || !db.IsUnique(err) {
			t.Fatalf("duplicate key: err = %v, want conflict", err)
		}
	})
}

// TestTextMustBeStorable: text with a NUL character is refused before the
// statement runs, as a client's error, on both databases (PostgreSQL cannot
// store it; SQLite refuses it too, so both keep the same data), and so is
// text that is not UTF-8 on PostgreSQL; byte slices may hold anything.
func TestTextMustBeStorable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		ctx := context.Background()
		if err := conn.Write(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`CREATE TABLE texts (s TEXT NOT NULL, b BYTEA)`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		insert := func(s any, b []byte) error {
			return conn.Write(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`INSERT INTO texts (s, b) VALUES (?, ?)`, s, b)
				return err
			})
		}
		nul := "a\x00b"
		for _, v := range []any{nul, &nul} {
			if err := insert(v, nil); !errors.Is(err, db.ErrNUL) || !fault.Is(err, fault.Invalid) {
				t.Errorf("text with NUL (%T): err = %v, want db.ErrNUL", v, err)
			}
		}
		err := conn.Read(ctx, func(tx *db.Tx) error {
			var n int
			return tx.Get(&n, `SELECT COUNT(*) FROM texts WHERE s = ?`, nul)
		})
		if !errors.Is(err, db.ErrNUL) {
			t.Errorf("a read naming text with NUL: err = %v, want db.ErrNUL", err)
		}
		if d == db.Postgres {
			if err := insert("\xff\xfe", nil); !fault.Is(err, fault.Invalid) {
				t.Errorf("text that is not UTF-8: err = %v, want invalid_request", err)
			}
		}
		if err := insert("fine", []byte{0, 1, 0}); err != nil {
			t.Fatalf("bytes with NUL: %v", err)
		}
		var n int
		if err := conn.Read(ctx, func(tx *db.Tx) error { return tx.Get(&n, `SELECT COUNT(*) FROM texts`) }); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d rows, want 1 (only the good one)", n)
		}
	})
}

// TestConcurrentWritesIsolated checks group commit: many concurrent writers,
// some failing, each sees exactly its own outcome and failed writes leave
// nothing behind.
func TestConcurrentWritesIsolated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		const n = 200
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = conn.Write(context.Background(), func(tx *db.Tx) error {
					if _, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'x', 'basic', ?)`, fmt.Sprintf("ten_%03d", i), time.Now().UTC()); err != nil {
						return err
					}
					if i%3 == 0 {
						return errors.New("boom")
					}
					if i%7 == 0 {
						panic("writer panics")
					}
					return nil
				})
			}()
		}
		wg.Wait()
		want := 0
		for i, err := range errs {
			failed := i%3 == 0 || i%7 == 0
			if failed != (err != nil) {
				t.Fatalf("write %d: err = %v, want failed=%v", i, err, failed)
			}
			if !failed {
				want++
			}
		}
		var got int
		if err := conn.Read(context.Background(), func(tx *db.Tx) error {
			return tx.Get(&got, `SELECT count(*) FROM tenants`)
		}); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("rows = %d, want %d", got, want)
		}
	})
}

func TestTimesRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		at := time.Date(2026, 5, 1, 9, 30, 0, 123456000, time.UTC)
		err := conn.Write(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES ('ten_t', 'x', 'basic', ?)`, at)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got time.Time
		var later int
		err = conn.Read(context.Background(), func(tx *db.Tx) error {
			if err := tx.Get(&got, `SELECT created_at FROM tenants WHERE id = 'ten_t'`); err != nil {
				return err
			}
			return tx.Get(&later, `SELECT count(*) FROM tenants WHERE created_at > ?`, at.Add(-time.Millisecond))
		})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(at) || later != 1 {
			t.Fatalf("time = %v (count after %d), want %v", got, later, at)
		}
	})
}

func TestWriteAfterClose(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		conn.Close()
		for i := 0; i < 50; i++ {
			err := conn.Write(context.Background(), func(tx *db.Tx) error { return nil })
			if err == nil {
				t.Fatal("a write after Close succeeded")
			}
		}
	})
}

// TestCanceledWriterKeepsBatch cancels one writer's context while its
// function runs: its statements still run (SQLite would otherwise roll the
// whole shared transaction back), and the other writers in the batch keep
// their writes.
func TestCanceledWriterKeepsBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				errs[i] = conn.Write(ctx, func(tx *db.Tx) error {
					if i%2 == 0 {
						cancel()
					}
					_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'x', 'basic', ?)`, fmt.Sprintf("ten_c%02d", i), time.Now().UTC())
					return err
				})
			}()
		}
		wg.Wait()
		want := 0
		for _, err := range errs {
			if err == nil {
				want++
			}
		}
		var got int
		if err := conn.Read(context.Background(), func(tx *db.Tx) error {
			return tx.Get(&got, `SELECT count(*) FROM tenants`)
		}); err != nil {
			t.Fatal(err)
		}
		if got != want || (d == db.SQLite && want != len(errs)) {
			t.Fatalf("%d rows for %d successful writes (of %d): %v", got, want, len(errs), errs)
		}
	})
}
