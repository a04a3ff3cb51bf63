package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/outbox"
	"github.com/usher-events/usher/internal/ticket"
)

// ScanInput is one scan at a gate.
type ScanInput struct {
	Code      string     `json:"code" maxLength:"1000" doc:"The text the ticket's QR encodes."`
	GateID    string     `json:"gate_id" maxLength:"100"`
	Direction string     `json:"direction,omitempty" enum:"in,out" doc:"Default in. out records someone leaving (events with in/out re-entry)."`
	ScanID    string     `json:"scan_id,omitempty" maxLength:"100" doc:"The device's own id of this scan: sending it again returns the first answer and counts once."`
	DeviceID  string     `json:"device_id,omitempty" maxLength:"100"`
	ScannedAt *time.Time `json:"scanned_at,omitempty" doc:"When the device scanned; default now. A time more than 5 minutes ahead of the clock that decides counts as now."`
}

// TicketInfo is what a scan shows of the ticket.
type TicketInfo struct {
	ID           string `json:"id"`
	EventID      string `json:"event_id"`
	TicketTypeID string `json:"ticket_type_id"`
	// TicketTypeName is the type's name ("VIP"), for the scanner's result
	// screen; empty when it is not known.
	TicketTypeName string `json:"ticket_type_name"`
	AttendeeName   string `json:"attendee_name"`
	Status         string `json:"status"`
}

// ScanResult is the answer to an admitted scan.
type ScanResult struct {
	Result    string      `json:"result" enum:"admitted"`
	CheckinID string      `json:"checkin_id"`
	ScanID    string      `json:"scan_id"`
	GateID    string      `json:"gate_id"`
	Direction string      `json:"direction"`
	ScannedAt time.Time   `json:"scanned_at"`
	Ticket    *TicketInfo `json:"ticket,omitempty"`
	// Replayed is true when the scan_id was seen before and this is the
	// first answer again.
	Replayed bool `json:"replayed"`
}

// checkinRow is a checkins row.
type checkinRow struct {
	ID           string    `db:"id"`
	EventID      string    `db:"event_id"`
	GateID       string    `db:"gate_id"`
	TicketID     string    `db:"ticket_id"`
	TicketTypeID string    `db:"ticket_type_id"`
	DeviceID     string    `db:"device_id"`
	Source       string    `db:"source"`
	ScanID       string    `db:"scan_id"`
	Direction    string    `db:"direction"`
	Result       string    `db:"result"`
	Message      string    `db:"message"`
	Conflict     bool      `db:"conflict"`
	ScannedAt    time.Time `db:"scanned_at"`
	RecordedAt   time.Time `db:"recorded_at"`
}

const checkinColumns = `id, event_id, gate_id, ticket_id, ticket_type_id, device_id, source, scan_id, direction, result, message, conflict, scanned_at, recorded_at`

