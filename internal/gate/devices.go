package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/outbox"
)

// Alert thresholds (the event-day plan's rules).
const (
	LowBattery  = 20              // percent: below it, a battery alert
	SilentAfter = 5 * time.Minute // no heartbeat for longer: a silence alert
	// DefaultRSSIMin and DefaultRSSIMax bound a beacon's healthy signal
	// (dBm, as a reference scanner hears it) unless the beacon sets its own.
	DefaultRSSIMin = -90
	DefaultRSSIMax = -30
	pairingTTL     = 15 * time.Minute
)

// Alert rules.
const (
	RuleBattery = "battery_low"
	RuleSilent  = "silent"
	RuleRSSI    = "rssi_out_of_range"
)

// PairingCode is a one-time code a device redeems for its credentials.
type PairingCode struct {
	Code      string    `json:"code" doc:"Shown only here; type it on the device or show it as a QR."`
	GateID    string    `json:"gate_id,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PairingInput asks for a pairing code, optionally for a gate.
type PairingInput struct {
	GateID string `json:"gate_id,omitempty" maxLength:"100" doc:"The gate the device will scan at."`
}

func hashCode(code string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(sum[:])
}

// CreatePairingCode makes a code a device can redeem once within 15 minutes.
func (s *Service) CreatePairingCode(ctx context.Context, in PairingInput) (*PairingCode, error) {
	eventID := ""
	if in.GateID != "" {
		g, err := s.Gate(ctx, in.GateID)
		if err != nil {
			return nil, err
		}
		eventID = g.EventID
	}
	now := s.now()
	code := strings.ToUpper(id.Secret(6))
	pc := &PairingCode{Code: code, GateID: in.GateID, ExpiresAt: now.Add(pairingTTL)}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO device_pairings (tenant_id, code_hash, gate_id, event_id, expires_at, created_at) VALUES (@tenant, ?, ?, ?, ?, ?)`,
			hashCode(code), in.GateID, eventID, pc.ExpiresAt, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pc, nil
}

// PairInput is what a device sends to pair.
type PairInput struct {
	Code string `json:"code" minLength:"1" maxLength:"100"`
	Name string `json:"name" minLength:"1" maxLength:"200"`
}

// Paired is a paired device's identity and credential.
type Paired struct {
	DeviceID string `json:"device_id"`
	TenantID string `json:"tenant_id"`
	GateID   string `json:"gate_id,omitempty"`
	EventID  string `json:"event_id,omitempty"`
	// Token is an API key with the gate role: the device sends it as
	// "Authorization: Bearer …". It is shown only here.
	Token string `json:"token"`
}

// Pair redeems a pairing code (no credentials needed: the code is the
// permission) and returns the device's credentials.
func (s *Service) Pair(ctx context.Context, in PairInput) (*Paired, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, fault.Field("name", "must be 1 to 200 characters")
	}
	now := s.now()
	var p struct {
		TenantID string `db:"tenant_id"`
		GateID   string `db:"gate_id"`
		EventID  string `db:"event_id"`
	}
	bad := fault.New(fault.NotFound, "this pairing code is not valid or has expired")
	// Claim the code first (one conditional write), so that a code pairs
	// one device even when two redeem it at once.
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		g := tx.Global()
		if err := g.Get(&p, `SELECT tenant_id, gate_id, event_id FROM device_pairings WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`, hashCode(in.Code), now); err != nil {
			return err
		}
		return g.ExecOne(`UPDATE device_pairings SET used_at = ? WHERE code_hash = ? AND used_at IS NULL`, now, hashCode(in.Code))
	})
	if fault.Is(err, fault.NotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	ctx = db.WithTenant(ctx, p.TenantID)
	keyID, secret, err := s.devKeys.CreateDeviceKey(ctx, "device: "+name)
	if err != nil {
		return nil, err
	}
	devID := id.New("dev")
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO gate_devices (tenant_id, id, name, event_id, gate_id, api_key_id, created_at) VALUES (@tenant, ?, ?, ?, ?, ?, ?)`,
			devID, name, p.EventID, p.GateID, keyID, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Paired{DeviceID: devID, TenantID: p.TenantID, GateID: p.GateID, EventID: p.EventID, Token: secret}, nil
}

// DeviceState is a device with its health.
type DeviceState struct {
	ID         string     `json:"id" db:"id"`
	Name       string     `json:"name" db:"name"`
	EventID    string     `json:"event_id,omitempty" db:"event_id"`
	GateID     string     `json:"gate_id,omitempty" db:"gate_id"`
	BatteryPct *int       `json:"battery_pct,omitempty" db:"battery_pct"`
	AppState   string     `json:"app_state,omitempty" db:"app_state"`
	LastSeenAt *time.Time `json:"last_seen_at,omitempty" db:"last_seen_at"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	// Health is ok, battery_low or silent.
	Health string `json:"health" db:"-"`
}

