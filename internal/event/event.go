// Package event owns events: their schedule, time zone, venue and capacity,
// their lifecycle (draft → published → sales closed → finished, or
// cancelled), sessions and tracks, ticket types and registration forms.
// How much of a quota is taken is the order domain's knowledge; the event
// domain asks for it through the Sales interface.
package event

import (
	"context"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// Statuses of an event.
const (
	StatusDraft       = "draft"
	StatusPublished   = "published"
	StatusSalesClosed = "sales_closed"
	StatusFinished    = "finished"
	StatusCancelled   = "cancelled"
)

// DefaultHoldTTL is how long an order holds its tickets unless the event
// says otherwise.
const DefaultHoldTTL = 5 * time.Minute

// Event is something people attend.
type Event struct {
	ID       string    `json:"id" db:"id"`
	Name     string    `json:"name" db:"name"`
	Status   string    `json:"status" db:"status" enum:"draft,published,sales_closed,finished,cancelled"`
	StartsAt time.Time `json:"starts_at" db:"starts_at"`
	EndsAt   time.Time `json:"ends_at" db:"ends_at"`
	Timezone string    `json:"timezone" db:"timezone" doc:"IANA time zone, e.g. Asia/Seoul."`
	Venue    string    `json:"venue" db:"venue"`
	Capacity int       `json:"capacity" db:"capacity"`
	// HoldTTLSeconds is how long a new order holds its tickets.
	HoldTTLSeconds int       `json:"hold_ttl_seconds" db:"hold_ttl_seconds"`
	CreatedAt      time.Time `json:"created_at" db:"created_at"`
	UpdatedAt      time.Time `json:"updated_at" db:"updated_at"`
}

// HoldTTL is how long a new order of the event holds its tickets.
func (e *Event) HoldTTL() time.Duration {
	if e.HoldTTLSeconds <= 0 {
		return DefaultHoldTTL
	}
	return time.Duration(e.HoldTTLSeconds) * time.Second
}

// Service holds the event domain's rules.
type Service struct {
	db    *db.DB
	now   func() time.Time
	sales Sales
	snaps *snapshots // SQLite only; see Snapshot
}

// NewService returns the event service.
func NewService(conn *db.DB, now func() time.Time) *Service {
	s := &Service{db: conn, now: now}
	if conn.Dialect() == db.SQLite {
		s.snaps = &snapshots{m: map[string]*Snapshot{}}
	}
	return s
}

// CreateInput describes a new event.
type CreateInput struct {
	Name     string    `json:"name" minLength:"1" maxLength:"200"`
	StartsAt time.Time `json:"starts_at" doc:"RFC 3339."`
	EndsAt   time.Time `json:"ends_at" doc:"RFC 3339; after starts_at."`
	Timezone string    `json:"timezone" minLength:"1" maxLength:"64" doc:"IANA time zone, e.g. Asia/Seoul."`
	Venue    string    `json:"venue,omitempty" maxLength:"300"`
	Capacity int       `json:"capacity" minimum:"1" maximum:"10000000"`
	// HoldTTLSeconds defaults to 300 (five minutes).
	HoldTTLSeconds int `json:"hold_ttl_seconds,omitempty" minimum:"0" maximum:"3600" doc:"How long a new order holds its tickets; default 300."`
}

// Validate checks a new event's fields together.
func (in *CreateInput) Validate() error {
	var c fault.Check
	c.Add(strings.TrimSpace(in.Name) == "", "name", "must not be empty")
	c.Add(in.StartsAt.IsZero(), "starts_at", "is required")
	c.Add(!in.EndsAt.After(in.StartsAt), "ends_at", "must be after starts_at")
	c.Add(in.Capacity <= 0, "capacity", "must be greater than 0")
	c.Add(in.HoldTTLSeconds != 0 && (in.HoldTTLSeconds < 30 || in.HoldTTLSeconds > 3600), "hold_ttl_seconds", "must be between 30 and 3600")
	if _, err := time.LoadLocation(in.Timezone); err != nil || in.Timezone == "" || strings.EqualFold(in.Timezone, "local") {
		c.Add(true, "timezone", "must be an IANA time zone such as Asia/Seoul")
	}
	return c.Err()
}

// Create makes a draft event for the tenant of ctx.
func (s *Service) Create(ctx context.Context, in CreateInput) (*Event, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	e := &Event{
		ID: id.New(id.Event), Name: strings.TrimSpace(in.Name), Status: StatusDraft,
		StartsAt: in.StartsAt.UTC().Truncate(time.Microsecond), EndsAt: in.EndsAt.UTC().Truncate(time.Microsecond),
		Timezone: in.Timezone, Venue: strings.TrimSpace(in.Venue), Capacity: in.Capacity,
		HoldTTLSeconds: in.HoldTTLSeconds, CreatedAt: now, UpdatedAt: now,
	}
	if e.HoldTTLSeconds == 0 {
		e.HoldTTLSeconds = int(DefaultHoldTTL / time.Second)
	}
	err := s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO events (tenant_id, id, name, status, starts_at, ends_at, timezone, venue, capacity, hold_ttl_seconds, created_at, updated_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.Name, e.Status, e.StartsAt, e.EndsAt, e.Timezone, e.Venue, e.Capacity, e.HoldTTLSeconds, e.CreatedAt, e.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, e.ID)
	return e, nil
}

const columns = `id, name, status, starts_at, ends_at, timezone, venue, capacity, hold_ttl_seconds, created_at, updated_at`

// Get returns one event of the tenant of ctx.
func (s *Service) Get(ctx context.Context, eventID string) (*Event, error) {
	var e *Event
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		e, err = s.EventTx(tx, eventID)
		return err
	})
	return e, err
}

// EventTx returns one event of tx's tenant inside tx, for other domains that
// need the event in their own transaction.
func (s *Service) EventTx(tx *db.Tx, eventID string) (*Event, error) {
	var e Event
	err := tx.Get(&e, `SELECT `+columns+` FROM events WHERE id = ? AND tenant_id = @tenant`, eventID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no event %q", eventID)
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// List returns the tenant's events, newest first.
func (s *Service) List(ctx context.Context, page api.PageParams) (*api.List[Event], error) {
	q, args, err := page.Keyset(`SELECT `+columns+` FROM events WHERE tenant_id = @tenant`, "id")
	if err != nil {
		return nil, err
	}
	var events []Event
	err = s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&events, q, args...) })
	if err != nil {
		return nil, err
	}
	return api.NewList(events, page.Limit, func(e Event) string { return e.ID }), nil
}
