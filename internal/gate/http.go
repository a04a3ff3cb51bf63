package gate

import (
	"context"
	"time"

	"github.com/usher-events/usher/internal/api"
)

// EventPath names an event in a path.
type EventPath struct {
	EventID string `path:"event_id" maxLength:"100"`
}

// GatePath names a gate in a path.
type GatePath struct {
	GateID string `path:"gate_id" maxLength:"100"`
}

// CreateGateRequest is POST /v1/events/{event_id}/gates.
type CreateGateRequest struct {
	EventPath
	Body GateInput
}

// GateResponse answers with one gate.
type GateResponse struct{ Body *Gate }

// HandleCreateGate adds a gate.
func (s *Service) HandleCreateGate(ctx context.Context, in *CreateGateRequest) (*GateResponse, error) {
	g, err := s.CreateGate(ctx, in.EventID, in.Body)
	if err != nil {
		return nil, err
	}
	return &GateResponse{Body: g}, nil
}

// GatesResponse lists an event's gates.
type GatesResponse struct {
	Body struct {
		Data []Gate `json:"data"`
	}
}

// HandleListGates lists an event's gates.
func (s *Service) HandleListGates(ctx context.Context, in *EventPath) (*GatesResponse, error) {
	gs, err := s.Gates(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	out := &GatesResponse{}
	out.Body.Data = gs
	return out, nil
}

// HandleGetGate returns one gate.
func (s *Service) HandleGetGate(ctx context.Context, in *GatePath) (*GateResponse, error) {
	g, err := s.Gate(ctx, in.GateID)
	if err != nil {
		return nil, err
	}
	return &GateResponse{Body: g}, nil
}

// PatchGateRequest is PATCH /v1/gates/{gate_id}.
type PatchGateRequest struct {
	GatePath
	Body GateUpdate
}

// HandlePatchGate changes a gate.
func (s *Service) HandlePatchGate(ctx context.Context, in *PatchGateRequest) (*GateResponse, error) {
	g, err := s.UpdateGate(ctx, in.GateID, in.Body)
	if err != nil {
		return nil, err
	}
	return &GateResponse{Body: g}, nil
}

// SettingsResponse answers with an event's gate settings.
type SettingsResponse struct{ Body Settings }

// HandleGetSettings returns an event's gate settings.
func (s *Service) HandleGetSettings(ctx context.Context, in *EventPath) (*SettingsResponse, error) {
	if err := s.events.Exists(ctx, in.EventID); err != nil {
		return nil, err
	}
	st, err := s.Settings(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return &SettingsResponse{Body: st}, nil
}

// PutSettingsRequest is PUT /v1/events/{event_id}/gate-settings.
type PutSettingsRequest struct {
	EventPath
	Body SettingsInput
}

// HandlePutSettings replaces an event's gate settings.
func (s *Service) HandlePutSettings(ctx context.Context, in *PutSettingsRequest) (*SettingsResponse, error) {
	st, err := s.SetSettings(ctx, in.EventID, in.Body)
	if err != nil {
		return nil, err
	}
	return &SettingsResponse{Body: st}, nil
}

// CheckinRequest is POST /v1/checkins.
type CheckinRequest struct{ Body ScanInput }

// CheckinResponse is an admitted scan.
type CheckinResponse struct{ Body *ScanResult }

// HandleCheckin decides and records one scan.
func (s *Service) HandleCheckin(ctx context.Context, in *CheckinRequest) (*CheckinResponse, error) {
	r, err := s.RecordScan(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &CheckinResponse{Body: r}, nil
}

// BatchRequest is POST /v1/events/{event_id}/checkins/batch.
type BatchRequest struct {
	EventPath
	Body struct {
		// Source names the pusher, e.g. "node:<id>".
		Source string        `json:"source,omitempty" maxLength:"100"`
		Scans  []OfflineScan `json:"scans" maxItems:"1000"`
	}
}

// BatchResponse lists what happened to each pushed scan, in order.
type BatchResponse struct {
	Body struct {
		Results []BatchResult `json:"results"`
	}
}

// HandleBatch records scans a gate node decided offline.
func (s *Service) HandleBatch(ctx context.Context, in *BatchRequest) (*BatchResponse, error) {
	src := in.Body.Source
	if src == "" {
		src = "node"
	}
	rs, err := s.PushScans(ctx, in.EventID, src, in.Body.Scans)
	if err != nil {
		return nil, err
	}
	out := &BatchResponse{}
	out.Body.Results = rs
	return out, nil
}

// StatsResponse answers with an event's check-in numbers.
type StatsResponse struct{ Body *Stats }

// HandleStats returns an event's live check-in numbers.
func (s *Service) HandleStats(ctx context.Context, in *EventPath) (*StatsResponse, error) {
	st, err := s.Stats(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	return &StatsResponse{Body: st}, nil
}

// ListRequest is a paged list of an event's things.
type ListRequest struct {
	EventPath
	api.PageParams
}

// HandleConflicts lists an event's check-in conflicts.
func (s *Service) HandleConflicts(ctx context.Context, in *ListRequest) (*api.List[Conflict], error) {
	return s.Conflicts(ctx, in.EventID, in.PageParams)
}

// HandleCheckins lists an event's recorded scans.
func (s *Service) HandleCheckins(ctx context.Context, in *ListRequest) (*api.List[Checkin], error) {
	return s.Checkins(ctx, in.EventID, in.PageParams)
}

// SyncRequest is GET /v1/events/{event_id}/gate-sync.
type SyncRequest struct {
	EventPath
	Since  time.Time `query:"since" doc:"RFC 3339: only tickets issued or revoked at or after it (pass the previous server_time minus a few minutes)."`
	Cursor string    `query:"cursor" maxLength:"200"`
	Limit  int       `query:"limit" minimum:"1" maximum:"5000" default:"1000"`
}

// SyncResponse is one page of gate data.
type SyncResponse struct{ Body *SyncPage }

// HandleSync returns a page of what a gate node keeps.
func (s *Service) HandleSync(ctx context.Context, in *SyncRequest) (*SyncResponse, error) {
	p, err := s.Sync(ctx, in.EventID, in.Since, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	return &SyncResponse{Body: p}, nil
}

// PairingRequest is POST /v1/devices/pairing-codes.
type PairingRequest struct{ Body PairingInput }

// PairingResponse answers with a new pairing code.
type PairingResponse struct{ Body *PairingCode }

// HandleCreatePairingCode makes a pairing code.
func (s *Service) HandleCreatePairingCode(ctx context.Context, in *PairingRequest) (*PairingResponse, error) {
	pc, err := s.CreatePairingCode(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &PairingResponse{Body: pc}, nil
}

// PairRequest is POST /v1/public/devices/pair.
type PairRequest struct{ Body PairInput }

// PairResponse answers with a device's credentials.
type PairResponse struct{ Body *Paired }

// HandlePair redeems a pairing code.
func (s *Service) HandlePair(ctx context.Context, in *PairRequest) (*PairResponse, error) {
	p, err := s.Pair(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &PairResponse{Body: p}, nil
}

// DevicesResponse lists devices.
type DevicesResponse struct {
	Body struct {
		Data []DeviceState `json:"data"`
	}
}

// HandleListDevices lists the tenant's devices.
func (s *Service) HandleListDevices(ctx context.Context, _ *struct{}) (*DevicesResponse, error) {
	ds, err := s.Devices(ctx)
	if err != nil {
		return nil, err
	}
	out := &DevicesResponse{}
	out.Body.Data = ds
	return out, nil
}

// DevicePath names a device.
type DevicePath struct {
	DeviceID string `path:"device_id" maxLength:"100"`
}

// PatchDeviceRequest is PATCH /v1/devices/{device_id}.
type PatchDeviceRequest struct {
	DevicePath
	Body DeviceUpdate
}

// DeviceResponse answers with one device.
type DeviceResponse struct{ Body *DeviceState }

// HandlePatchDevice assigns a device to a gate.
func (s *Service) HandlePatchDevice(ctx context.Context, in *PatchDeviceRequest) (*DeviceResponse, error) {
	d, err := s.UpdateDevice(ctx, in.DeviceID, in.Body)
	if err != nil {
		return nil, err
	}
	return &DeviceResponse{Body: d}, nil
}

// DeviceHeartbeatRequest is POST /v1/devices/{device_id}/heartbeat.
type DeviceHeartbeatRequest struct {
	DevicePath
	Body Heartbeat
}

// HandleDeviceHeartbeat records a device heartbeat.
func (s *Service) HandleDeviceHeartbeat(ctx context.Context, in *DeviceHeartbeatRequest) (*struct{}, error) {
	return &struct{}{}, s.DeviceHeartbeat(ctx, in.DeviceID, in.Body)
}

// BeaconPath names a beacon.
type BeaconPath struct {
	BeaconID string `path:"beacon_id" maxLength:"100"`
}

// BeaconHeartbeatRequest is POST /v1/beacons/{beacon_id}/heartbeat.
type BeaconHeartbeatRequest struct {
	BeaconPath
	Body Heartbeat
}

// HandleBeaconHeartbeat records a beacon's report.
func (s *Service) HandleBeaconHeartbeat(ctx context.Context, in *BeaconHeartbeatRequest) (*struct{}, error) {
	return &struct{}{}, s.BeaconHeartbeat(ctx, in.BeaconID, in.Body)
}

// CreateBeaconRequest is POST /v1/events/{event_id}/beacons.
type CreateBeaconRequest struct {
	EventPath
	Body BeaconInput
}

// BeaconResponse answers with one beacon.
type BeaconResponse struct{ Body *Beacon }

// HandleCreateBeacon registers a beacon.
func (s *Service) HandleCreateBeacon(ctx context.Context, in *CreateBeaconRequest) (*BeaconResponse, error) {
	b, err := s.CreateBeacon(ctx, in.EventID, in.Body)
	if err != nil {
		return nil, err
	}
	return &BeaconResponse{Body: b}, nil
}

// BeaconsResponse lists beacons.
type BeaconsResponse struct {
	Body struct {
		Data []Beacon `json:"data"`
	}
}

// HandleListBeacons lists an event's beacons.
func (s *Service) HandleListBeacons(ctx context.Context, in *EventPath) (*BeaconsResponse, error) {
	bs, err := s.Beacons(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	out := &BeaconsResponse{}
	out.Body.Data = bs
	return out, nil
}

// AlertsResponse lists open alerts.
type AlertsResponse struct {
	Body struct {
		Data []Alert `json:"data"`
	}
}

// HandleAlerts lists an event's open device and beacon alerts.
func (s *Service) HandleAlerts(ctx context.Context, in *EventPath) (*AlertsResponse, error) {
	if err := s.events.Exists(ctx, in.EventID); err != nil {
		return nil, err
	}
	h, err := s.Health(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	out := &AlertsResponse{}
	out.Body.Data = h.Alerts
	return out, nil
}