func insertCheckin(tx *db.Tx, c *checkinRow, onConflictNothing bool) (bool, error) {
	q := `INSERT INTO checkins (tenant_id, ` + checkinColumns + `) VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	if onConflictNothing {
		q += ` ON CONFLICT DO NOTHING`
	}
	res, err := tx.Exec(q, c.ID, c.EventID, c.GateID, c.TicketID, c.TicketTypeID, c.DeviceID, c.Source, c.ScanID,
		c.Direction, c.Result, c.Message, c.Conflict, c.ScannedAt, c.RecordedAt)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MaxClockSkew is how far ahead of the deciding clock a scan's scanned_at
// may be; later times count as now.
const MaxClockSkew = 5 * time.Minute

// errReplay rolls back a scan whose scan_id another transaction recorded
// first; the caller then answers with the stored scan.
var errReplay = errors.New("gate: scan id already recorded")

// Normalize checks a scan's fields and fills the defaults (direction in,
// a fresh scan_id, scanned_at now).
func (in *ScanInput) Normalize(now time.Time) error {
	var c fault.Check
	in.Code = strings.TrimSpace(in.Code)
	in.GateID = strings.TrimSpace(in.GateID)
	if in.Direction == "" {
		in.Direction = DirectionIn
	}
	c.Add(in.Code == "" || len(in.Code) > 1000, "code", "must be 1 to 1000 characters")
	c.Add(in.GateID == "" || len(in.GateID) > 100, "gate_id", "must be a gate id")
	c.Add(in.Direction != DirectionIn && in.Direction != DirectionOut, "direction", "must be in or out")
	c.Add(len(in.ScanID) > 100, "scan_id", "at most 100 characters")
	c.Add(len(in.DeviceID) > 100, "device_id", "at most 100 characters")
	if err := c.Err(); err != nil {
		return err
	}
	if in.ScanID == "" {
		in.ScanID = id.New("scn")
	}
	if in.ScannedAt == nil || in.ScannedAt.IsZero() || in.ScannedAt.After(now.Add(MaxClockSkew)) {
		// A device clock far ahead would count the scan in "the last
		// minutes" of the dashboard for as long as it is ahead.
		in.ScannedAt = &now
	}
	t := in.ScannedAt.UTC().Truncate(time.Microsecond)
	in.ScannedAt = &t
	return nil
}

// RecordScan decides a scan at a gate and records it, for the tenant of
// ctx. The signature is checked against keys held in memory; the decision
// and the record are one transaction, where inserting the ticket's presence
// row is the admission, so two concurrent scans of one ticket admit once. A
// refused scan is recorded too, and returned as a fault error with its code.
func (s *Service) RecordScan(ctx context.Context, in ScanInput) (*ScanResult, error) {
	now := s.now()
	if err := in.Normalize(now); err != nil {
		return nil, err
	}
	// A repeated scan_id needs no pre-read: the unique index turns it into
	// errReplay below, and the stored answer is returned.
	g, st, err := s.rules.get(ctx, s, in.GateID)
	if err != nil {
		return nil, err
	}
	claims, verr := s.keys.verify(ctx, g.EventID, in.Code)
	if verr != nil && !isVerifyErr(verr) {
		return nil, verr
	}
	row := &checkinRow{ID: id.New("chk"), EventID: g.EventID, GateID: g.ID, TicketID: claims.TicketID, TicketTypeID: claims.TicketTypeID,
		DeviceID: in.DeviceID, Source: "server", ScanID: in.ScanID, Direction: in.Direction, ScannedAt: *in.ScannedAt, RecordedAt: now}
	var holder ticket.Holder
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		refusal := Verdict(verr)
		if refusal == nil {
			holder, refusal = s.decide(tx, g, st, claims, row, now)
		}
		if refusal != nil {
			var fe *fault.Error
			if !errors.As(refusal, &fe) || !Refusal(fe.Code) {
				return refusal
			}
			row.Result, row.Message = string(fe.Code), fe.Message
		} else {
			row.Result = ResultAdmitted
		}
		if _, err := insertCheckin(tx, row, false); err != nil {
			if db.IsUnique(err) {
				return errReplay
			}
			return err
		}
		_, err := outbox.Emit(tx, KindCheckinRecorded, row.ID, map[string]any{
			"checkin_id": row.ID, "event_id": row.EventID, "gate_id": row.GateID, "ticket_id": row.TicketID,
			"scan_id": row.ScanID, "direction": row.Direction, "result": row.Result, "scanned_at": row.ScannedAt,
		}, now)
		return err
	})
	if errors.Is(err, errReplay) {
		prev, err := s.storedScan(ctx, in.ScanID)
		if err != nil {
			return nil, err
		}
		if prev.TicketID != row.TicketID || prev.GateID != row.GateID || prev.Direction != row.Direction {
			return nil, ReusedScanID(in.ScanID)
		}
		return s.replay(ctx, prev)
	}
	if err != nil {
		return nil, err
	}
	s.live.Notify(ctx, row.EventID)
	res, err := answer(row, &holder, false)
	return s.named(ctx, res), err
}

// ReusedScanID refuses a scan whose scan_id was recorded for another
// ticket, gate or direction: answering with that first scan would show one
// person's result for another's ticket.
func ReusedScanID(scanID string) error {
	return fault.New(fault.IdempotencyRe, "scan_id %q was already used for another scan (another ticket, gate or direction); send a new scan_id", scanID)
}

// named fills in the ticket type's name of an admitted scan's answer.
func (s *Service) named(ctx context.Context, r *ScanResult) *ScanResult {
	if r != nil && r.Ticket != nil {
		r.Ticket.TicketTypeName = s.names.name(ctx, s.events, r.Ticket.EventID, r.Ticket.TicketTypeID)
	}
	return r
}

// Refusal reports whether code is one of the answers a scan can be refused
// with (and is recorded with).
func Refusal(code fault.Code) bool {
	switch code {
	case fault.InvalidTicket, fault.TicketRevoked, fault.WrongGate, fault.GateClosed, fault.NotValidYet,
		fault.AlreadyCheckedIn, fault.NotInside, fault.Invalid:
		return true
	}
	return false
}

// isVerifyErr reports whether err is one of ticket.Verify's refusals.
func isVerifyErr(err error) bool {
	for _, e := range []error{ticket.ErrMalformed, ticket.ErrUnknownKey, ticket.ErrBadSignature, ticket.ErrNotYetValid, ticket.ErrExpired} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// decide applies the rules to a verified code inside the recording
// transaction: the ticket must exist and be valid, the gate must let its
// type through, and the presence write must succeed.
func (s *Service) decide(tx *db.Tx, g *Gate, st Settings, c ticket.Claims, row *checkinRow, now time.Time) (ticket.Holder, error) {
	h, err := s.tickets.HolderTx(tx, c.TicketID)
	if fault.Is(err, fault.NotFound) || (err == nil && h.EventID != g.EventID) {
		return h, fault.New(fault.InvalidTicket, "this ticket is not known for this event")
	}
	if err != nil {
		return h, err
	}
	if h.Status == ticket.StatusRevoked {
		return h, fault.New(fault.TicketRevoked, "this ticket was revoked")
	}
	if err := g.Check(st, h.TicketTypeID, row.ScannedAt); err != nil {
		return h, err
	}
	return h, s.move(tx, st, row, now)
}

// move changes the ticket's presence for an admitted scan, as one
// conditional write each: an insert that does nothing when the row exists,
// or an update guarded by the current state.
func (s *Service) move(tx *db.Tx, st Settings, row *checkinRow, now time.Time) error {
	if row.Direction == DirectionOut {
		if st.Reentry != ReentryInOut {
			return fault.New(fault.Invalid, "this event admits each ticket once; it does not record leaving")
		}
		res, err := tx.Exec(`UPDATE presence SET inside = FALSE, last_checkin_id = ?, updated_at = ? WHERE tenant_id = @tenant AND ticket_id = ? AND inside`,
			row.ID, now, row.TicketID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.New(fault.NotInside, "this ticket is not inside")
		}
		return nil
	}
	res, err := tx.Exec(`INSERT INTO presence (tenant_id, ticket_id, event_id, inside, entries, first_checkin_id, last_checkin_id, first_at, updated_at)
		VALUES (@tenant, ?, ?, TRUE, 1, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, row.TicketID, row.EventID, row.ID, row.ID, row.ScannedAt, now)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if st.Reentry == ReentryInOut {
		res, err := tx.Exec(`UPDATE presence SET inside = TRUE, entries = entries + 1, last_checkin_id = ?, updated_at = ?
			WHERE tenant_id = @tenant AND ticket_id = ? AND NOT inside`, row.ID, now, row.TicketID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		return fault.New(fault.AlreadyCheckedIn, "this ticket is already inside")
	}
	var first struct {
		At     time.Time `db:"first_at"`
		GateID string    `db:"gate_id"`
	}
	err = tx.Get(&first, `SELECT p.first_at, c.gate_id FROM presence p JOIN checkins c ON c.tenant_id = p.tenant_id AND c.id = p.first_checkin_id
		WHERE p.tenant_id = @tenant AND p.ticket_id = ?`, row.TicketID)
	if err != nil {
		return fault.New(fault.AlreadyCheckedIn, "this ticket was already checked in")
	}
	return fault.New(fault.AlreadyCheckedIn, "this ticket was already checked in at %s (gate %s)", first.At.UTC().Format(time.RFC3339), first.GateID)
}

func (s *Service) storedScan(ctx context.Context, scanID string) (*checkinRow, error) {
	var r checkinRow
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&r, `SELECT `+checkinColumns+` FROM checkins WHERE tenant_id = @tenant AND scan_id = ?`, scanID)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// replay answers with a stored scan.
func (s *Service) replay(ctx context.Context, r *checkinRow) (*ScanResult, error) {
	var h ticket.Holder
	if r.TicketID != "" {
		s.db.Read(ctx, func(tx *db.Tx) error {
			var err error
			h, err = s.tickets.HolderTx(tx, r.TicketID)
			return err
		})
	}
	res, err := answer(r, &h, true)
	return s.named(ctx, res), err
}

func answer(r *checkinRow, h *ticket.Holder, replayed bool) (*ScanResult, error) {
	if r.Result != ResultAdmitted {
		code := fault.Code(r.Result)
		if !Refusal(code) {
			code = fault.InvalidTicket
		}
		return nil, fault.New(code, "%s", r.Message)
	}
	out := &ScanResult{Result: ResultAdmitted, CheckinID: r.ID, ScanID: r.ScanID, GateID: r.GateID, Direction: r.Direction,
		ScannedAt: r.ScannedAt.UTC(), Replayed: replayed}
	if h != nil && h.ID != "" {
		out.Ticket = &TicketInfo{ID: h.ID, EventID: h.EventID, TicketTypeID: h.TicketTypeID, AttendeeName: h.AttendeeName, Status: h.Status}
	}
	return out, nil
}

// OfflineScan is a scan a gate node decided on its own and pushes later.
type OfflineScan struct {
	ScanID    string    `json:"scan_id" minLength:"1" maxLength:"100"`
	Code      string    `json:"code" maxLength:"1000"`
	GateID    string    `json:"gate_id" maxLength:"100"`
	Direction string    `json:"direction" enum:"in,out"`
	DeviceID  string    `json:"device_id,omitempty" maxLength:"100"`
	ScannedAt time.Time `json:"scanned_at"`
	// Result is what the node answered: "admitted" or a refusal code.
	Result  string `json:"result" maxLength:"60"`
	Message string `json:"message,omitempty" maxLength:"300"`
}

// BatchResult is the server's record of one pushed scan.
type BatchResult struct {
	ScanID    string `json:"scan_id"`
	CheckinID string `json:"checkin_id,omitempty"`
	// Status is "recorded" for a new scan, "duplicate" for a scan_id seen
	// before (nothing changed), or "rejected" for a scan the server cannot
	// take (unknown gate); rejected scans should not be pushed again.
	Status   string `json:"status" enum:"recorded,duplicate,rejected"`
	Conflict bool   `json:"conflict,omitempty" doc:"The ticket was admitted elsewhere too while apart; both scans are kept and listed as a conflict."`
	Detail   string `json:"detail,omitempty"`
	// TicketTypeID and TicketTypeName say what the scanned code is, when
	// the server could verify it.
	TicketTypeID   string `json:"ticket_type_id,omitempty"`
	TicketTypeName string `json:"ticket_type_name,omitempty"`
}

// MaxBatch is the most scans one push may carry: with codes of 177
// characters it keeps a push well under the 1 MiB body limit.
const MaxBatch = 1000

// PushScans records scans a gate node already answered, for the tenant of
// ctx. The node's decision stands (the person is in or was turned away); the
// server keeps the record, updates presence, and when the ticket had been
// admitted elsewhere in the meantime, keeps both scans and lists a conflict.
// A scan_id seen before changes nothing, so pushing again is safe.
func (s *Service) PushScans(ctx context.Context, eventID, source string, scans []OfflineScan) ([]BatchResult, error) {
	if len(scans) > MaxBatch {
		return nil, fault.Field("scans", fmt.Sprintf("at most %d per push", MaxBatch))
	}
	gates, err := s.Gates(ctx, eventID)
	if err != nil {
		return nil, err
	}
	st, err := s.Settings(ctx, eventID)
	if err != nil {
		return nil, err
	}
	byID := map[string]*Gate{}
	for i := range gates {
		byID[gates[i].ID] = &gates[i]
	}
	now := s.now()
	out := make([]BatchResult, len(scans))
	rows := make([]*checkinRow, len(scans))
	for i, sc := range scans {
		out[i] = BatchResult{ScanID: sc.ScanID}
		var c fault.Check
		c.Add(sc.ScanID == "" || len(sc.ScanID) > 100, "scan_id", "must be 1 to 100 characters")
		c.Add(byID[sc.GateID] == nil, "gate_id", "is not a gate of this event")
		c.Add(sc.Direction != DirectionIn && sc.Direction != DirectionOut, "direction", "must be in or out")
		c.Add(sc.Result != ResultAdmitted && !Refusal(fault.Code(sc.Result)), "result", "must be admitted or a refusal code")
		c.Add(len(sc.Code) > 1000 || len(sc.DeviceID) > 100 || len(sc.Message) > 300, "code", "too long")
		if err := c.Err(); err != nil {
			out[i].Status, out[i].Detail = "rejected", err.(*fault.Error).Message
			continue
		}
		claims, verr := s.keys.verify(ctx, eventID, sc.Code)
		if verr != nil && !isVerifyErr(verr) && !fault.Is(verr, fault.NotFound) {
			return nil, verr
		}
		at := sc.ScannedAt.UTC().Truncate(time.Microsecond)
		if at.IsZero() || at.After(now.Add(MaxClockSkew)) {
			at = now
		}
		if verr == nil && claims.TicketTypeID != "" {
			out[i].TicketTypeID = claims.TicketTypeID
			out[i].TicketTypeName = s.names.name(ctx, s.events, eventID, claims.TicketTypeID)
		}
		rows[i] = &checkinRow{ID: id.New("chk"), EventID: eventID, GateID: sc.GateID, TicketID: claims.TicketID, TicketTypeID: claims.TicketTypeID,
			DeviceID: sc.DeviceID, Source: source, ScanID: sc.ScanID, Direction: sc.Direction, Result: sc.Result, Message: sc.Message,
			ScannedAt: at, RecordedAt: now}
		if sc.Result == ResultAdmitted && (verr != nil && !errors.Is(verr, ticket.ErrNotYetValid) && !errors.Is(verr, ticket.ErrExpired)) {
			// A node admitted a code the server cannot verify: record what
			// happened, but do not count a presence for an unknown ticket.
			rows[i].Message = "admitted offline; the server could not verify the code"
		}
	}
	var conflicts []bool
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		conflicts = make([]bool, len(rows))
		for i, r := range rows {
			if r == nil {
				continue
			}
			r.Conflict = false
			ok, err := insertCheckin(tx, r, true)
			if err != nil {
				return err
			}
			if !ok {
				out[i].Status = "duplicate"
				continue
			}
			out[i].Status, out[i].CheckinID = "recorded", r.ID
			if r.Result == ResultAdmitted && r.TicketID != "" {
				c, err := s.applyOffline(tx, st, r, now)
				if err != nil {
					return err
				}
				conflicts[i] = c
			}
			if _, err := outbox.Emit(tx, KindCheckinRecorded, r.ID, map[string]any{
				"checkin_id": r.ID, "event_id": r.EventID, "gate_id": r.GateID, "ticket_id": r.TicketID, "scan_id": r.ScanID,
				"direction": r.Direction, "result": r.Result, "scanned_at": r.ScannedAt, "source": r.Source, "conflict": conflicts[i],
			}, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, c := range conflicts {
		out[i].Conflict = c
	}
	s.live.Notify(ctx, eventID)
	return out, nil
}

// applyOffline updates presence for a scan a node admitted; it reports a
// conflict when the ticket was already in by another scan.
func (s *Service) applyOffline(tx *db.Tx, st Settings, r *checkinRow, now time.Time) (bool, error) {
	if r.Direction == DirectionOut {
		_, err := tx.Exec(`UPDATE presence SET inside = FALSE, last_checkin_id = ?, updated_at = ? WHERE tenant_id = @tenant AND ticket_id = ? AND inside`,
			r.ID, now, r.TicketID)
		return false, err
	}
	res, err := tx.Exec(`INSERT INTO presence (tenant_id, ticket_id, event_id, inside, entries, first_checkin_id, last_checkin_id, first_at, updated_at)
		VALUES (@tenant, ?, ?, TRUE, 1, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.TicketID, r.EventID, r.ID, r.ID, r.ScannedAt, now)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return false, nil
	}
	if st.Reentry == ReentryInOut {
		res, err := tx.Exec(`UPDATE presence SET inside = TRUE, entries = entries + 1, last_checkin_id = ?, updated_at = ?
			WHERE tenant_id = @tenant AND ticket_id = ? AND NOT inside`, r.ID, now, r.TicketID)
		if err != nil {
			return false, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return false, nil
		}
	}
	var first string
	if err := tx.Get(&first, `SELECT last_checkin_id FROM presence WHERE tenant_id = @tenant AND ticket_id = ?`, r.TicketID); err != nil {
		return false, err
	}
	if _, err := tx.Exec(`UPDATE checkins SET conflict = TRUE WHERE tenant_id = @tenant AND id IN (?, ?)`, first, r.ID); err != nil {
		return false, err
	}
	_, err = tx.Exec(`INSERT INTO checkin_conflicts (tenant_id, id, event_id, ticket_id, first_checkin_id, second_checkin_id, created_at)
		VALUES (@tenant, ?, ?, ?, ?, ?, ?)`, id.New("cfl"), r.EventID, r.TicketID, first, r.ID, now)
	return true, err
}
