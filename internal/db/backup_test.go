package db_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A backup taken while writes go on is a consistent database holding every
// write answered before it began, and restores into a folder a server can
// open.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	conn, err := db.Open(ctx, db.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	insert := func(i int64) error {
		return conn.Write(ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'x', 'basic', ?)`, fmt.Sprintf("ten_%06d", i), time.Now().UTC())
			return err
		})
	}
	for i := range int64(100) {
		if err := insert(i); err != nil {
			t.Fatal(err)
		}
	}
	var next atomic.Int64
	next.Store(100)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := insert(next.Add(1)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	out := filepath.Join(t.TempDir(), "copy.db")
	if err := conn.Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if err := conn.Backup(ctx, out); err == nil {
		t.Error("a backup over an existing file succeeded")
	}

	restored := t.TempDir()
	if kept, err := db.Restore(ctx, restored, out); err != nil || kept != "" {
		t.Fatalf("restore into an empty folder: %q %v", kept, err)
	}
	again, err := db.Open(ctx, db.Config{DataDir: restored})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := again.Read(ctx, func(tx *db.Tx) error { return tx.Global().Get(&n, `SELECT COUNT(*) FROM tenants`) }); err != nil {
		t.Fatal(err)
	}
	if n < 100 || int64(n) > next.Load() {
		t.Fatalf("the copy holds %d tenants; between 100 and %d were written", n, next.Load())
	}
}

func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	release, err := db.LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.LockDataDir(dir); !errors.Is(err, db.ErrDirInUse) {
		t.Errorf("a second lock: %v", err)
	}
	src := t.TempDir()
	conn, err := db.Open(ctx, db.Config{DataDir: src})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "copy.db")
	if err := conn.Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if _, err := db.Restore(ctx, dir, out); !errors.Is(err, db.ErrDirInUse) {
		t.Errorf("restore into a locked folder: %v", err)
	}
	release()
	if _, err := db.Restore(ctx, dir, out); err != nil {
		t.Errorf("restore after the lock was released: %v", err)
	}
	// An SQLite file without Usher's migrations is not a backup.
	bare := t.TempDir()
	plain, err := db.Open(ctx, db.Config{DataDir: bare})
	if err != nil {
		t.Fatal(err)
	}
	plain.Close()
	if _, err := db.Restore(ctx, t.TempDir(), filepath.Join(bare, "usher.db")); err == nil {
		t.Error("a database without migrations was restored")
	}
}

func TestBackupOnPostgresPointsToItsTools(t *testing.T) {
	if dbtest.PostgresURL() == "" {
		t.Skip("USHER_TEST_POSTGRES_URL is not set")
	}
	conn := dbtest.Open(t, db.Postgres)
	if err := conn.Backup(context.Background(), filepath.Join(t.TempDir(), "x.db")); !errors.Is(err, db.ErrBackupPostgres) {
		t.Errorf("backup on PostgreSQL: %v", err)
	}
}
