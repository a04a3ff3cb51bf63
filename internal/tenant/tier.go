package tenant

import (
	"context"
	"slices"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Tiers are the tiers a tenant can be on, from the smallest.
var Tiers = []string{"basic", "professional", "enterprise"}

// TierOf returns the tier of a tenant.
func (s *Service) TierOf(ctx context.Context, tenantID string) (string, error) {
	var tier string
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Get(&tier, `SELECT tier FROM tenants WHERE id = ?`, tenantID)
	})
	return tier, err
}

// SetTier moves a tenant to another tier. It is the platform operator's
// (usher tenants set-tier), not the tenant's own.
func (s *Service) SetTier(ctx context.Context, tenantID, tier string) error {
	if !slices.Contains(Tiers, tier) {
		return fault.Field("tier", "must be basic, professional or enterprise")
	}
	return s.db.Write(ctx, func(tx *db.Tx) error {
		return tx.Global().ExecOne(`UPDATE tenants SET tier = ? WHERE id = ?`, tier, tenantID)
	})
}

// List returns every tenant, the oldest first.
func (s *Service) List(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Select(&out, `SELECT id, name, tier, created_at FROM tenants ORDER BY created_at, id`)
	})
	return out, err
}

// Manager is an owner or admin of an organization, as its messages need them.
type Manager struct {
	Email  string `db:"email"`
	Locale string `db:"locale"`
}

// Managers returns the owners and admins of ctx's tenant: who gets the
// organization's own messages (budget alerts), each in their language.
func (s *Service) Managers(ctx context.Context) ([]Manager, error) {
	var out []Manager
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&out, `SELECT email, locale FROM users WHERE tenant_id = @tenant AND role IN ('owner', 'admin') AND removed_at IS NULL ORDER BY created_at, id`)
	})
	return out, err
}
