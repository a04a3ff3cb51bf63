package gate

import (
	"context"
	"math"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
)

// rateWindow is the span the "per minute" rates are averaged over: long
// enough to smooth single scans, short enough to follow a wave.
const rateWindow = 5 * time.Minute

// errorWindow is the span of the error rate.
const errorWindow = 15 * time.Minute

// LaneStats are one gate's numbers (a gate is one lane of the queue).
type LaneStats struct {
	GateID   string  `json:"gate_id"`
	Name     string  `json:"name"`
	Kind     string  `json:"kind"`
	Admitted int     `json:"admitted" doc:"Admitted scans (direction in) at this gate."`
	Refused  int     `json:"refused"`
	PerMin   float64 `json:"per_minute" doc:"Admissions per minute over the last 5 minutes."`
	// QueueLength and WaitSeconds estimate the queue from the recent
	// arrival rate against the planned rate of 15 per minute per gate
	// (M/D/1): they are forecasts, not measurements.
	QueueLength float64 `json:"estimated_queue"`
	WaitSeconds float64 `json:"estimated_wait_seconds"`
	Saturated   bool    `json:"saturated" doc:"Arrivals reach the planned rate: the queue grows."`
}

// MinuteCount is one point of the arrival curve.
type MinuteCount struct {
	Minute   time.Time `json:"minute"`
	Admitted int       `json:"admitted"`
}

// Stats are an event's live check-in numbers.
type Stats struct {
	EventID   string        `json:"event_id"`
	Inside    int           `json:"inside" doc:"People inside now (admitted and not left)."`
	Admitted  int           `json:"admitted" doc:"Tickets admitted at least once."`
	Scans     int           `json:"scans"`
	PerGate   []LaneStats   `json:"per_gate"`
	Arrivals  []MinuteCount `json:"arrivals" doc:"Admissions per minute, the last two hours with scans."`
	ErrorRate float64       `json:"error_rate" doc:"Share of scans refused in the last 15 minutes (0–1)."`
	Conflicts int           `json:"conflicts"`
	Alerts    int           `json:"open_alerts"`
	Devices   []DeviceState `json:"devices"`
	Beacons   []Beacon      `json:"beacons"`
	At        time.Time     `json:"at"`
}

// Stats computes an event's numbers for the tenant of ctx. Everything is
// derived from the recorded scans when asked, so no job has to keep it up.
func (s *Service) Stats(ctx context.Context, eventID string) (*Stats, error) {
	gates, err := s.Gates(ctx, eventID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	st := &Stats{EventID: eventID, PerGate: []LaneStats{}, Arrivals: []MinuteCount{}, At: now}
	type gateCount struct {
		GateID   string `db:"gate_id"`
		Admitted int    `db:"admitted"`
		Refused  int    `db:"refused"`
		Recent   int    `db:"recent"`
	}
	var counts []gateCount
	var recentAt []time.Time
	var errs struct {
		Total   int `db:"total"`
		Refused int `db:"refused"`
	}
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		if err := tx.Get(&st.Inside, `SELECT COUNT(*) FROM presence WHERE tenant_id = @tenant AND event_id = ? AND inside`, eventID); err != nil {
			return err
		}
		if err := tx.Get(&st.Admitted, `SELECT COUNT(*) FROM presence WHERE tenant_id = @tenant AND event_id = ?`, eventID); err != nil {
			return err
		}
		if err := tx.Get(&st.Conflicts, `SELECT COUNT(*) FROM checkin_conflicts WHERE tenant_id = @tenant AND event_id = ?`, eventID); err != nil {
			return err
		}
		if err := tx.Select(&counts, `SELECT gate_id,
				SUM(CASE WHEN result = 'admitted' AND direction = 'in' THEN 1 ELSE 0 END) AS admitted,
				SUM(CASE WHEN result <> 'admitted' THEN 1 ELSE 0 END) AS refused,
				SUM(CASE WHEN result = 'admitted' AND direction = 'in' AND scanned_at >= ? THEN 1 ELSE 0 END) AS recent
			FROM checkins WHERE tenant_id = @tenant AND event_id = ? GROUP BY gate_id`, now.Add(-rateWindow), eventID); err != nil {
			return err
		}
		if err := tx.Get(&errs, `SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN result <> 'admitted' THEN 1 ELSE 0 END), 0) AS refused
			FROM checkins WHERE tenant_id = @tenant AND event_id = ? AND scanned_at >= ?`, eventID, now.Add(-errorWindow)); err != nil {
			return err
		}
		return tx.Select(&recentAt, `SELECT scanned_at FROM checkins WHERE tenant_id = @tenant AND event_id = ? AND result = 'admitted'
			AND direction = 'in' AND scanned_at >= ? ORDER BY scanned_at`, eventID, now.Add(-2*time.Hour))
	})
	if err != nil {
		return nil, err
	}
	byGate := map[string]gateCount{}
	for _, c := range counts {
		byGate[c.GateID] = c
		st.Scans += c.Admitted + c.Refused
	}
	for _, g := range gates {
		c := byGate[g.ID]
		gs := LaneStats{GateID: g.ID, Name: g.Name, Kind: g.Kind, Admitted: c.Admitted, Refused: c.Refused,
			PerMin: float64(c.Recent) / rateWindow.Minutes()}
		gs.QueueLength, gs.WaitSeconds, gs.Saturated = EstimateQueue(gs.PerMin, TargetPerGatePerMinute)
		st.PerGate = append(st.PerGate, gs)
	}
	if errs.Total > 0 {
		st.ErrorRate = float64(errs.Refused) / float64(errs.Total)
	}
	for _, at := range recentAt {
		m := at.UTC().Truncate(time.Minute)
		if n := len(st.Arrivals); n > 0 && st.Arrivals[n-1].Minute.Equal(m) {
			st.Arrivals[n-1].Admitted++
			continue
		}
		st.Arrivals = append(st.Arrivals, MinuteCount{Minute: m, Admitted: 1})
	}
	health, err := s.Health(ctx, eventID)
	if err != nil {
		return nil, err
	}
	st.Devices, st.Beacons, st.Alerts = health.Devices, health.Beacons, len(health.Alerts)
	return st, nil
}

