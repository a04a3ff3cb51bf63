package app

import (
	"context"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/event"
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

// gateEvents tells the gate domain what it needs of events: that one
// exists, and its ticket types' names for the scan results.
type gateEvents struct{ events *event.Service }

func (g gateEvents) Exists(ctx context.Context, eventID string) error {
	_, err := g.events.Get(ctx, eventID)
	return err
}

func (g gateEvents) TicketTypeNames(ctx context.Context, eventID string) (map[string]string, error) {
	types, err := g.events.ListTicketTypes(ctx, eventID)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(types))
	for _, tt := range types {
		names[tt.ID] = tt.Name
	}
	return names, nil
}