const deviceColumns = `id, name, event_id, gate_id, battery_pct, app_state, last_seen_at, created_at`

// Devices lists the tenant's devices.
func (s *Service) Devices(ctx context.Context) ([]DeviceState, error) {
	var ds []DeviceState
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&ds, `SELECT `+deviceColumns+` FROM gate_devices WHERE tenant_id = @tenant ORDER BY id`)
	})
	now := s.now()
	for i := range ds {
		ds[i].health(now)
	}
	return ds, err
}

func (d *DeviceState) health(now time.Time) {
	d.CreatedAt = d.CreatedAt.UTC()
	switch {
	case d.LastSeenAt == nil || now.Sub(*d.LastSeenAt) > SilentAfter:
		d.Health = RuleSilent
	case d.BatteryPct != nil && *d.BatteryPct < LowBattery:
		d.Health = RuleBattery
	default:
		d.Health = "ok"
	}
}

// DeviceUpdate assigns a device to a gate.
type DeviceUpdate struct {
	GateID *string `json:"gate_id,omitempty" maxLength:"100" doc:"The gate the device scans at; empty unassigns it."`
	Name   *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
}

// UpdateDevice renames a device or moves it to another gate.
func (s *Service) UpdateDevice(ctx context.Context, deviceID string, u DeviceUpdate) (*DeviceState, error) {
	eventID := ""
	if u.GateID != nil && *u.GateID != "" {
		g, err := s.Gate(ctx, *u.GateID)
		if err != nil {
			return nil, err
		}
		eventID = g.EventID
	}
	var d DeviceState
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if err := tx.Get(&d, `SELECT `+deviceColumns+` FROM gate_devices WHERE tenant_id = @tenant AND id = ?`, deviceID); err != nil {
			return err
		}
		if u.GateID != nil {
			d.GateID, d.EventID = *u.GateID, eventID
		}
		if u.Name != nil && strings.TrimSpace(*u.Name) != "" {
			d.Name = strings.TrimSpace(*u.Name)
		}
		return tx.ExecOne(`UPDATE gate_devices SET gate_id = ?, event_id = ?, name = ? WHERE tenant_id = @tenant AND id = ?`, d.GateID, d.EventID, d.Name, deviceID)
	})
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no device %q", deviceID)
	}
	if err != nil {
		return nil, err
	}
	d.health(s.now())
	return &d, nil
}

// Heartbeat is what a device or beacon reports.
type Heartbeat struct {
	BatteryPct int    `json:"battery_pct" minimum:"0" maximum:"100"`
	AppState   string `json:"app_state,omitempty" maxLength:"100" doc:"Devices: foreground, background, scanning, offline-queue:N …"`
	RSSI       *int   `json:"rssi,omitempty" minimum:"-150" maximum:"20" doc:"Beacons: signal strength in dBm."`
	TxPower    *int   `json:"tx_power,omitempty" minimum:"-100" maximum:"20" doc:"Beacons: transmit power in dBm."`
}

