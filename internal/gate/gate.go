// Package gate owns the gates of an event and what happens at them: access
// rules per gate (ticket types, staff badges, opening hours), the re-entry
// policy, check-in with replay-safe scan ids, offline scans pushed by gate
// nodes and the conflicts they reveal, live statistics, scanner devices,
// BLE beacons and their alerts, and the scanner page.
//
// The rules that decide a scan (Gate.Check, Verdict) are pure functions, so
// that the server and the offline gate node (package gatenode) decide alike.
package gate

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/ticket"
)

// Kinds of gate.
const (
	KindMain      = "main"
	KindVIP       = "vip"
	KindStaff     = "staff"
	KindEmergency = "emergency"
)

// Re-entry policies of an event.
const (
	// ReentrySingle admits each ticket once.
	ReentrySingle = "single"
	// ReentryInOut lets a ticket leave ("out") and come back ("in"); the
	// event counts who is inside.
	ReentryInOut = "inout"
)

// Directions of a scan.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// ResultAdmitted is the result of a scan that let someone through (or, for
// direction "out", recorded them leaving). Every other result is the fault
// code of the refusal, such as "already_checked_in".
const ResultAdmitted = "admitted"

// Domain events this package records in the outbox.
const (
	KindCheckinRecorded = "checkin.recorded"
	KindDeviceAlert     = "device.alert"
)

// TargetPerGatePerMinute is the planned service rate of one gate lane, the
// basis of the queue and wait estimates.
const TargetPerGatePerMinute = 15

// Gate is one entrance (or emergency exit) of an event.
type Gate struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	Name    string `json:"name"`
	Kind    string `json:"kind" enum:"main,vip,staff,emergency"`
	// TicketTypeIDs are the ticket types this gate admits; empty admits
	// every ticket of the event.
	TicketTypeIDs []string   `json:"ticket_type_ids"`
	OpensAt       *time.Time `json:"opens_at,omitempty"`
	ClosesAt      *time.Time `json:"closes_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Settings are an event's gate-wide rules.
type Settings struct {
	EventID string `json:"event_id"`
	// Reentry is "single" (each ticket enters once) or "inout".
	Reentry string `json:"reentry" enum:"single,inout"`
	// StaffTicketTypeIDs are the ticket types that are staff badges: they
	// pass every gate, and a staff gate admits them.
	StaffTicketTypeIDs []string   `json:"staff_ticket_type_ids"`
	UpdatedAt          *time.Time `json:"updated_at,omitempty"`
}

// DefaultSettings are an event's settings until someone sets them.
func DefaultSettings(eventID string) Settings {
	return Settings{EventID: eventID, Reentry: ReentrySingle, StaffTicketTypeIDs: []string{}}
}

// Check decides whether the gate lets a ticket of the type through at now:
// nil, or a fault with code gate_closed or wrong_gate.
//
// Staff badges pass every gate, since staff move around. A staff gate admits
// badges and the ticket types it lists; when the event has no badge types
// and the gate lists none, it admits every ticket like any other gate.
func (g *Gate) Check(s Settings, ticketTypeID string, now time.Time) error {
	if (g.OpensAt != nil && now.Before(*g.OpensAt)) || (g.ClosesAt != nil && !now.Before(*g.ClosesAt)) {
		return fault.New(fault.GateClosed, "gate %s is closed now", g.Name)
	}
	badge := slices.Contains(s.StaffTicketTypeIDs, ticketTypeID)
	listed := slices.Contains(g.TicketTypeIDs, ticketTypeID)
	switch {
	case badge || listed:
		return nil
	case g.Kind == KindStaff && len(s.StaffTicketTypeIDs) > 0:
		return fault.New(fault.WrongGate, "gate %s is for staff badges only", g.Name)
	case len(g.TicketTypeIDs) == 0:
		return nil
	}
	return fault.New(fault.WrongGate, "this ticket type does not pass gate %s", g.Name)
}

// Verdict turns the outcome of ticket.Verify into a check-in refusal, or
// nil for a good code.
func Verdict(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ticket.ErrNotYetValid):
		return fault.New(fault.NotValidYet, "this ticket is not valid yet")
	case errors.Is(err, ticket.ErrExpired):
		return fault.New(fault.InvalidTicket, "this ticket has expired")
	case errors.Is(err, ticket.ErrUnknownKey):
		return fault.New(fault.InvalidTicket, "this is not a ticket of this event")
	case errors.Is(err, ticket.ErrBadSignature):
		return fault.New(fault.InvalidTicket, "this ticket's signature is not valid")
	}
	return fault.New(fault.InvalidTicket, "this is not a ticket code")
}

// Tickets is what the gate domain needs of the ticket domain.
type Tickets interface {
	HolderTx(tx *db.Tx, ticketID string) (ticket.Holder, error)
	Roster(ctx context.Context, eventID string, since time.Time, after string, limit int) ([]ticket.Holder, error)
	Keys(ctx context.Context, eventID string) ([]ticket.Key, error)
}

// Events is what the gate domain needs of the event domain, for the
// tenant of ctx.
type Events interface {
	// Exists checks that an event exists.
	Exists(ctx context.Context, eventID string) error
	// TicketTypeNames maps the event's ticket type ids to their names, so
	// that a scan's answer can say "VIP" rather than an id.
	TicketTypeNames(ctx context.Context, eventID string) (map[string]string, error)
}

// DeviceKeys makes the credential a paired device uses: an API key with
// the gate role in the tenant of ctx.
type DeviceKeys interface {
	CreateDeviceKey(ctx context.Context, name string) (keyID, secret string, err error)
}

// Deps are the Service's collaborators.
type Deps struct {
	DB      *db.DB
	Tickets Tickets
	Events  Events
	Keys    DeviceKeys
	// Redis, when set, carries live updates to every node's streams.
	Redis  *redis.Client
	Now    func() time.Time
	Logger *slog.Logger
}

// Service holds the gate domain's rules.
type Service struct {
	db      *db.DB
	tickets Tickets
	events  Events
	devKeys DeviceKeys
	now     func() time.Time
	log     *slog.Logger
	keys    *keyCache
	rules   *ruleCache
	names   *nameCache
	live    *Live
}

// NewService returns the gate service. Call Close to stop its live fan-out.
func NewService(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: d.DB, tickets: d.Tickets, events: d.Events, devKeys: d.Keys, now: d.Now, log: d.Logger}
	s.keys = newKeyCache(d.Tickets, d.Now)
	s.rules = &ruleCache{now: d.Now, gates: map[string]cachedGate{}}
	s.names = &nameCache{now: d.Now, m: map[string]cachedNames{}}
	s.live = NewLive(d.Redis, d.Logger)
	return s
}

// Close stops the live fan-out.
func (s *Service) Close() { s.live.Close() }

// Live returns the live-update hub.
func (s *Service) Live() *Live { return s.live }

// idList stores a list of ids as JSON text, the same on both databases.
func idList(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

func parseIDList(s string) []string {
	var out []string
	json.Unmarshal([]byte(s), &out)
	if out == nil {
		out = []string{}
	}
	return out
}

// cleanIDs trims, drops empties and duplicates, and sorts.
func cleanIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
