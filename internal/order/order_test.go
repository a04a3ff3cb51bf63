package order_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/wallet"
)

// fakeIssuer stands in for the ticket domain.
type fakeIssuer struct {
	mu      sync.Mutex
	revoked []string
}

func (f *fakeIssuer) Issue(tx *db.Tx, in order.IssueRequest) ([]order.IssuedTicket, error) {
	out := make([]order.IssuedTicket, len(in.Items))
	for i, it := range in.Items {
		tid := id.New("tkt")
		out[i] = order.IssuedTicket{ID: tid, Code: "CODE-" + tid, TicketTypeID: it.TicketTypeID}
	}
	return out, nil
}

func (f *fakeIssuer) RevokeOrder(tx *db.Tx, orderID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked = append(f.revoked, orderID)
	return nil
}

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

type fixture struct {
	ctx     context.Context
	conn    *db.DB
	clock   *clock
	events  *event.Service
	wallets *wallet.Service
	orders  *order.Service
	issuer  *fakeIssuer
	event   *event.Event
	general *event.TicketType
}

// setup makes a tenant with a published event whose "General" type has the quota.
func setup(t *testing.T, d db.Dialect, quota int, price int64) *fixture {
	t.Helper()
	conn := dbtest.Open(t, d)
	c := &clock{}
	c.ns.Store(time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC).UnixNano())
	tenantID := id.New(id.Tenant)
	err := conn.Write(context.Background(), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'T', 'basic', ?)`, tenantID, c.now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: db.WithTenant(context.Background(), tenantID), conn: conn, clock: c, issuer: &fakeIssuer{}}
	f.events = event.NewService(conn, c.now)
	f.wallets = wallet.NewService(conn, c.now)
	f.orders = order.NewService(order.Deps{DB: conn, Events: f.events, Wallets: f.wallets, Tickets: f.issuer, Now: c.now})
	f.events.UseSales(f.orders)
	f.event, err = f.events.Create(f.ctx, event.CreateInput{Name: "Conf", StartsAt: c.now().Add(30 * 24 * time.Hour), EndsAt: c.now().Add(30*24*time.Hour + 8*time.Hour), Timezone: "Asia/Seoul", Capacity: 1000})
	if err != nil {
		t.Fatal(err)
	}
	f.general, err = f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "General", Price: price, Currency: "KRW", Quota: quota})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.events.Move(f.ctx, f.event.ID, event.Publish); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) hold(customerID string, typeID string, qty int) (*order.Order, error) {
	return f.orders.Create(f.ctx, f.event.ID, order.CreateInput{
		CustomerID: customerID, Buyer: order.Buyer{Name: "Kim", Email: "kim@example.com"},
		Items: []order.ItemInput{{TicketTypeID: typeID, Quantity: qty}},
	})
}

func wantCode(t *testing.T, err error, code fault.Code) {
	t.Helper()
	if fault.CodeOf(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

func TestConcurrentHoldsNeverExceedQuota(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 50, 1000)
		var ok, soldOut atomic.Int64
		var wg sync.WaitGroup
		for range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.hold("", f.general.ID, 1)
				switch fault.CodeOf(err) {
				case "":
					ok.Add(1)
				case fault.SoldOut:
					soldOut.Add(1)
				default:
					t.Errorf("hold: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 50 || soldOut.Load() != 150 {
			t.Fatalf("held %d, sold out %d; want 50 and 150", ok.Load(), soldOut.Load())
		}
		types, err := f.events.ListTicketTypes(f.ctx, f.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		if types[0].Held != 50 || types[0].Available != 0 {
			t.Fatalf("type = %+v", types[0])
		}
	})
}

func TestConcurrentWalletPayments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		const price = 1000
		f := setup(t, d, 200, price)
		c, err := f.wallets.CreateCustomer(f.ctx, wallet.CustomerInput{Email: "buyer@example.com", Name: "Buyer"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.wallets.Charge(f.ctx, c.ID, 30*price+price/2); err != nil {
			t.Fatal(err)
		}
		orders := make([]*order.Order, 100)
		for i := range orders {
			if orders[i], err = f.hold(c.ID, f.general.ID, 1); err != nil {
				t.Fatal(err)
			}
		}
		var paid, poor atomic.Int64
		var wg sync.WaitGroup
		for _, o := range orders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.orders.Pay(f.ctx, o.ID, order.MethodWallet)
				switch fault.CodeOf(err) {
				case "":
					paid.Add(1)
				case fault.InsufficientPoints:
					poor.Add(1)
				default:
					t.Errorf("pay: %v", err)
				}
			}()
		}
		wg.Wait()
		if paid.Load() != 30 || poor.Load() != 70 {
			t.Fatalf("paid %d, refused %d; want 30 and 70", paid.Load(), poor.Load())
		}
		w, err := f.wallets.Get(f.ctx, c.ID, apiPage(200))
		if err != nil {
			t.Fatal(err)
		}
		if w.Balance != price/2 || len(w.Entries) != 31 {
			t.Fatalf("balance %d with %d entries; want %d and 31", w.Balance, len(w.Entries), price/2)
		}
		if err := f.wallets.CheckLedger(f.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestExpiredHold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 2, 500)
		o, err := f.hold("", f.general.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != order.StatusHeld || o.ExpiresAt == nil || !o.ExpiresAt.Equal(f.clock.now().Add(5*time.Minute)) {
			t.Fatalf("order = %+v", o)
		}
		_, err = f.hold("", f.general.ID, 1)
		wantCode(t, err, fault.SoldOut)
		f.clock.add(5 * time.Minute)
		// Free at once: no sweeper ran.
		second, err := f.hold("", f.general.ID, 2)
		if err != nil {
			t.Fatalf("hold after expiry: %v", err)
		}
		_, err = f.orders.Pay(f.ctx, o.ID, order.MethodManual)
		wantCode(t, err, fault.HoldExpired)
		got, err := f.orders.Get(f.ctx, o.ID)
		if err != nil || got.Status != order.StatusExpired {
			t.Fatalf("expired order = %+v, %v", got, err)
		}
		paid, err := f.orders.Pay(f.ctx, second.ID, order.MethodManual)
		if err != nil || paid.Status != order.StatusPaid || len(paid.Tickets) != 2 {
			t.Fatalf("pay = %+v, %v", paid, err)
		}
		// A paid order is paid once: paying again answers the same.
		again, err := f.orders.Pay(f.ctx, second.ID, order.MethodManual)
		if err != nil || again.Tickets[0].Code != paid.Tickets[0].Code {
			t.Fatalf("pay again = %+v, %v", again, err)
		}
	})
}

func TestCancelRefundsAndFreesQuota(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 3, 700)
		c, err := f.wallets.CreateCustomer(f.ctx, wallet.CustomerInput{Email: "c@example.com", Name: "C"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.wallets.Charge(f.ctx, c.ID, 3000); err != nil {
			t.Fatal(err)
		}
		o, err := f.hold(c.ID, f.general.ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.Pay(f.ctx, o.ID, order.MethodWallet); err != nil {
			t.Fatal(err)
		}
		_, err = f.hold("", f.general.ID, 1)
		wantCode(t, err, fault.SoldOut)
		cancelled, err := f.orders.Cancel(f.ctx, o.ID)
		if err != nil || cancelled.Status != order.StatusCancelled {
			t.Fatalf("cancel = %+v, %v", cancelled, err)
		}
		for _, tk := range cancelled.Tickets {
			if tk.RevokedAt == nil {
				t.Fatalf("ticket %s not revoked", tk.ID)
			}
		}
		if len(f.issuer.revoked) != 1 || f.issuer.revoked[0] != o.ID {
			t.Fatalf("revoked = %v", f.issuer.revoked)
		}
		// Cancelling twice refunds once.
		if _, err := f.orders.Cancel(f.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		w, err := f.wallets.Get(f.ctx, c.ID, apiPage(50))
		if err != nil {
			t.Fatal(err)
		}
		if w.Balance != 3000 || len(w.Entries) != 3 || w.Entries[0].Kind != wallet.KindRefund || w.Entries[0].Amount != 2100 || *w.Entries[0].OrderID != o.ID {
			t.Fatalf("wallet = %+v", w)
		}
		if _, err := f.hold("", f.general.ID, 3); err != nil {
			t.Fatalf("quota not freed: %v", err)
		}
		if err := f.wallets.CheckLedger(f.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerificationFormAndSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d, 10, 1000)
		student, err := f.events.CreateTicketType(f.ctx, f.event.ID, event.TicketTypeInput{Name: "Student", Price: 100, Currency: "KRW", Quota: 2, RequiresVerification: true})
		if err != nil {
			t.Fatal(err)
		}
		o, err := f.hold("", student.ID, 2)
		if err != nil || o.Status != order.StatusPendingVerification {
			t.Fatalf("student order = %+v, %v", o, err)
		}
		_, err = f.orders.Pay(f.ctx, o.ID, order.MethodManual)
		wantCode(t, err, fault.VerificationRequired)
		_, err = f.hold("", student.ID, 1)
		wantCode(t, err, fault.SoldOut)
		f.clock.add(time.Hour) // waiting for staff does not expire
		ok, err := f.orders.ApproveVerification(f.ctx, o.ID)
		if err != nil || ok.Status != order.StatusHeld || !ok.ExpiresAt.Equal(f.clock.now().Add(5*time.Minute)) {
			t.Fatalf("approve = %+v, %v", ok, err)
		}
		if _, err := f.orders.Pay(f.ctx, o.ID, order.MethodManual); err != nil {
			t.Fatal(err)
		}

		// Form: required organization, optional LinkedIn, a versioned consent.
		_, err = f.events.SetForm(f.ctx, f.event.ID, event.Form{
			Fields:   []event.Field{{Key: "name", Required: true}, {Key: "organization", Required: true}, {Key: "linkedin"}, {Key: "diet", Type: "choice", Options: []string{"none", "vegan"}}},
			Consents: []event.Consent{{Key: "terms", Text: "I agree", Version: "2027-01", Required: true}, {Key: "marketing", Text: "News", Version: "v3"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		keynote, err := f.events.CreateSession(f.ctx, f.event.ID, event.SessionInput{Name: "Keynote", StartsAt: f.event.StartsAt, EndsAt: f.event.StartsAt.Add(time.Hour), Capacity: 3})
		if err != nil {
			t.Fatal(err)
		}
		clash, err := f.events.CreateSession(f.ctx, f.event.ID, event.SessionInput{Name: "Clash", StartsAt: f.event.StartsAt.Add(30 * time.Minute), EndsAt: f.event.StartsAt.Add(2 * time.Hour), Capacity: 3})
		if err != nil {
			t.Fatal(err)
		}
		in := order.CreateInput{Buyer: order.Buyer{Name: "Lee", Email: "lee@example.com"}, Items: []order.ItemInput{{TicketTypeID: f.general.ID, Quantity: 2}}}
		_, err = f.orders.Create(f.ctx, f.event.ID, in)
		wantCode(t, err, fault.Validation)
		in.Answers = map[string]any{"organization": "Hanbit", "linkedin": "not a url", "diet": "meat"}
		in.Consents = map[string]bool{"terms": true}
		_, err = f.orders.Create(f.ctx, f.event.ID, in)
		if fe, ok := err.(*fault.Error); !ok || len(fe.Fields) != 2 {
			t.Fatalf("want 2 field errors, got %v", err)
		}
		in.Answers = map[string]any{"organization": "Hanbit", "linkedin": "https://linkedin.com/in/lee", "diet": "vegan"}
		in.Sessions = []string{keynote.ID, clash.ID}
		_, err = f.orders.Create(f.ctx, f.event.ID, in)
		wantCode(t, err, fault.Validation)
		in.Sessions = []string{keynote.ID}
		o2, err := f.orders.Create(f.ctx, f.event.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(o2.Consents) != 2 || o2.Consents[1].Version != "2027-01" || !o2.Consents[1].Granted || o2.Answers["organization"] != "Hanbit" {
			t.Fatalf("order = %+v", o2)
		}
		_, err = f.orders.Create(f.ctx, f.event.ID, in)
		wantCode(t, err, fault.SessionFull)
	})
}

func apiPage(limit int) api.PageParams { return api.PageParams{Limit: limit} }
