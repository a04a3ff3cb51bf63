package gate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// GateInput describes a new gate.
type GateInput struct {
	Name          string     `json:"name" minLength:"1" maxLength:"200"`
	Kind          string     `json:"kind" enum:"main,vip,staff,emergency"`
	TicketTypeIDs []string   `json:"ticket_type_ids,omitempty" maxItems:"100" doc:"Ticket types this gate admits; absent or empty admits every ticket of the event."`
	OpensAt       *time.Time `json:"opens_at,omitempty" doc:"Scans before this time are refused with gate_closed."`
	ClosesAt      *time.Time `json:"closes_at,omitempty" doc:"Scans from this time on are refused with gate_closed."`
}

// GateUpdate changes some of a gate's fields; absent fields stay.
type GateUpdate struct {
	Name          *string    `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Kind          *string    `json:"kind,omitempty" enum:"main,vip,staff,emergency"`
	TicketTypeIDs *[]string  `json:"ticket_type_ids,omitempty" maxItems:"100"`
	OpensAt       *time.Time `json:"opens_at,omitempty"`
	ClosesAt      *time.Time `json:"closes_at,omitempty"`
	// ClearHours removes the opening hours.
	ClearHours bool `json:"clear_hours,omitempty" doc:"Remove opens_at and closes_at."`
}

type gateRow struct {
	ID          string     `db:"id"`
	EventID     string     `db:"event_id"`
	Name        string     `db:"name"`
	Kind        string     `db:"kind"`
	TicketTypes string     `db:"ticket_type_ids"`
	OpensAt     *time.Time `db:"opens_at"`
	ClosesAt    *time.Time `db:"closes_at"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
}

func (r gateRow) gate() Gate {
	g := Gate{ID: r.ID, EventID: r.EventID, Name: r.Name, Kind: r.Kind, TicketTypeIDs: parseIDList(r.TicketTypes),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.OpensAt != nil {
		t := r.OpensAt.UTC()
		g.OpensAt = &t
	}
	if r.ClosesAt != nil {
		t := r.ClosesAt.UTC()
		g.ClosesAt = &t
	}
	return g
}

const gateColumns = `id, event_id, name, kind, ticket_type_ids, opens_at, closes_at, created_at, updated_at`

func validKind(k string) bool {
	return slices.Contains([]string{KindMain, KindVIP, KindStaff, KindEmergency}, k)
}

func checkGate(g *Gate) error {
	var c fault.Check
	c.Add(strings.TrimSpace(g.Name) == "" || len(g.Name) > 200, "name", "must be 1 to 200 characters")
	c.Add(!validKind(g.Kind), "kind", "must be main, vip, staff or emergency")
	c.Add(len(g.TicketTypeIDs) > 100, "ticket_type_ids", "at most 100")
	c.Add(g.OpensAt != nil && g.ClosesAt != nil && !g.ClosesAt.After(*g.OpensAt), "closes_at", "must be after opens_at")
	return c.Err()
}

// checkTypes refuses ticket type ids that are not the event's: a mistyped
// one would make a gate refuse every ticket as wrong_gate.
func (s *Service) checkTypes(ctx context.Context, eventID, field string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	names, err := s.events.TicketTypeNames(ctx, eventID)
	if err != nil {
		return err
	}
	var c fault.Check
	for i, tid := range ids {
		_, ok := names[tid]
		c.Add(!ok, fmt.Sprintf("%s[%d]", field, i), "is not a ticket type of this event")
	}
	return c.Err()
}

// CreateGate adds a gate to an event of the tenant of ctx.
func (s *Service) CreateGate(ctx context.Context, eventID string, in GateInput) (*Gate, error) {
	now := s.now()
	g := &Gate{ID: id.New("gat"), EventID: eventID, Name: strings.TrimSpace(in.Name), Kind: in.Kind,
		TicketTypeIDs: cleanIDs(in.TicketTypeIDs), OpensAt: utcPtr(in.OpensAt), ClosesAt: utcPtr(in.ClosesAt), CreatedAt: now, UpdatedAt: now}
	if err := checkGate(g); err != nil {
		return nil, err
	}
	if err := s.events.Exists(ctx, eventID); err != nil {
		return nil, err
	}
	if err := s.checkTypes(ctx, eventID, "ticket_type_ids", g.TicketTypeIDs); err != nil {
		return nil, err
	}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO gates (tenant_id, id, event_id, name, kind, ticket_type_ids, opens_at, closes_at, created_at, updated_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			g.ID, g.EventID, g.Name, g.Kind, idList(g.TicketTypeIDs), g.OpensAt, g.ClosesAt, g.CreatedAt, g.UpdatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, g.ID)
	return g, nil
}

// Gate returns one gate of the tenant of ctx.
func (s *Service) Gate(ctx context.Context, gateID string) (*Gate, error) {
	var g *Gate
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		g, err = gateTx(tx, gateID)
		return err
	})
	return g, err
}

func gateTx(tx *db.Tx, gateID string) (*Gate, error) {
	var r gateRow
	err := tx.Get(&r, `SELECT `+gateColumns+` FROM gates WHERE tenant_id = @tenant AND id = ?`, gateID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no gate %q", gateID)
	}
	if err != nil {
		return nil, err
	}
	g := r.gate()
	return &g, nil
}

