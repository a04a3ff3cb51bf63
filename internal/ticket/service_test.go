package ticket

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// fakeCatalog knows events by tenant.
type fakeCatalog struct {
	mu     sync.Mutex
	events map[string]map[string]EventInfo // tenant → event id → info
}

func (c *fakeCatalog) add(tenant, eventID string, ev EventInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.events == nil {
		c.events = map[string]map[string]EventInfo{}
	}
	if c.events[tenant] == nil {
		c.events[tenant] = map[string]EventInfo{}
	}
	c.events[tenant][eventID] = ev
}

func (c *fakeCatalog) TicketEvent(ctx context.Context, eventID, ticketTypeID string) (EventInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tenant, _ := db.TenantFrom(ctx)
	ev, ok := c.events[tenant][eventID]
	if !ok {
		return EventInfo{}, fault.New(fault.NotFound, "no event")
	}
	if ticketTypeID == "" {
		ev.TicketTypeName = ""
	}
	return ev, nil
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is what a service test needs.
type bundle struct {
	svc     *Service
	db      *db.DB
	cat     *fakeCatalog
	clock   *clock
	tenant  string
	ctx     context.Context
	eventID string
	info    EventInfo
}

func setup(t *testing.T, d db.Dialect) *bundle {
	t.Helper()
	b := &bundle{db: dbtest.Open(t, d), cat: &fakeCatalog{}, clock: &clock{t: time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)}}
	b.svc = NewService(Config{}, b.db, b.cat, b.clock.now, nil)
	b.tenant = id.New("ten")
	b.ctx = db.WithTenant(context.Background(), b.tenant)
	b.eventID = id.New("evt")
	b.info = EventInfo{
		Name: "서울 개발자 컨퍼런스 2027", Venue: "COEX Hall A, Seoul", Timezone: "Asia/Seoul",
		StartsAt: time.Date(2027, 3, 1, 1, 0, 0, 0, time.UTC), EndsAt: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC),
		TicketTypeName: "VIP (네트워킹 디너 포함)",
	}
	b.cat.add(b.tenant, b.eventID, b.info)
	return b
}

