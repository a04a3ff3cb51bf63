package wallet

import (
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/privacy"
)

// PersonalData is the wallet domain's part of a person's data: the customer
// records with their address or phone (and their balance, in the export).
// Erasure blanks the name and phone, replaces the email and removes the
// wallet access code; the wallet and its ledger stay, since they are money.
func (s *Service) PersonalData() privacy.Holder { return customerData{} }

type customerData struct{}

func (customerData) Section() string { return "customers" }

// personCustomer is a customer as exported.
type personCustomer struct {
	ID        string    `json:"id" db:"id"`
	Email     string    `json:"email" db:"email"`
	Name      string    `json:"name" db:"name"`
	Phone     string    `json:"phone,omitempty" db:"phone"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	Balance   int64     `json:"balance" db:"balance"`
}

func customerWhere(p *privacy.Person) (string, []any) {
	return `tenant_id = @tenant AND ((email = ? AND ? <> '') OR (phone = ? AND ? <> ''))`, []any{p.Email, p.Email, p.Phone, p.Phone}
}

func (customerData) Export(tx *db.Tx, p *privacy.Person) (any, int, error) {
	where, args := customerWhere(p)
	var out []personCustomer
	err := tx.Select(&out, `SELECT c.id, c.email, c.name, c.phone, c.created_at, COALESCE(w.balance, 0) AS balance
		FROM customers c LEFT JOIN wallets w ON w.customer_id = c.id AND w.tenant_id = c.tenant_id
		WHERE c.id IN (SELECT id FROM customers WHERE `+where+`) ORDER BY c.id`, args...)
	for _, c := range out {
		p.Note("customer", c.ID)
	}
	return out, len(out), err
}

func (customerData) Erase(tx *db.Tx, p *privacy.Person) (int, error) {
	where, args := customerWhere(p)
	var found []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := tx.Select(&found, `SELECT id, name FROM customers WHERE `+where+` ORDER BY id`, args...); err != nil {
		return 0, err
	}
	for _, c := range found {
		id := c.ID
		p.NoteNames(c.Name)
		if _, err := tx.Exec(`UPDATE customers SET email = ?, name = '', phone = '', access_code_hash = '' WHERE tenant_id = @tenant AND id = ?`,
			privacy.Erased(id), id); err != nil {
			return 0, err
		}
		p.Note("customer", id)
	}
	return len(found), nil
}