// DeviceHeartbeat records a device's heartbeat and evaluates its alerts.
func (s *Service) DeviceHeartbeat(ctx context.Context, deviceID string, hb Heartbeat) error {
	if hb.BatteryPct < 0 || hb.BatteryPct > 100 {
		return fault.Field("battery_pct", "must be 0 to 100")
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		// A device the tenant has not registered joins with its first
		// heartbeat (a device id another tenant uses stays not found).
		if _, err := tx.Exec(`INSERT INTO gate_devices (tenant_id, id, name, created_at) VALUES (@tenant, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			deviceID, deviceID, now); err != nil {
			return err
		}
		var eventID string
		if err := tx.Get(&eventID, `SELECT event_id FROM gate_devices WHERE tenant_id = @tenant AND id = ?`, deviceID); err != nil {
			return err
		}
		if err := tx.ExecOne(`UPDATE gate_devices SET battery_pct = ?, app_state = ?, last_seen_at = ? WHERE tenant_id = @tenant AND id = ?`,
			hb.BatteryPct, hb.AppState, now, deviceID); err != nil {
			return err
		}
		if err := setAlert(tx, eventID, "device", deviceID, RuleBattery, hb.BatteryPct < LowBattery, "battery below 20 %", now); err != nil {
			return err
		}
		return setAlert(tx, eventID, "device", deviceID, RuleSilent, false, "", now)
	})
	if fault.Is(err, fault.NotFound) {
		return fault.New(fault.NotFound, "no device %q", deviceID)
	}
	return err
}

// Beacon is a BLE beacon at the venue.
type Beacon struct {
	ID         string     `json:"id" db:"id"`
	EventID    string     `json:"event_id" db:"event_id"`
	GateID     string     `json:"gate_id,omitempty" db:"gate_id"`
	Name       string     `json:"name" db:"name"`
	Location   string     `json:"location" db:"location"`
	RSSIMin    int        `json:"rssi_min" db:"rssi_min"`
	RSSIMax    int        `json:"rssi_max" db:"rssi_max"`
	BatteryPct *int       `json:"battery_pct,omitempty" db:"battery_pct"`
	RSSI       *int       `json:"rssi,omitempty" db:"rssi"`
	TxPower    *int       `json:"tx_power,omitempty" db:"tx_power"`
	LastSeenAt *time.Time `json:"last_seen_at,omitempty" db:"last_seen_at"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	Health     string     `json:"health" db:"-"`
}

const beaconColumns = `id, event_id, gate_id, name, location, rssi_min, rssi_max, battery_pct, rssi, tx_power, last_seen_at, created_at`

// BeaconInput registers a beacon.
type BeaconInput struct {
	Name     string `json:"name" minLength:"1" maxLength:"200"`
	Location string `json:"location,omitempty" maxLength:"200"`
	GateID   string `json:"gate_id,omitempty" maxLength:"100"`
	RSSIMin  *int   `json:"rssi_min,omitempty" minimum:"-150" maximum:"20"`
	RSSIMax  *int   `json:"rssi_max,omitempty" minimum:"-150" maximum:"20"`
}

// CreateBeacon registers a beacon for an event.
func (s *Service) CreateBeacon(ctx context.Context, eventID string, in BeaconInput) (*Beacon, error) {
	if err := s.events.Exists(ctx, eventID); err != nil {
		return nil, err
	}
	if in.GateID != "" {
		g, err := s.Gate(ctx, in.GateID)
		if err != nil || g.EventID != eventID {
			return nil, fault.Field("gate_id", "is not a gate of this event")
		}
	}
	b := &Beacon{ID: id.New("bcn"), EventID: eventID, GateID: in.GateID, Name: strings.TrimSpace(in.Name), Location: strings.TrimSpace(in.Location),
		RSSIMin: DefaultRSSIMin, RSSIMax: DefaultRSSIMax, CreatedAt: s.now()}
	if in.RSSIMin != nil {
		b.RSSIMin = *in.RSSIMin
	}
	if in.RSSIMax != nil {
		b.RSSIMax = *in.RSSIMax
	}
	var c fault.Check
	c.Add(b.Name == "", "name", "must not be empty")
	c.Add(b.RSSIMin >= b.RSSIMax, "rssi_max", "must be above rssi_min")
	if err := c.Err(); err != nil {
		return nil, err
	}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO beacons (tenant_id, id, event_id, gate_id, name, location, rssi_min, rssi_max, created_at) VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ID, b.EventID, b.GateID, b.Name, b.Location, b.RSSIMin, b.RSSIMax, b.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	b.health(s.now())
	return b, nil
}

func (b *Beacon) health(now time.Time) {
	b.CreatedAt = b.CreatedAt.UTC()
	switch {
	case b.LastSeenAt == nil || now.Sub(*b.LastSeenAt) > SilentAfter:
		b.Health = RuleSilent
	case b.BatteryPct != nil && *b.BatteryPct < LowBattery:
		b.Health = RuleBattery
	case b.RSSI != nil && (*b.RSSI < b.RSSIMin || *b.RSSI > b.RSSIMax):
		b.Health = RuleRSSI
	default:
		b.Health = "ok"
	}
}

// BeaconHeartbeat records a beacon's report and evaluates its alerts.
func (s *Service) BeaconHeartbeat(ctx context.Context, beaconID string, hb Heartbeat) error {
	if hb.BatteryPct < 0 || hb.BatteryPct > 100 {
		return fault.Field("battery_pct", "must be 0 to 100")
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		// A beacon the tenant has not registered joins with its first
		// report, with no event and a wide RSSI range until an organizer
		// places it (a beacon id another tenant uses stays not found).
		if _, err := tx.Exec(`INSERT INTO beacons (tenant_id, id, event_id, name, rssi_min, rssi_max, created_at) VALUES (@tenant, ?, '', ?, -100, -20, ?) ON CONFLICT (id) DO NOTHING`,
			beaconID, beaconID, now); err != nil {
			return err
		}
		var b Beacon
		if err := tx.Get(&b, `SELECT `+beaconColumns+` FROM beacons WHERE tenant_id = @tenant AND id = ?`, beaconID); err != nil {
			return err
		}
		if err := tx.ExecOne(`UPDATE beacons SET battery_pct = ?, rssi = ?, tx_power = ?, last_seen_at = ? WHERE tenant_id = @tenant AND id = ?`,
			hb.BatteryPct, hb.RSSI, hb.TxPower, now, beaconID); err != nil {
			return err
		}
		if err := setAlert(tx, b.EventID, "beacon", beaconID, RuleBattery, hb.BatteryPct < LowBattery, "battery below 20 %", now); err != nil {
			return err
		}
		if hb.RSSI != nil {
			out := *hb.RSSI < b.RSSIMin || *hb.RSSI > b.RSSIMax
			if err := setAlert(tx, b.EventID, "beacon", beaconID, RuleRSSI, out, "signal outside its expected range", now); err != nil {
				return err
			}
		}
		return setAlert(tx, b.EventID, "beacon", beaconID, RuleSilent, false, "", now)
	})
	if fault.Is(err, fault.NotFound) {
		return fault.New(fault.NotFound, "no beacon %q", beaconID)
	}
	return err
}

// setAlert opens an alert when on and none is open (emitting device.alert
// once per episode), or closes the open one when off.
func setAlert(tx *db.Tx, eventID, kind, subjectID, rule string, on bool, detail string, now time.Time) error {
	if !on {
		_, err := tx.Exec(`UPDATE gate_alerts SET closed_at = ? WHERE tenant_id = @tenant AND subject_id = ? AND rule = ? AND closed_at IS NULL`, now, subjectID, rule)
		return err
	}
	alertID := id.New("alr")
	res, err := tx.Exec(`INSERT INTO gate_alerts (tenant_id, id, event_id, subject_kind, subject_id, rule, detail, opened_at) VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, alertID, eventID, kind, subjectID, rule, detail, now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // the episode is already open
	}
	_, err = outbox.Emit(tx, KindDeviceAlert, subjectID, map[string]any{
		"alert_id": alertID, "event_id": eventID, "subject_kind": kind, "subject_id": subjectID, "rule": rule, "detail": detail, "opened_at": now,
	}, now)
	return err
}

// Alert is an open alert on a device or beacon.
type Alert struct {
	ID          string     `json:"id" db:"id"`
	EventID     string     `json:"event_id,omitempty" db:"event_id"`
	SubjectKind string     `json:"subject_kind" db:"subject_kind" enum:"device,beacon"`
	SubjectID   string     `json:"subject_id" db:"subject_id"`
	Rule        string     `json:"rule" db:"rule" enum:"battery_low,silent,rssi_out_of_range"`
	Detail      string     `json:"detail" db:"detail"`
	OpenedAt    time.Time  `json:"opened_at" db:"opened_at"`
	ClosedAt    *time.Time `json:"closed_at,omitempty" db:"closed_at"`
}

// Health is an event's devices, beacons and open alerts.
type Health struct {
	Devices []DeviceState `json:"devices"`
	Beacons []Beacon      `json:"beacons"`
	Alerts  []Alert       `json:"alerts"`
}

// Health evaluates the silence rule (lazily: a device that stopped talking
// cannot trigger anything, so asking is what notices it) and returns the
// event's devices, beacons and open alerts.
func (s *Service) Health(ctx context.Context, eventID string) (*Health, error) {
	now := s.now()
	h := &Health{Devices: []DeviceState{}, Beacons: []Beacon{}, Alerts: []Alert{}}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if err := tx.Select(&h.Devices, `SELECT `+deviceColumns+` FROM gate_devices WHERE tenant_id = @tenant AND event_id = ? ORDER BY id`, eventID); err != nil {
			return err
		}
		return tx.Select(&h.Beacons, `SELECT `+beaconColumns+` FROM beacons WHERE tenant_id = @tenant AND event_id = ? ORDER BY id`, eventID)
	})
	if err != nil {
		return nil, err
	}
	type silent struct{ kind, id string }
	var quiet []silent
	for i := range h.Devices {
		h.Devices[i].health(now)
		if h.Devices[i].Health == RuleSilent && h.Devices[i].LastSeenAt != nil {
			quiet = append(quiet, silent{"device", h.Devices[i].ID})
		}
	}
	for i := range h.Beacons {
		h.Beacons[i].health(now)
		if h.Beacons[i].Health == RuleSilent && h.Beacons[i].LastSeenAt != nil {
			quiet = append(quiet, silent{"beacon", h.Beacons[i].ID})
		}
	}
	if len(quiet) > 0 {
		err := s.db.Write(ctx, func(tx *db.Tx) error {
			for _, q := range quiet {
				if err := setAlert(tx, eventID, q.kind, q.id, RuleSilent, true, "no heartbeat for over 5 minutes", now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&h.Alerts, `SELECT id, event_id, subject_kind, subject_id, rule, detail, opened_at, closed_at FROM gate_alerts
			WHERE tenant_id = @tenant AND event_id = ? AND closed_at IS NULL ORDER BY opened_at, id`, eventID)
	})
	for i := range h.Alerts {
		h.Alerts[i].OpenedAt = h.Alerts[i].OpenedAt.UTC()
	}
	return h, err
}

// Beacons lists an event's beacons with their health.
func (s *Service) Beacons(ctx context.Context, eventID string) ([]Beacon, error) {
	if err := s.events.Exists(ctx, eventID); err != nil {
		return nil, err
	}
	h, err := s.Health(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return h.Beacons, nil
}
