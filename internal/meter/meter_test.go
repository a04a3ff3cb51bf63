package meter

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/outbox"
	"github.com/usher-events/usher/internal/ratelimit"
)

// tiers is a TierSource from a map, counting its reads.
type tiers struct {
	mu    sync.Mutex
	of    map[string]string
	reads int
}

func (t *tiers) TierOf(_ context.Context, id string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reads++
	if n, ok := t.of[id]; ok {
		return n, nil
	}
	return "", fault.New(fault.NotFound, "no tenant %s", id)
}

func TestLinePricing(t *testing.T) {
	tier := Tier{Name: "t", MonthlyFee: 1000,
		Included: map[string]int64{APICalls: 1000, TicketsIssued: 10},
		Prices:   map[string]Price{APICalls: {100, 1000}, TicketsIssued: {50, 1}}}
	for _, tc := range []struct {
		metric         string
		qty            int64
		billable, cost int64
	}{
		{APICalls, 999, 0, 0},
		{APICalls, 1000, 0, 0},
		{APICalls, 1001, 1, 100},    // a started thousand is a thousand
		{APICalls, 3000, 2000, 200}, // exactly two thousand
		{TicketsIssued, 12, 2, 100},
		{Checkins, 5000, 5000, 0}, // no price: counted, not charged
	} {
		l := tier.line(tc.metric, tc.qty)
		if l.Billable != tc.billable || l.Amount != tc.cost {
			t.Errorf("%s × %d: billable %d amount %d, want %d and %d", tc.metric, tc.qty, l.Billable, l.Amount, tc.billable, tc.cost)
		}
	}
	st := statement("2026-12", tier, map[string]int64{APICalls: 3000, TicketsIssued: 12}, 2000)
	if st.Total != 1000+200+100 || st.Used != 65 || len(st.Lines) != len(Metrics) {
		t.Errorf("statement: total %d used %d lines %d", st.Total, st.Used, len(st.Lines))
	}
}

func TestEveryTierPricesKnownMetrics(t *testing.T) {
	for _, n := range TierNames {
		tier, ok := Tiers[n]
		if !ok || tier.Name != n {
			t.Fatalf("tier %q is missing or misnamed", n)
		}
		for m, p := range tier.Prices {
			if p.Per <= 0 || p.Amount < 0 {
				t.Errorf("%s: price of %s is %+v", n, m, p)
			}
			if _, ok := tier.Included[m]; !ok {
				t.Errorf("%s: %s has a price but no included units", n, m)
			}
		}
	}
}

func TestPeriods(t *testing.T) {
	s := &Service{now: func() time.Time { return time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC) }}
	if p, err := s.parsePeriod(""); err != nil || p != "2026-12" {
		t.Errorf("current period: %q %v", p, err)
	}
	if p, err := s.parsePeriod("2027-01"); err != nil || p != "2027-01" {
		t.Errorf("given period: %q %v", p, err)
	}
	for _, bad := range []string{"2026-13", "26-12", "2026/12", "december", "1999-12"} {
		if _, err := s.parsePeriod(bad); !fault.Is(err, fault.Validation) {
			t.Errorf("period %q: %v, want validation_failed", bad, err)
		}
	}
	// A time zone does not move a time across months.
	kst := time.FixedZone("KST", 9*3600)
	if p := Period(time.Date(2027, 1, 1, 8, 0, 0, 0, kst)); p != "2026-12" {
		t.Errorf("Period in KST = %s, want the UTC month 2026-12", p)
	}
}

// The basic tier's burst goes through, then the limiter refuses until time
// passes; enterprise has no limit; calls are counted either way.
func TestAdmitAppliesTheTier(t *testing.T) {
	clk := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	lim := ratelimit.NewMemory()
	lim.SetClock(func() time.Time { return clk })
	src := &tiers{of: map[string]string{"ten_a": "basic", "ten_b": "enterprise"}}
	s := NewService(Deps{Limiter: lim, Tiers: src, Now: func() time.Time { return clk }}, Config{Enforce: true})
	ctx := context.Background()
	basic := Tiers["basic"]
	for i := range basic.Burst {
		if ok, _ := s.Admit(ctx, "ten_a"); !ok {
			t.Fatalf("call %d of the burst refused", i+1)
		}
	}
	ok, wait := s.Admit(ctx, "ten_a")
	if ok || wait <= 0 {
		t.Fatalf("call over the burst: ok %v, wait %v", ok, wait)
	}
	for range 1000 {
		if ok, _ := s.Admit(ctx, "ten_b"); !ok {
			t.Fatal("an enterprise call was refused")
		}
	}
	clk = clk.Add(time.Second)
	if ok, _ := s.Admit(ctx, "ten_a"); !ok {
		t.Error("still refused a second later")
	}
	if src.reads != 2 {
		t.Errorf("tiers read %d times, want once per tenant", src.reads)
	}
	c, _ := s.calls.Load("ten_a")
	if n := c.(interface{ Load() int64 }).Load(); n != int64(basic.Burst)+2 {
		t.Errorf("ten_a calls counted: %d, want %d (refused ones too)", n, basic.Burst+2)
	}

	off := NewService(Deps{Limiter: lim, Tiers: src, Now: func() time.Time { return clk }}, Config{})
	for range 500 {
		if ok, _ := off.Admit(ctx, "ten_a"); !ok {
			t.Fatal("refused with the limits off")
		}
	}
}

func TestCountsReachTheDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		ctx := context.Background()
		dec := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
		now := dec
		for _, id := range []string{"ten_a", "ten_b"} {
			if err := conn.Write(ctx, func(tx *db.Tx) error {
				_, err := tx.Global().Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, ?, 'professional', ?)`, id, id, now)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		src := &tiers{of: map[string]string{"ten_a": "professional", "ten_b": "professional"}}
		s := NewService(Deps{DB: conn, Limiter: ratelimit.NewMemory(), Tiers: src, Now: func() time.Time { return now }}, Config{})
		for range 7 {
			s.Admit(ctx, "ten_a")
		}
		s.Admit(ctx, "ten_b")
		// Events of two months in one batch, through the consumer.
		events := []outbox.Event{
			{ID: "e1", Kind: "order.created", CreatedAt: dec},
			{ID: "e2", Kind: "order.created", CreatedAt: dec.Add(2 * time.Hour)},
			{ID: "e3", Kind: "ticket.issued", CreatedAt: dec},
			{ID: "e3b", Kind: "ticket.issued", CreatedAt: dec},
			{ID: "e3c", Kind: "ticket.issued", CreatedAt: dec},
			{ID: "e4", Kind: "checkin.recorded", CreatedAt: dec},
			{ID: "e5", Kind: "participation.created", CreatedAt: dec},
		}
		if err := conn.Write(db.WithTenant(ctx, "ten_a"), func(tx *db.Tx) error {
			if err := count(tx, events); err != nil {
				return err
			}
			return Add(tx, dec, Emails, 4)
		}); err != nil {
			t.Fatal(err)
		}
		if err := conn.Write(db.WithTenant(ctx, "ten_a"), func(tx *db.Tx) error {
			return count(tx, []outbox.Event{{ID: "bad", Kind: "order.paid", CreatedAt: dec}})
		}); err == nil {
			t.Error("an event the meter does not count was accepted")
		}

		st, err := s.Statement(db.WithTenant(ctx, "ten_a"), "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{APICalls: 7, Holds: 1, TicketsIssued: 3, Checkins: 1, Participations: 1, Emails: 4}
		for _, l := range st.Lines {
			if l.Quantity != want[l.Metric] {
				t.Errorf("December %s = %d, want %d", l.Metric, l.Quantity, want[l.Metric])
			}
		}
		if st.Tier != "professional" || st.Total != Tiers["professional"].MonthlyFee || st.Final {
			t.Errorf("December statement: %+v", st)
		}
		jan, err := s.Statement(db.WithTenant(ctx, "ten_a"), "2027-01")
		if err != nil {
			t.Fatal(err)
		}
		if jan.Lines[1].Metric != Holds || jan.Lines[1].Quantity != 1 || jan.Lines[0].Quantity != 0 {
			t.Errorf("January: %+v", jan.Lines)
		}
		b, err := s.Statement(db.WithTenant(ctx, "ten_b"), "")
		if err != nil {
			t.Fatal(err)
		}
		if b.Lines[0].Quantity != 1 || b.Lines[1].Quantity != 0 {
			t.Errorf("ten_b sees %+v", b.Lines)
		}
		now = dec.AddDate(0, 1, 0)
		if st, _ := s.Statement(db.WithTenant(ctx, "ten_a"), "2026-12"); !st.Final {
			t.Error("December is not final in February")
		}
		h, err := s.History(db.WithTenant(ctx, "ten_a"))
		if err != nil || len(h) != 2 || h[0].Period != "2027-01" || h[1].Period != "2026-12" {
			t.Errorf("history: %+v %v", h, err)
		}
	})
}

// A budget raises each threshold once per month, as an outbox event.
func TestBudgetAlerts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		ctx := db.WithTenant(context.Background(), "ten_a")
		now := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
		if err := conn.Write(ctx, func(tx *db.Tx) error {
			_, err := tx.Global().Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES ('ten_a', 'A', 'basic', ?)`, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		s := NewService(Deps{DB: conn, Limiter: ratelimit.NewMemory(), Tiers: &tiers{of: map[string]string{"ten_a": "basic"}},
			Now: func() time.Time { return now }}, Config{})
		for _, bad := range []int64{-1, MaxBudget + 1} {
			if _, err := s.SetBudget(ctx, bad); !fault.Is(err, fault.Validation) {
				t.Errorf("budget %d: %v", bad, err)
			}
		}
		// 600 tickets on basic: 100 beyond the 500 included, at 50 each.
		if err := conn.Write(ctx, func(tx *db.Tx) error { return Add(tx, now, TicketsIssued, 600) }); err != nil {
			t.Fatal(err)
		}
		b, err := s.SetBudget(ctx, 6000) // 5,000 is 83 %
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Alerts) != 1 || b.Alerts[0].Threshold != 80 || b.Alerts[0].Total != 5000 {
			t.Fatalf("alerts after setting the budget: %+v", b.Alerts)
		}
		if err := s.CheckBudgets(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := conn.Write(ctx, func(tx *db.Tx) error { return Add(tx, now, TicketsIssued, 100) }); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckBudgets(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckBudgets(context.Background()); err != nil {
			t.Fatal(err)
		}
		b, _ = s.Budget(ctx)
		if len(b.Alerts) != 2 || b.Alerts[0].Threshold != 100 || b.Alerts[0].Total != 10000 {
			t.Errorf("alerts: %+v", b.Alerts)
		}
		var kinds []string
		if err := conn.Read(ctx, func(tx *db.Tx) error {
			return tx.Select(&kinds, `SELECT kind FROM outbox WHERE tenant_id = @tenant`)
		}); err != nil {
			t.Fatal(err)
		}
		if len(kinds) != 2 || kinds[0] != AlertKind {
			t.Errorf("outbox events: %v, want two %s", kinds, AlertKind)
		}
	})
}
