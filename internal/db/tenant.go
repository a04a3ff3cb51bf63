package db

import "context"

type tenantKey struct{}

// WithTenant returns a context whose database work is scoped to the tenant.
// Only the authentication layer and code that has just resolved a public
// object to its owner call it.
func WithTenant(ctx context.Context, tenantID string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenantID)
}

// TenantFrom returns the tenant that scopes database work in ctx.
func TenantFrom(ctx context.Context) (string, bool) {
	t, ok := ctx.Value(tenantKey{}).(string)
	return t, ok && t != ""
}
