package app

import (
	"context"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/meter"
	"github.com/usher-events/usher/internal/tenant"
)

// The platform operator's view of the installation, for the command line
// (usher tenants, usher usage): every tenant, across the tenant scoping
// that the API keeps.

// Tenants lists every tenant, the oldest first.
func (a *App) Tenants(ctx context.Context) ([]tenant.Tenant, error) { return a.tenants.List(ctx) }

// SetTier moves a tenant to another tier. Other nodes apply the new tier's
// rate limit within half a minute; statements use it at once.
func (a *App) SetTier(ctx context.Context, tenantID, tier string) error {
	if err := a.tenants.SetTier(ctx, tenantID, tier); err != nil {
		return err
	}
	a.meter.Forget(tenantID)
	return nil
}

// Statement returns a tenant's usage statement for a month ("2026-12";
// empty is the current one).
func (a *App) Statement(ctx context.Context, tenantID, period string) (*meter.Statement, error) {
	return a.meter.Statement(db.WithTenant(ctx, tenantID), period)
}
