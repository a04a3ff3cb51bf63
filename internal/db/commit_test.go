package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// heldSync is a WAL sync that a test holds: each call reports itself on
// entered and returns what the test sends on release.
type heldSync struct {
	entered chan struct{}
	release chan error
	stop    chan struct{} // closed when the test ends, so that Close returns
}

func holdSync(t *testing.T, conn *db.DB) *heldSync {
	h := &heldSync{entered: make(chan struct{}), release: make(chan error), stop: make(chan struct{})}
	t.Cleanup(func() { close(h.stop) }) // runs before dbtest's Close
	db.SetSyncWAL(conn, func() error {
		select {
		case h.entered <- struct{}{}:
		case <-h.stop:
			return nil
		}
		select {
		case err := <-h.release:
			return err
		case <-h.stop:
			return nil
		}
	})
	return h
}

func (h *heldSync) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-h.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no WAL sync started")
	}
}

func insertAsync(conn *db.DB, id string) <-chan error {
	ch := make(chan error, 1)
	go func() {
		ch <- conn.Write(context.Background(), func(tx *db.Tx) error {
			_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'x', 'basic', ?)`, id, time.Now().UTC())
			return err
		})
	}()
	return ch
}

func visible(t *testing.T, conn *db.DB, id string) bool {
	t.Helper()
	var n int
	if err := conn.Read(context.Background(), func(tx *db.Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM tenants WHERE id = ?`, id)
	}); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func notAnswered(t *testing.T, ch <-chan error, what string) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("%s was answered (err = %v) while the WAL sync covering it was held", what, err)
	case <-time.After(100 * time.Millisecond):
	}
}

func answered(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was not answered after its WAL sync", what)
		return nil
	}
}

// TestWriteAnsweredAfterSync checks that SQLite's committer answers a write
// only after a WAL sync that began after its commit, and that the writer
// commits the next batch while that sync runs.
func TestWriteAnsweredAfterSync(t *testing.T) {
	conn := dbtest.Open(t, db.SQLite)
	h := holdSync(t, conn)

	first := insertAsync(conn, "ten_1")
	h.waitEntered(t)
	// Committed (the sync comes after the commit) but not yet answered.
	if !visible(t, conn, "ten_1") {
		t.Fatal("ten_1 is not committed when its sync starts")
	}
	notAnswered(t, first, "ten_1")

	// A failed write has nothing to make durable: answered at once.
	err := conn.Write(context.Background(), func(tx *db.Tx) error { return errors.New("no") })
	if err == nil || err.Error() != "no" {
		t.Fatalf("failed write: err = %v, want its own error", err)
	}

	// The writer is free: a second write runs while the first sync is
	// held, and waits for a sync of its own.
	ran := make(chan struct{})
	second := make(chan error, 1)
	go func() {
		second <- conn.Write(context.Background(), func(tx *db.Tx) error {
			close(ran)
			_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES ('ten_2', 'x', 'basic', ?)`, time.Now().UTC())
			return err
		})
	}()
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the second write did not run while the previous batch's sync was held")
	}
	notAnswered(t, second, "ten_2")

	h.release <- nil // the first sync began before ten_2 committed
	if err := answered(t, first, "ten_1"); err != nil {
		t.Fatalf("ten_1: %v", err)
	}
	notAnswered(t, second, "ten_2")
	h.waitEntered(t)
	if !visible(t, conn, "ten_2") {
		t.Fatal("ten_2 is not committed when its sync starts")
	}
	h.release <- nil
	if err := answered(t, second, "ten_2"); err != nil {
		t.Fatalf("ten_2: %v", err)
	}
}

// TestSyncErrorReachesWriter checks that a failed WAL sync is the error of
// every write it was to make durable, and that writes are refused after it.
func TestSyncErrorReachesWriter(t *testing.T) {
	conn := dbtest.Open(t, db.SQLite)
	h := holdSync(t, conn)
	boom := errors.New("disk on fire")

	w := insertAsync(conn, "ten_1")
	h.waitEntered(t)
	h.release <- boom
	err := answered(t, w, "ten_1")
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "may not be durable") {
		t.Fatalf("write whose sync failed: err = %v, want %v, saying it may not be durable", err, boom)
	}
	// After a failed fsync no later sync proves anything: writes fail
	// without running, and readiness reports it.
	ran := false
	err = conn.Write(context.Background(), func(tx *db.Tx) error { ran = true; return nil })
	if !errors.Is(err, boom) || ran {
		t.Fatalf("write after a failed sync: err = %v, ran = %v; want refused with %v", err, ran, boom)
	}
	if err := conn.Ping(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Ping after a failed sync: %v, want %v", err, boom)
	}
}

// TestCloseWaitsForSync checks that Close answers every committed write
// before it returns, and that writes after it fail.
func TestCloseWaitsForSync(t *testing.T) {
	conn := dbtest.Open(t, db.SQLite)
	h := holdSync(t, conn)

	w := insertAsync(conn, "ten_1")
	h.waitEntered(t)
	closed := make(chan error, 1)
	go func() { closed <- conn.Close() }()
	notAnswered(t, closed, "Close")
	notAnswered(t, w, "ten_1")
	h.release <- nil
	if err := answered(t, w, "ten_1"); err != nil {
		t.Fatalf("ten_1: %v", err)
	}
	if err := answered(t, closed, "Close"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := conn.Write(context.Background(), func(tx *db.Tx) error { return nil }); !errors.Is(err, db.ErrClosed) {
		t.Fatalf("write after Close: %v, want ErrClosed", err)
	}
}

// TestConcurrentWritesSurviveReopen runs many concurrent writers through the
// real WAL sync, some failing, then closes and reopens the database: every
// answered write is there and no failed one is.
func TestConcurrentWritesSurviveReopen(t *testing.T) {
	cfg := dbtest.Config(t, db.SQLite)
	ctx := context.Background()
	conn, err := db.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Migrate(ctx); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	const writers, each = 64, 20
	var wg sync.WaitGroup
	errs := make([]error, writers*each)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				i := g*each + j
				errs[i] = conn.Write(ctx, func(tx *db.Tx) error {
					if _, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'x', 'basic', ?)`, fmt.Sprintf("ten_%04d", i), time.Now().UTC()); err != nil {
						return err
					}
					if i%5 == 0 {
						return errors.New("boom")
					}
					return nil
				})
			}
		}()
	}
	wg.Wait()
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}

	conn, err = db.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var ids []string
	if err := conn.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&ids, `SELECT id FROM tenants`)
	}); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, id := range ids {
		have[id] = true
	}
	for i, err := range errs {
		id := fmt.Sprintf("ten_%04d", i)
		if failed := i%5 == 0; failed != (err != nil) {
			t.Fatalf("write %d: err = %v, want failed=%v", i, err, failed)
		}
		if have[id] != (err == nil) {
			t.Fatalf("write %d (err = %v): row present = %v after reopening", i, err, have[id])
		}
	}
	if want := writers * each * 4 / 5; len(ids) != want {
		t.Fatalf("%d rows after reopening, want %d", len(ids), want)
	}
}
