// Package wallet owns customers and their points wallets. Every movement of
// points is a transfer of two ledger entries that sum to zero — the
// wallet's side and a system account of the tenant ("issued" for charges,
// "sales" for payments and refunds) — and the wallet's balance is kept
// beside the ledger by conditional writes, so that it can never go
// negative, also under many concurrent payments.
package wallet

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/phone"
)

// Id prefixes of the wallet domain.
const (
	CustomerPrefix = "cus"
	walletPrefix   = "wal"
	entryPrefix    = "led"
	transferPrefix = "trf"
)

// Kinds of ledger entries.
const (
	KindCharge  = "charge"
	KindPayment = "payment"
	KindRefund  = "refund"
)

// The tenant's system accounts, the other side of every wallet movement.
const (
	accountIssued = "sys:issued"
	accountSales  = "sys:sales"
)

// maxAmount bounds one movement, and maxBalance a wallet, far below int64
// overflow.
const (
	maxAmount  = 1_000_000_000_000
	maxBalance = 1_000_000_000_000_000
)

// Customer is a person who buys: the owner of a points wallet.
type Customer struct {
	ID        string    `json:"id" db:"id"`
	Email     string    `json:"email" db:"email"`
	Name      string    `json:"name" db:"name"`
	Phone     string    `json:"phone" db:"phone"`
	Balance   int64     `json:"balance" db:"balance" doc:"Points in the wallet."`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

// Entry is one movement of a wallet.
type Entry struct {
	ID string    `json:"id" db:"id"`
	At time.Time `json:"at" db:"at"`
	// Amount is positive into the wallet, negative out of it.
	Amount  int64   `json:"amount" db:"amount"`
	Kind    string  `json:"kind" db:"kind" enum:"charge,payment,refund"`
	OrderID *string `json:"order_id,omitempty" db:"order_id"`
}

// Wallet is a customer's balance with its history, newest first.
type Wallet struct {
	Balance    int64   `json:"balance"`
	Entries    []Entry `json:"entries"`
	NextCursor string  `json:"next_cursor,omitempty" doc:"Pass as cursor for older entries."`
}

// Service holds the wallet domain's rules.
type Service struct {
	db  *db.DB
	now func() time.Time
}

// NewService returns the wallet service.
func NewService(conn *db.DB, now func() time.Time) *Service {
	return &Service{db: conn, now: now}
}

// CustomerInput describes a new customer.
type CustomerInput struct {
	Email string `json:"email" format:"email" maxLength:"254"`
	Name  string `json:"name" minLength:"1" maxLength:"200"`
	Phone string `json:"phone,omitempty" maxLength:"40"`
}

// Validate checks and normalizes a new customer's fields.
func (in *CustomerInput) Validate() error {
	var c fault.Check
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.TrimSpace(in.Name)
	a, err := mail.ParseAddress(in.Email)
	c.Add(err != nil || a.Address != in.Email, "email", "must be an email address")
	c.Add(in.Name == "", "name", "must not be empty")
	// Optional; stored in E.164 so that a customer is found by any spelling.
	ph, perr := phone.NormalizeOptional(in.Phone, phone.DefaultRegion)
	c.Add(perr != nil, "phone", phone.Message)
	in.Phone = ph
	return c.Err()
}

// CreateCustomer adds a customer with an empty wallet. An email is one
// customer per tenant: a second one is a 409 conflict.
func (s *Service) CreateCustomer(ctx context.Context, in CustomerInput) (*Customer, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	c := &Customer{ID: id.New(CustomerPrefix), Email: in.Email, Name: in.Name, Phone: in.Phone, CreatedAt: s.now()}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(`INSERT INTO customers (tenant_id, id, email, name, phone, created_at) VALUES (@tenant, ?, ?, ?, ?, ?)`,
			c.ID, c.Email, c.Name, c.Phone, c.CreatedAt); err != nil {
			if fault.Is(err, fault.Conflict) {
				return fault.Wrap(err, fault.Conflict, "a customer with this email already exists")
			}
			return err
		}
		_, err := tx.Exec(`INSERT INTO wallets (tenant_id, id, customer_id, balance, updated_at) VALUES (@tenant, ?, ?, 0, ?)`,
			id.New(walletPrefix), c.ID, c.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, c.ID)
	return c, nil
}

const customerColumns = `c.id, c.email, c.name, c.phone, w.balance, c.created_at`

// GetCustomer returns one customer with the wallet's balance.
func (s *Service) GetCustomer(ctx context.Context, customerID string) (*Customer, error) {
	var c *Customer
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		c, err = s.CustomerTx(tx, customerID)
		return err
	})
	return c, err
}