// issue issues n tickets of one order inside a write, as the order domain does.
func (b *bundle) issue(t *testing.T, orderID string, n int) []IssuedTicket {
	t.Helper()
	in := IssueRequest{OrderID: orderID, EventID: b.eventID, EventStartsAt: b.info.StartsAt, EventEndsAt: b.info.EndsAt}
	for i := 0; i < n; i++ {
		in.Items = append(in.Items, IssueItem{TicketTypeID: id.New("tty"), AttendeeName: "김민준", AttendeeEmail: "minjun@example.com"})
	}
	var out []IssuedTicket
	err := b.db.Write(b.ctx, func(tx *db.Tx) error {
		var err error
		out, err = b.svc.Issue(tx, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != n {
		t.Fatalf("issued %d, want %d", len(out), n)
	}
	return out
}

// publicKeySet builds what a gate holds from the public endpoint's data.
func (b *bundle) publicKeySet(t *testing.T) KeySet {
	t.Helper()
	keys, err := b.svc.PublicKeys(context.Background(), b.eventID)
	if err != nil {
		t.Fatal(err)
	}
	var ks KeySet
	for _, k := range keys {
		vk, err := ParseKey(b.eventID, k)
		if err != nil {
			t.Fatal(err)
		}
		if err := ks.Add(vk); err != nil {
			t.Fatal(err)
		}
	}
	return ks
}

func TestIssueAndVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		order := id.New("ord")
		issued := b.issue(t, order, 3)
		ks := b.publicKeySet(t)
		if ks.Len() != 1 {
			t.Fatalf("%d keys, want 1 made on first issue", ks.Len())
		}
		at := b.info.StartsAt
		for _, it := range issued {
			c, err := Verify(it.Code, ks, at)
			if err != nil {
				t.Fatal(err)
			}
			if c.TicketID != it.ID || c.EventID != b.eventID || c.TicketTypeID != it.TicketTypeID {
				t.Fatalf("claims %+v for %+v", c, it)
			}
			if !c.NotBefore.Equal(b.info.StartsAt.Add(-24*time.Hour)) || !c.NotAfter.Equal(b.info.EndsAt.Add(24*time.Hour)) {
				t.Fatalf("validity %v – %v", c.NotBefore, c.NotAfter)
			}
			// The server's check needs no key set from the caller.
			b.clock.t = at
			if c2, err := b.svc.VerifyCode(b.ctx, it.Code); err != nil || c2 != c {
				t.Fatalf("VerifyCode: %+v %v", c2, err)
			}
			// Another tenant's server-side check does not know the key.
			if _, err := b.svc.VerifyCode(db.WithTenant(context.Background(), id.New("ten")), it.Code); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("other tenant VerifyCode: %v", err)
			}
		}
		got, err := b.svc.Get(b.ctx, issued[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusValid || got.Code != issued[0].Code || got.AttendeeName != "김민준" || got.OrderID != order {
			t.Fatalf("ticket %+v", got)
		}
		if _, err := b.svc.Get(db.WithTenant(context.Background(), id.New("ten")), issued[0].ID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("other tenant Get: %v", err)
		}
		list, err := b.svc.ListByOrder(b.ctx, order)
		if err != nil || len(list) != 3 {
			t.Fatalf("ListByOrder: %d %v", len(list), err)
		}
		// A second order reuses the event's key.
		b.issue(t, id.New("ord"), 1)
		if ks := b.publicKeySet(t); ks.Len() != 1 {
			t.Fatalf("%d keys after a second order", ks.Len())
		}
		var n int
		b.db.Read(b.ctx, func(tx *db.Tx) error {
			return tx.Get(&n, `SELECT COUNT(*) FROM outbox WHERE tenant_id = @tenant AND kind = 'ticket.issued'`)
		})
		if n != 4 {
			t.Fatalf("%d ticket.issued events, want 4", n)
		}
	})
}

func TestConcurrentFirstIssueMakesOneKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.issue(t, id.New("ord"), 1)
			}()
		}
		wg.Wait()
		if ks := b.publicKeySet(t); ks.Len() != 1 {
			t.Fatalf("%d keys, want 1", ks.Len())
		}
	})
}

func TestRevokeOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		keep := b.issue(t, id.New("ord"), 1)
		order := id.New("ord")
		gone := b.issue(t, order, 2)
		b.clock.add(time.Hour)
		revokedAt := b.clock.now()
		for i := 0; i < 2; i++ { // twice: the second is a no-op
			err := b.db.Write(b.ctx, func(tx *db.Tx) error { return b.svc.RevokeOrder(tx, order) })
			if err != nil {
				t.Fatal(err)
			}
			b.clock.add(time.Minute)
		}
		page := api.PageParams{Limit: 50}
		list, err := b.svc.Revocations(b.ctx, b.eventID, time.Time{}, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 2 || list.Body.NextCursor != "" {
			t.Fatalf("revocations %+v", list.Body)
		}
		for _, r := range list.Body.Data {
			if (r.TicketID != gone[0].ID && r.TicketID != gone[1].ID) || !r.RevokedAt.Equal(revokedAt) {
				t.Fatalf("revocation %+v", r)
			}
		}
		if tk, _ := b.svc.Get(b.ctx, keep[0].ID); tk.Status != StatusValid {
			t.Fatalf("other order's ticket is %s", tk.Status)
		}
		if tk, _ := b.svc.Get(b.ctx, gone[0].ID); tk.Status != StatusRevoked || tk.RevokedAt == nil {
			t.Fatalf("revoked ticket %+v", tk)
		}
		// Paging and since.
		p1, err := b.svc.Revocations(b.ctx, b.eventID, time.Time{}, api.PageParams{Limit: 1})
		if err != nil || len(p1.Body.Data) != 1 || p1.Body.NextCursor == "" {
			t.Fatalf("page 1 %+v %v", p1, err)
		}
		p2, err := b.svc.Revocations(b.ctx, b.eventID, time.Time{}, api.PageParams{Limit: 1, Cursor: p1.Body.NextCursor})
		if err != nil || len(p2.Body.Data) != 1 || p2.Body.Data[0].TicketID == p1.Body.Data[0].TicketID {
			t.Fatalf("page 2 %+v %v", p2, err)
		}
		later, err := b.svc.Revocations(b.ctx, b.eventID, revokedAt.Add(time.Second), page)
		if err != nil || len(later.Body.Data) != 0 {
			t.Fatalf("since after: %+v %v", later, err)
		}
		same, err := b.svc.Revocations(b.ctx, b.eventID, revokedAt, page)
		if err != nil || len(same.Body.Data) != 2 {
			t.Fatalf("since inclusive: %+v %v", same, err)
		}
		// Another tenant, or an unknown event: not found.
		if _, err := b.svc.Revocations(db.WithTenant(context.Background(), id.New("ten")), b.eventID, time.Time{}, page); !fault.Is(err, fault.NotFound) {
			t.Fatalf("other tenant: %v", err)
		}
		var n int
		b.db.Read(b.ctx, func(tx *db.Tx) error {
			return tx.Get(&n, `SELECT COUNT(*) FROM outbox WHERE tenant_id = @tenant AND kind = 'ticket.revoked'`)
		})
		if n != 2 {
			t.Fatalf("%d ticket.revoked events, want 2", n)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		old := b.issue(t, id.New("ord"), 1)[0]
		k, err := b.svc.RotateKey(b.ctx, b.eventID)
		if err != nil {
			t.Fatal(err)
		}
		fresh := b.issue(t, id.New("ord"), 1)[0]
		ks := b.publicKeySet(t)
		at := b.info.StartsAt
		oc, err := Verify(old.Code, ks, at)
		if err != nil {
			t.Fatalf("old code after rotation: %v", err)
		}
		nc, err := Verify(fresh.Code, ks, at)
		if err != nil {
			t.Fatal(err)
		}
		if nc.KID != k.KID || oc.KID == k.KID {
			t.Fatalf("kids: old %s new %s rotated %s", oc.KID, nc.KID, k.KID)
		}
		keys, err := b.svc.Keys(b.ctx, b.eventID)
		if err != nil || len(keys) != 2 {
			t.Fatalf("keys %+v %v", keys, err)
		}
		active := 0
		for _, k := range keys {
			if k.Active {
				active++
			}
		}
		if active != 1 {
			t.Fatalf("%d active keys", active)
		}
		// The active key stays; a retired one can go, and its codes with it.
		if err := b.svc.RemoveKey(b.ctx, b.eventID, k.KID); !fault.Is(err, fault.Conflict) {
			t.Fatalf("remove active key: %v", err)
		}
		if err := b.svc.RemoveKey(b.ctx, b.eventID, oc.KID); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(old.Code, b.publicKeySet(t), at); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("old code after removal: %v", err)
		}
		if err := b.svc.RemoveKey(b.ctx, b.eventID, oc.KID); !fault.Is(err, fault.NotFound) {
			t.Fatalf("remove twice: %v", err)
		}
		// Keys of an event without tickets: an empty list; of an unknown
		// event: not found.
		other := id.New("evt")
		b.cat.add(b.tenant, other, b.info)
		if keys, err := b.svc.Keys(b.ctx, other); err != nil || len(keys) != 0 {
			t.Fatalf("keys of a new event: %+v %v", keys, err)
		}
		if _, err := b.svc.Keys(b.ctx, id.New("evt")); !fault.Is(err, fault.NotFound) {
			t.Fatalf("keys of an unknown event: %v", err)
		}
		if _, err := b.svc.PublicKeys(context.Background(), other); !fault.Is(err, fault.NotFound) {
			t.Fatalf("public keys of an event without keys: %v", err)
		}
	})
}
