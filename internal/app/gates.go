package app

import (
	"context"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/tenant"
)

// deviceKeys gives a paired scanner device an API key with the gate role,
// so that devices authenticate like any other gate credential.
type deviceKeys struct{ t *tenant.Service }

func (d deviceKeys) CreateDeviceKey(ctx context.Context, name string) (string, string, error) {
	k, err := d.t.CreateAPIKey(ctx, name, api.RoleGate)
	if err != nil {
		return "", "", err
	}
	return k.ID, k.Key, nil
}
