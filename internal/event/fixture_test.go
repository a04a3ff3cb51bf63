package event_test

import (
	"context"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/id"
)

// fixture is a tenant with a draft event a day ahead of a fixed clock and
// one ticket type of 10, on a database of its own.
type fixture struct {
	conn *db.DB
	ctx  context.Context
	now  func() time.Time
	svc  *event.Service
	ev   *event.Event
	tt   *event.TicketType
}

func newFixture(t *testing.T, d db.Dialect) *fixture {
	t.Helper()
	f := &fixture{conn: dbtest.Open(t, d), now: func() time.Time { return time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC) }}
	tenant := id.New(id.Tenant)
	if err := f.conn.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'T', 'basic', ?)`, tenant, f.now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.ctx = db.WithTenant(context.Background(), tenant)
	f.svc = event.NewService(f.conn, f.now)
	var err error
	f.ev, err = f.svc.Create(f.ctx, event.CreateInput{Name: "Conf", StartsAt: f.now().Add(24 * time.Hour), EndsAt: f.now().Add(30 * time.Hour), Timezone: "Asia/Seoul", Capacity: 100})
	if err != nil {
		t.Fatal(err)
	}
	f.tt, err = f.svc.CreateTicketType(f.ctx, f.ev.ID, event.TicketTypeInput{Name: "General", Currency: "KRW", Quota: 10})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
