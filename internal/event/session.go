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

// SessionPrefix starts every session id.
const SessionPrefix = "evs"

// Session is a part of an event — a keynote, a talk of a track — with a
// capacity of its own that attendees choose when they register.
type Session struct {
	ID        string    `json:"id" db:"id"`
	EventID   string    `json:"event_id" db:"event_id"`
	Name      string    `json:"name" db:"name"`
	Track     string    `json:"track" db:"track"`
	StartsAt  time.Time `json:"starts_at" db:"starts_at"`
	EndsAt    time.Time `json:"ends_at" db:"ends_at"`
	Capacity  int       `json:"capacity" db:"capacity"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	// Taken and Available are filled from the order domain when listed.
	Taken     int `json:"taken" db:"-"`
	Available int `json:"available" db:"-"`
}

// Overlaps reports whether two sessions run at the same time.
func (s *Session) Overlaps(o *Session) bool {
	return s.StartsAt.Before(o.EndsAt) && o.StartsAt.Before(s.EndsAt)
}

// SessionInput describes a new session.
type SessionInput struct {
	Name     string    `json:"name" minLength:"1" maxLength:"200"`
	Track    string    `json:"track,omitempty" maxLength:"100"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Capacity int       `json:"capacity" minimum:"1" maximum:"10000000"`
}

// CreateSession adds a session to an event that is not over.
func (s *Service) CreateSession(ctx context.Context, eventID string, in SessionInput) (*Session, error) {
	var out *Session
	err := s.write(ctx, func(tx *db.Tx) error {
		e, err := s.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		var c fault.Check
		c.Add(strings.TrimSpace(in.Name) == "", "name", "must not be empty")
		c.Add(!in.EndsAt.After(in.StartsAt), "ends_at", "must be after starts_at")
		c.Add(in.Capacity <= 0, "capacity", "must be greater than 0")
		if err := c.Err(); err != nil {
			return err
		}
		if e.Status == StatusFinished || e.Status == StatusCancelled {
			return fault.New(fault.InvalidTransition, "a %s event takes no new sessions", e.Status)
		}
		out = &Session{
			ID: id.New(SessionPrefix), EventID: e.ID, Name: strings.TrimSpace(in.Name), Track: strings.TrimSpace(in.Track),
			StartsAt: in.StartsAt.UTC().Truncate(time.Microsecond), EndsAt: in.EndsAt.UTC().Truncate(time.Microsecond),
			Capacity: in.Capacity, CreatedAt: s.now(), Available: in.Capacity,
		}
		_, err = tx.Exec(`INSERT INTO event_sessions (tenant_id, id, event_id, name, track, starts_at, ends_at, capacity, created_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, out.EventID, out.Name, out.Track, out.StartsAt, out.EndsAt, out.Capacity, out.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, out.ID)
	return out, nil
}

// ListSessions returns an event's sessions in time order with their seats taken.
func (s *Service) ListSessions(ctx context.Context, eventID string) ([]Session, error) {
	var out []Session
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.EventTx(tx, eventID); err != nil {
			return err
		}
		var err error
		out, err = s.sessionsWithUsage(tx, eventID, s.now())
		return err
	})
	return out, err
}

// sessionsTx returns an event's sessions inside tx, in time order.
func (s *Service) sessionsTx(tx *db.Tx, eventID string) ([]Session, error) {
	sessions := []Session{}
	err := tx.Select(&sessions, `SELECT `+sessionColumns+` FROM event_sessions WHERE tenant_id = @tenant AND event_id = ? ORDER BY starts_at, id`, eventID)
	return sessions, err
}

const sessionColumns = `id, event_id, name, track, starts_at, ends_at, capacity, created_at`

func (s *Service) sessionsWithUsage(tx *db.Tx, eventID string, now time.Time) ([]Session, error) {
	sessions, err := s.sessionsTx(tx, eventID)
	if err != nil {
		return nil, err
	}
	taken, err := s.taken(tx, eventID, now)
	if err != nil {
		return nil, err
	}
	fillSessions(sessions, taken)
	return sessions, nil
}

// fillSessions sets each session's places taken and left from taken.
func fillSessions(sessions []Session, taken Taken) {
	for i := range sessions {
		sessions[i].Taken = taken.Sessions[sessions[i].ID]
		sessions[i].Available = max(0, sessions[i].Capacity-sessions[i].Taken)
	}
}
