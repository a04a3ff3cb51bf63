package event_test

import (
	"context"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// A snapshot taken before a change must not be used after it: SaleFor in a
// write that runs after the change reads the event again.
func TestSnapshotIsNotUsedAfterAChange(t *testing.T) {
	f := newFixture(t, db.SQLite)
	conn, ctx, svc, e, tt := f.conn, f.ctx, f.svc, f.ev, f.tt
	if _, err := svc.Move(ctx, e.ID, event.Publish); err != nil {
		t.Fatal(err)
	}
	status := func(snap *event.Snapshot) string {
		t.Helper()
		var got string
		if err := conn.Write(ctx, func(tx *db.Tx) error {
			sale, err := svc.SaleFor(tx, snap, e.ID, []string{tt.ID}, nil)
			if err != nil {
				return err
			}
			got = sale.Event.Status
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}

	snap := svc.Snapshot(ctx, e.ID)
	if snap == nil {
		t.Fatal("no snapshot of a published event on SQLite")
	}
	if got := status(snap); got != event.StatusPublished {
		t.Fatalf("status from a current snapshot = %s", got)
	}
	if _, err := svc.Move(ctx, e.ID, event.CloseSales); err != nil {
		t.Fatal(err)
	}
	if got := status(snap); got != event.StatusSalesClosed {
		t.Fatalf("status from a snapshot taken before closing = %s, want sales_closed", got)
	}
	if fresh := svc.Snapshot(ctx, e.ID); fresh == nil || status(fresh) != event.StatusSalesClosed {
		t.Fatal("a snapshot taken after closing does not say closed")
	}

	// Another tenant's snapshot is never used for this one, and a ticket
	// type of the event is still checked against it.
	other := db.WithTenant(context.Background(), id.New(id.Tenant))
	if s := svc.Snapshot(other, e.ID); s != nil {
		t.Fatal("another tenant got a snapshot of this event")
	}
	err := conn.Write(ctx, func(tx *db.Tx) error {
		_, err := svc.SaleFor(tx, svc.Snapshot(ctx, e.ID), e.ID, []string{"tt_nope"}, nil)
		return err
	})
	if fault.CodeOf(err) != fault.Validation {
		t.Fatalf("unknown ticket type: err = %v, want validation_failed", err)
	}
}
