package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// The lean outbox (migration 15) keeps every event and its seq, and events
// appended after it still get a seq above every earlier one.
func TestOutboxLeanMigrationKeepsOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		ctx := context.Background()
		conn, err := db.Open(ctx, dbtest.Config(t, d))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := db.MigrateTo(ctx, conn, 14); err != nil {
			t.Fatal(err)
		}
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
		err = conn.Read(ctx, func(tx *db.Tx) error {
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