// EstimateQueue forecasts a gate's queue from its arrival rate and service
// rate (both per minute) with the M/D/1 formulas: Wq = ρ / (2μ(1−ρ)),
// Lq = λ·Wq. At or above capacity the queue has no steady state; the answer
// is then saturated, with the wait a queue of one minute's excess would need.
func EstimateQueue(arrivalPerMin, servicePerMin float64) (queue, waitSeconds float64, saturated bool) {
	if arrivalPerMin <= 0 || servicePerMin <= 0 {
		return 0, 0, false
	}
	rho := arrivalPerMin / servicePerMin
	if rho >= 1 {
		excess := arrivalPerMin - servicePerMin + 1
		return excess, excess / servicePerMin * 60, true
	}
	wq := rho / (2 * servicePerMin * (1 - rho)) // minutes
	return math.Round(arrivalPerMin*wq*100) / 100, math.Round(wq*60*10) / 10, false
}

// Conflict is one ticket admitted twice while the places that admitted it
// could not see each other.
type Conflict struct {
	ID              string    `json:"id" db:"id"`
	EventID         string    `json:"event_id" db:"event_id"`
	TicketID        string    `json:"ticket_id" db:"ticket_id"`
	FirstCheckinID  string    `json:"first_checkin_id" db:"first_checkin_id"`
	SecondCheckinID string    `json:"second_checkin_id" db:"second_checkin_id"`
	FirstGateID     string    `json:"first_gate_id" db:"first_gate_id"`
	SecondGateID    string    `json:"second_gate_id" db:"second_gate_id"`
	FirstSource     string    `json:"first_source" db:"first_source"`
	SecondSource    string    `json:"second_source" db:"second_source"`
	FirstAt         time.Time `json:"first_scanned_at" db:"first_at"`
	SecondAt        time.Time `json:"second_scanned_at" db:"second_at"`
	CreatedAt       time.Time `json:"created_at" db:"created_at"`
}

// Conflicts lists an event's conflicts, oldest first.
func (s *Service) Conflicts(ctx context.Context, eventID string, page api.PageParams) (*api.List[Conflict], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	if err := s.events.Exists(ctx, eventID); err != nil {
		return nil, err
	}
	var cs []Conflict
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&cs, `SELECT f.id, f.event_id, f.ticket_id, f.first_checkin_id, f.second_checkin_id,
				a.gate_id AS first_gate_id, b.gate_id AS second_gate_id, a.source AS first_source, b.source AS second_source,
				a.scanned_at AS first_at, b.scanned_at AS second_at, f.created_at
			FROM checkin_conflicts f
			JOIN checkins a ON a.tenant_id = f.tenant_id AND a.id = f.first_checkin_id
			JOIN checkins b ON b.tenant_id = f.tenant_id AND b.id = f.second_checkin_id
			WHERE f.tenant_id = @tenant AND f.event_id = ? AND f.id > ? ORDER BY f.id LIMIT ?`, eventID, after, page.Limit+1)
	})
	if err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].FirstAt, cs[i].SecondAt, cs[i].CreatedAt = cs[i].FirstAt.UTC(), cs[i].SecondAt.UTC(), cs[i].CreatedAt.UTC()
	}
	return api.NewList(cs, page.Limit, func(c Conflict) string { return c.ID }), nil
}

// Checkin is one recorded scan as listed.
type Checkin struct {
	ID           string    `json:"id" db:"id"`
	EventID      string    `json:"event_id" db:"event_id"`
	GateID       string    `json:"gate_id" db:"gate_id"`
	TicketID     string    `json:"ticket_id,omitempty" db:"ticket_id"`
	TicketTypeID string    `json:"ticket_type_id,omitempty" db:"ticket_type_id"`
	DeviceID     string    `json:"device_id,omitempty" db:"device_id"`
	Source       string    `json:"source" db:"source" doc:"server, or node:<id> for scans a gate node pushed."`
	ScanID       string    `json:"scan_id" db:"scan_id"`
	Direction    string    `json:"direction" db:"direction"`
	Result       string    `json:"result" db:"result"`
	Message      string    `json:"message,omitempty" db:"message"`
	Conflict     bool      `json:"conflict" db:"conflict"`
	ScannedAt    time.Time `json:"scanned_at" db:"scanned_at"`
	RecordedAt   time.Time `json:"recorded_at" db:"recorded_at"`
}

// Checkins lists an event's scans in the order they were recorded.
func (s *Service) Checkins(ctx context.Context, eventID string, page api.PageParams) (*api.List[Checkin], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	if err := s.events.Exists(ctx, eventID); err != nil {
		return nil, err
	}
	var cs []Checkin
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&cs, `SELECT `+checkinColumns+` FROM checkins WHERE tenant_id = @tenant AND event_id = ? AND id > ? ORDER BY id LIMIT ?`,
			eventID, after, page.Limit+1)
	})
	if err != nil {
		return nil, err
	}
	for i := range cs {
		cs[i].ScannedAt, cs[i].RecordedAt = cs[i].ScannedAt.UTC(), cs[i].RecordedAt.UTC()
	}
	return api.NewList(cs, page.Limit, func(c Checkin) string { return c.ID }), nil
}