// Gates lists an event's gates in creation order.
func (s *Service) Gates(ctx context.Context, eventID string) ([]Gate, error) {
	var rows []gateRow
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&rows, `SELECT `+gateColumns+` FROM gates WHERE tenant_id = @tenant AND event_id = ? ORDER BY id`, eventID)
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		if err := s.events.Exists(ctx, eventID); err != nil {
			return nil, err
		}
	}
	out := make([]Gate, len(rows))
	for i, r := range rows {
		out[i] = r.gate()
	}
	return out, nil
}

// UpdateGate changes a gate's fields.
func (s *Service) UpdateGate(ctx context.Context, gateID string, u GateUpdate) (*Gate, error) {
	if u.TicketTypeIDs != nil && len(*u.TicketTypeIDs) > 0 {
		cur, err := s.Gate(ctx, gateID)
		if err != nil {
			return nil, err
		}
		if err := s.checkTypes(ctx, cur.EventID, "ticket_type_ids", cleanIDs(*u.TicketTypeIDs)); err != nil {
			return nil, err
		}
	}
	var g *Gate
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		if g, err = gateTx(tx, gateID); err != nil {
			return err
		}
		if u.Name != nil {
			g.Name = strings.TrimSpace(*u.Name)
		}
		if u.Kind != nil {
			g.Kind = *u.Kind
		}
		if u.TicketTypeIDs != nil {
			g.TicketTypeIDs = cleanIDs(*u.TicketTypeIDs)
		}
		if u.ClearHours {
			g.OpensAt, g.ClosesAt = nil, nil
		}
		if u.OpensAt != nil {
			g.OpensAt = utcPtr(u.OpensAt)
		}
		if u.ClosesAt != nil {
			g.ClosesAt = utcPtr(u.ClosesAt)
		}
		if err := checkGate(g); err != nil {
			return err
		}
		g.UpdatedAt = s.now()
		return tx.ExecOne(`UPDATE gates SET name = ?, kind = ?, ticket_type_ids = ?, opens_at = ?, closes_at = ?, updated_at = ?
			WHERE tenant_id = @tenant AND id = ?`, g.Name, g.Kind, idList(g.TicketTypeIDs), g.OpensAt, g.ClosesAt, g.UpdatedAt, g.ID)
	})
	if err != nil {
		return nil, err
	}
	s.rules.forget()
	api.SetTarget(ctx, gateID)
	return g, nil
}

// Settings returns an event's gate settings (the defaults until set).
func (s *Service) Settings(ctx context.Context, eventID string) (Settings, error) {
	var st Settings
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		st, err = settingsTx(tx, eventID)
		return err
	})
	return st, err
}

func settingsTx(tx *db.Tx, eventID string) (Settings, error) {
	var r struct {
		Reentry string    `db:"reentry"`
		Staff   string    `db:"staff_ticket_type_ids"`
		At      time.Time `db:"updated_at"`
	}
	err := tx.Get(&r, `SELECT reentry, staff_ticket_type_ids, updated_at FROM gate_settings WHERE tenant_id = @tenant AND event_id = ?`, eventID)
	if fault.Is(err, fault.NotFound) {
		return DefaultSettings(eventID), nil
	}
	if err != nil {
		return Settings{}, err
	}
	at := r.At.UTC()
	return Settings{EventID: eventID, Reentry: r.Reentry, StaffTicketTypeIDs: parseIDList(r.Staff), UpdatedAt: &at}, nil
}

// SettingsInput replaces an event's gate settings.
type SettingsInput struct {
	Reentry            string   `json:"reentry" enum:"single,inout" doc:"single: each ticket enters once; inout: tickets may leave and come back, and the event counts who is inside."`
	StaffTicketTypeIDs []string `json:"staff_ticket_type_ids,omitempty" maxItems:"100" doc:"Ticket types that are staff badges."`
}

// SetSettings replaces an event's gate settings.
func (s *Service) SetSettings(ctx context.Context, eventID string, in SettingsInput) (Settings, error) {
	if in.Reentry != ReentrySingle && in.Reentry != ReentryInOut {
		return Settings{}, fault.Field("reentry", "must be single or inout")
	}
	if err := s.events.Exists(ctx, eventID); err != nil {
		return Settings{}, err
	}
	now := s.now()
	st := Settings{EventID: eventID, Reentry: in.Reentry, StaffTicketTypeIDs: cleanIDs(in.StaffTicketTypeIDs), UpdatedAt: &now}
	if err := s.checkTypes(ctx, eventID, "staff_ticket_type_ids", st.StaffTicketTypeIDs); err != nil {
		return Settings{}, err
	}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO gate_settings (tenant_id, event_id, reentry, staff_ticket_type_ids, updated_at) VALUES (@tenant, ?, ?, ?, ?)
			ON CONFLICT (event_id) DO UPDATE SET reentry = excluded.reentry, staff_ticket_type_ids = excluded.staff_ticket_type_ids, updated_at = excluded.updated_at
			WHERE gate_settings.tenant_id = excluded.tenant_id`,
			eventID, st.Reentry, idList(st.StaffTicketTypeIDs), now)
		return err
	})
	if err != nil {
		return Settings{}, err
	}
	s.rules.forget()
	api.SetTarget(ctx, eventID)
	return st, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}
