package audit_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/audit"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
)

// base is the time of the first entry in each test; entries are an hour
// apart so that time filters have clear edges.
var base = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

type bundle struct {
	conn *db.DB
	svc  *audit.Service
}

func setup(t *testing.T, d db.Dialect) bundle {
	t.Helper()
	conn := dbtest.Open(t, d)
	svc := audit.NewService(conn, nil, func() time.Time { return base })
	t.Cleanup(func() { svc.Close(context.Background()) })
	return bundle{conn: conn, svc: svc}
}

func scoped(tenant string) context.Context {
	return db.WithTenant(context.Background(), tenant)
}

// entry is an entry of ten_a at base plus hour hours.
func entry(hour int, actor, action, target string) api.AuditEntry {
	return api.AuditEntry{
		At:        base.Add(time.Duration(hour) * time.Hour),
		TenantID:  "ten_a",
		Actor:     actor,
		ActorKind: "user",
		Action:    action,
		Target:    target,
		Status:    200,
		RequestID: "req_" + strconv.Itoa(hour),
		IP:        "192.0.2.1",
	}
}

func flush(t *testing.T, svc *audit.Service) {
	t.Helper()
	if err := svc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// hours lists the entries' times as hours after base, to compare listings.
func hours(entries []audit.Entry) []int {
	out := make([]int, len(entries))
	for i, e := range entries {
		out[i] = int(e.At.Sub(base) / time.Hour)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestListFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		for _, e := range []api.AuditEntry{
			entry(0, "usr_1", "create-event", "evt_1"),
			entry(1, "usr_2", "update-event", "evt_1"),
			entry(2, "usr_1", "create-event", "evt_2"),
			entry(3, "key_1", "delete-api-key", "key_9"),
			entry(4, "usr_1", "auth.login", ""),
		} {
			b.svc.Record(context.Background(), e)
		}
		flush(t, b.svc)

		tests := []struct {
			name   string
			filter audit.Filter
			want   []int
		}{
			{"none", audit.Filter{}, []int{4, 3, 2, 1, 0}},
			{"actor", audit.Filter{Actor: ptr("usr_1")}, []int{4, 2, 0}},
			{"action", audit.Filter{Action: ptr("create-event")}, []int{2, 0}},
			{"target", audit.Filter{Target: ptr("evt_1")}, []int{1, 0}},
			{"since is inclusive", audit.Filter{Since: ptr(base.Add(time.Hour))}, []int{4, 3, 2, 1}},
			{"until is exclusive", audit.Filter{Until: ptr(base.Add(2 * time.Hour))}, []int{1, 0}},
			{"since in another zone", audit.Filter{Since: ptr(base.Add(3 * time.Hour).In(time.FixedZone("KST", 9*3600)))}, []int{4, 3}},
			{"combined", audit.Filter{Actor: ptr("usr_1"), Since: ptr(base.Add(time.Hour)), Until: ptr(base.Add(4 * time.Hour))}, []int{2}},
			{"no match", audit.Filter{Actor: ptr("usr_9")}, []int{}},
		}
		for _, tt := range tests {
			list, err := b.svc.List(scoped("ten_a"), tt.filter, api.PageParams{Limit: 50})
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got := hours(list.Body.Data); !slices.Equal(got, tt.want) {
				t.Errorf("%s: entries at hours %v, want %v", tt.name, got, tt.want)
			}
			if list.Body.NextCursor != "" {
				t.Errorf("%s: next_cursor %q on the only page", tt.name, list.Body.NextCursor)
			}
		}

		list, err := b.svc.List(scoped("ten_a"), audit.Filter{Target: ptr("key_9")}, api.PageParams{})
		if err != nil || len(list.Body.Data) != 1 {
			t.Fatalf("one entry: %v, %v", list, err)
		}
		got := list.Body.Data[0]
		want := audit.Entry{ID: got.ID, At: base.Add(3 * time.Hour), Actor: "key_1", ActorKind: "user",
			Action: "delete-api-key", Target: "key_9", Status: 200, RequestID: "req_3", IP: "192.0.2.1"}
		if got != want || got.At.Location() != time.UTC {
			t.Fatalf("entry = %+v, want %+v", got, want)
		}
	})
}

func TestListRejectsBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		tests := []struct {
			name   string
			filter audit.Filter
			page   api.PageParams
		}{
			{"cursor not base64", audit.Filter{}, api.PageParams{Cursor: "!!"}},
			{"cursor not an audit id", audit.Filter{}, api.PageParams{Cursor: api.EncodeCursor("evt_x")}},
			{"until before since", audit.Filter{Since: ptr(base), Until: ptr(base.Add(-time.Hour))}, api.PageParams{}},
		}
		for _, tt := range tests {
			_, err := b.svc.List(scoped("ten_a"), tt.filter, tt.page)
			if !fault.Is(err, fault.Validation) {
				t.Errorf("%s: err = %v, want validation_failed", tt.name, err)
			}
		}
		if _, err := b.svc.List(context.Background(), audit.Filter{}, api.PageParams{}); err == nil {
			t.Error("listing without a tenant succeeded")
		}
	})
}

func TestListPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		for h := range 7 {
			actor := "usr_odd"
			if h%2 == 0 {
				actor = "usr_even"
			}
			b.svc.Record(context.Background(), entry(h, actor, "update-event", "evt_1"))
		}
		flush(t, b.svc)

		tests := []struct {
			name   string
			filter audit.Filter
			limit  int
			pages  [][]int
		}{
			{"all by 3", audit.Filter{}, 3, [][]int{{6, 5, 4}, {3, 2, 1}, {0}}},
			{"all by 7", audit.Filter{}, 7, [][]int{{6, 5, 4, 3, 2, 1, 0}}},
			{"filtered by 2", audit.Filter{Actor: ptr("usr_even")}, 2, [][]int{{6, 4}, {2, 0}}},
		}
		for _, tt := range tests {
			var pages [][]int
			cursor := ""
			for {
				list, err := b.svc.List(scoped("ten_a"), tt.filter, api.PageParams{Limit: tt.limit, Cursor: cursor})
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				pages = append(pages, hours(list.Body.Data))
				cursor = list.Body.NextCursor
				if cursor == "" || len(pages) > 10 {
					break
				}
			}
			if !slices.EqualFunc(pages, tt.pages, slices.Equal) {
				t.Errorf("%s: pages %v, want %v", tt.name, pages, tt.pages)
			}
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		for h := range 3 {
			b.svc.Record(context.Background(), entry(h, "usr_a", "update-event", "evt_a"))
		}
		other := entry(5, "usr_b", "update-event", "evt_b")
		other.TenantID = "ten_b"
		b.svc.Record(context.Background(), other)
		b.svc.RecordLogin(context.Background(), "", "", false)
		flush(t, b.svc)

		tests := []struct {
			tenant string
			want   []int
		}{
			{"ten_a", []int{2, 1, 0}},
			{"ten_b", []int{5}},
			{"ten_c", []int{}},
		}
		for _, tt := range tests {
			list, err := b.svc.List(scoped(tt.tenant), audit.Filter{}, api.PageParams{})
			if err != nil {
				t.Fatal(err)
			}
			if got := hours(list.Body.Data); !slices.Equal(got, tt.want) {
				t.Errorf("%s sees hours %v, want %v", tt.tenant, got, tt.want)
			}
		}
		// The failed login for an unknown account belongs to no tenant.
		var orphans []audit.Entry
		err := b.conn.Read(context.Background(), func(tx *db.Tx) error {
			return tx.Select(&orphans, `SELECT id, at, actor, actor_kind, action, target, status, request_id, ip FROM audit_log WHERE tenant_id = ''`)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(orphans) != 1 || orphans[0].Action != audit.ActionLoginFailed || orphans[0].Actor != "anonymous" || orphans[0].Status != 401 {
			t.Fatalf("entries without a tenant = %+v, want one failed login", orphans)
		}
	})
}

func count(t *testing.T, conn *db.DB) int {
	t.Helper()
	var n int
	err := conn.Read(context.Background(), func(tx *db.Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM audit_log`)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCloseFlushes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		const n = 450 // more than two batches
		for i := range n {
			b.svc.Record(context.Background(), entry(i, "usr_1", "update-event", "evt_1"))
		}
		if err := b.svc.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := count(t, b.conn); got != n {
			t.Fatalf("%d entries stored after Close, want %d", got, n)
		}
		// After Close, entries are written at once rather than lost.
		b.svc.Record(context.Background(), entry(n, "usr_1", "update-event", "evt_1"))
		if got := count(t, b.conn); got != n+1 {
			t.Fatalf("%d entries stored after a late Record, want %d", got, n+1)
		}
		if err := b.svc.Close(context.Background()); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := b.svc.Flush(context.Background()); err != nil {
			t.Fatalf("Flush after Close: %v", err)
		}
	})
}

// TestFullQueueLosesNothing records from many goroutines into a queue of one,
// so that most Records find it full and write synchronously.
func TestFullQueueLosesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		svc := audit.NewServiceWithQueue(conn, nil, time.Now, 1)
		t.Cleanup(func() { svc.Close(context.Background()) })
		const writers, each = 8, 40
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					svc.Record(context.Background(), entry(w*each+i, "usr_1", "update-event", "evt_1"))
				}
			})
		}
		wg.Wait()
		flush(t, svc)
		if got := count(t, conn); got != writers*each {
			t.Fatalf("%d entries stored, want %d", got, writers*each)
		}
	})
}

// TestHostileFields checks that client-supplied text that PostgreSQL would
// reject (invalid UTF-8, NUL) is stored cleaned instead of failing its batch.
func TestHostileFields(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		e := entry(0, "usr_1", "update-event", "evt_\x00\xff1")
		e.RequestID = string(make([]byte, 10000))
		b.svc.Record(context.Background(), e)
		b.svc.Record(context.Background(), entry(1, "usr_1", "update-event", "evt_2"))
		flush(t, b.svc)
		list, err := b.svc.List(scoped("ten_a"), audit.Filter{}, api.PageParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Body.Data) != 2 {
			t.Fatalf("%d entries stored, want 2", len(list.Body.Data))
		}
		if got := list.Body.Data[1]; got.Target != "evt_\uFFFD1" || got.RequestID != "" {
			t.Fatalf("cleaned entry = %+v", got)
		}
	})
}