// CustomerTx returns one customer of tx's tenant inside tx.
func (s *Service) CustomerTx(tx *db.Tx, customerID string) (*Customer, error) {
	var c Customer
	err := tx.Get(&c, `SELECT `+customerColumns+` FROM customers c JOIN wallets w ON w.customer_id = c.id
		WHERE c.id = ? AND c.tenant_id = @tenant`, customerID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no customer %q", customerID)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// ListCustomers returns the tenant's customers, newest first, optionally
// only those whose name or email contains q.
func (s *Service) ListCustomers(ctx context.Context, q string, page api.PageParams) (*api.List[Customer], error) {
	query := `SELECT ` + customerColumns + ` FROM customers c JOIN wallets w ON w.customer_id = c.id WHERE c.tenant_id = @tenant`
	var args []any
	if q = strings.TrimSpace(q); q != "" {
		like := db.Contains(strings.ToLower(q))
		query += ` AND (LOWER(c.name) LIKE ? ESCAPE '\' OR c.email LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	query, args, err := page.Keyset(query, "c.id", args...)
	if err != nil {
		return nil, err
	}
	var out []Customer
	err = s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&out, query, args...) })
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(c Customer) string { return c.ID }), nil
}

// Charge adds points to a customer's wallet and returns the new balance.
// Retries are made safe by the Idempotency-Key layer in front of it.
func (s *Service) Charge(ctx context.Context, customerID string, amount int64) (int64, error) {
	var balance int64
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := s.CustomerTx(tx, customerID); err != nil {
			return err
		}
		if amount <= 0 || amount > maxAmount {
			return fault.Field("amount", "must be between 1 and 10^12")
		}
		var err error
		balance, err = s.credit(tx, customerID, amount, KindCharge, accountIssued, nil, s.now())
		return err
	})
	if err != nil {
		return 0, err
	}
	api.SetTarget(ctx, customerID)
	return balance, nil
}

// DebitTx pays amount of points for an order from the customer's wallet,
// inside the order's transaction. The balance check and the debit are one
// conditional write, so concurrent payments can never take the balance
// below zero; a balance that does not cover the amount is
// insufficient_points.
func (s *Service) DebitTx(tx *db.Tx, customerID string, amount int64, orderID string, at time.Time) error {
	if amount <= 0 || amount > maxAmount {
		return fault.New(fault.Invalid, "a payment must be between 1 and 10^12 points")
	}
	var walletID string
	err := tx.Get(&walletID, `UPDATE wallets SET balance = balance - ?, updated_at = ?
		WHERE customer_id = ? AND tenant_id = @tenant AND balance >= ? RETURNING id`,
		amount, at, customerID, amount)
	if fault.Is(err, fault.NotFound) {
		if _, err := s.CustomerTx(tx, customerID); err != nil {
			return err
		}
		return fault.New(fault.InsufficientPoints, "the wallet holds fewer than %d points", amount)
	}
	if err != nil {
		return err
	}
	return s.transfer(tx, walletID, accountSales, -amount, KindPayment, &orderID, at)
}

// RefundTx gives an order's payment back to the customer's wallet, inside
// the order's transaction. An order is refunded at most once (a unique
// index on the ledger says so).
func (s *Service) RefundTx(tx *db.Tx, customerID string, amount int64, orderID string, at time.Time) error {
	if amount <= 0 {
		return nil
	}
	_, err := s.credit(tx, customerID, amount, KindRefund, accountSales, &orderID, at)
	return err
}

// credit adds amount to a wallet, taken from the system account.
func (s *Service) credit(tx *db.Tx, customerID string, amount int64, kind, from string, orderID *string, at time.Time) (int64, error) {
	var row struct {
		ID      string `db:"id"`
		Balance int64  `db:"balance"`
	}
	err := tx.Get(&row, `UPDATE wallets SET balance = balance + ?, updated_at = ?
		WHERE customer_id = ? AND tenant_id = @tenant AND balance <= ? RETURNING id, balance`,
		amount, at, customerID, maxBalance-amount)
	if fault.Is(err, fault.NotFound) {
		if _, err := s.CustomerTx(tx, customerID); err != nil {
			return 0, err
		}
		return 0, fault.Field("amount", "the wallet would exceed its largest balance")
	}
	if err != nil {
		return 0, err
	}
	return row.Balance, s.transfer(tx, row.ID, from, amount, kind, orderID, at)
}

// transfer writes the two entries of one movement: amount into the wallet
// and the same out of the system account (or the reverse when negative).
func (s *Service) transfer(tx *db.Tx, walletID, system string, amount int64, kind string, orderID *string, at time.Time) error {
	trf := id.New(transferPrefix)
	_, err := tx.Exec(`INSERT INTO ledger_entries (tenant_id, id, transfer_id, account, amount, kind, order_id, at)
		VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?), (@tenant, ?, ?, ?, ?, ?, ?, ?)`,
		id.New(entryPrefix), trf, walletID, amount, kind, orderID, at,
		id.New(entryPrefix), trf, system, -amount, kind, orderID, at)
	if fault.Is(err, fault.Conflict) {
		return fault.Wrap(err, fault.Conflict, "this order already has a %s in this wallet", kind)
	}
	return err
}

// Get returns a customer's balance and a page of the wallet's history.
func (s *Service) Get(ctx context.Context, customerID string, page api.PageParams) (*Wallet, error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	out := &Wallet{Entries: []Entry{}}
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		var w struct {
			ID      string `db:"id"`
			Balance int64  `db:"balance"`
		}
		err := tx.Get(&w, `SELECT id, balance FROM wallets WHERE customer_id = ? AND tenant_id = @tenant`, customerID)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.NotFound, "no customer %q", customerID)
		}
		if err != nil {
			return err
		}
		out.Balance = w.Balance
		q := `SELECT id, at, amount, kind, order_id FROM ledger_entries WHERE tenant_id = @tenant AND account = ?`
		args := []any{w.ID}
		if after != "" {
			q += ` AND id < ?`
			args = append(args, after)
		}
		q += ` ORDER BY id DESC LIMIT ?`
		return tx.Select(&out.Entries, q, append(args, page.Limit+1)...)
	})
	if err != nil {
		return nil, err
	}
	l := api.NewList(out.Entries, page.Limit, func(e Entry) string { return e.ID })
	out.Entries, out.NextCursor = l.Body.Data, l.Body.NextCursor
	return out, nil
}

// CheckLedger verifies the ledger's invariants for the tenant of ctx: every
// transfer sums to zero, and every wallet's balance equals the sum of its
// entries and is not negative. Tests and operators call it.
func (s *Service) CheckLedger(ctx context.Context) error {
	return s.db.Read(ctx, func(tx *db.Tx) error {
		var bad int
		if err := tx.Get(&bad, `SELECT COUNT(*) FROM (SELECT transfer_id FROM ledger_entries WHERE tenant_id = @tenant
			GROUP BY transfer_id HAVING SUM(amount) <> 0) t`); err != nil {
			return err
		}
		if bad > 0 {
			return fault.New(fault.Internal, "%d transfers do not sum to zero", bad)
		}
		if err := tx.Get(&bad, `SELECT COUNT(*) FROM wallets w WHERE w.tenant_id = @tenant AND (w.balance < 0 OR w.balance <>
			(SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e WHERE e.tenant_id = w.tenant_id AND e.account = w.id))`); err != nil {
			return err
		}
		if bad > 0 {
			return fault.New(fault.Internal, "%d wallets disagree with their ledger", bad)
		}
		return nil
	})
}
