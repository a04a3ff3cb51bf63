package gatenode

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/gate"
	"github.com/usher-events/usher/internal/ticket"
)

// scanRow is a node_scans row.
type scanRow struct {
	ScanID    string    `db:"scan_id"`
	GateID    string    `db:"gate_id"`
	DeviceID  string    `db:"device_id"`
	Direction string    `db:"direction"`
	Code      string    `db:"code"`
	TicketID  string    `db:"ticket_id"`
	Result    string    `db:"result"`
	Message   string    `db:"message"`
	ScannedAt time.Time `db:"scanned_at"`
}

var errReplay = errors.New("gatenode: scan id already recorded")

// same reports whether a scan sent again is the recorded one (same code at
// the same gate, same direction), so that its first answer may be replayed.
func (r *scanRow) same(in gate.ScanInput) bool {
	return r.Code == in.Code && r.GateID == in.GateID && r.Direction == in.Direction
}

// Scan decides a scan with the local copy and writes it to the journal
// before returning, so that an answered scan survives a crash. A refusal is
// returned as a fault error with its code, like the server's.
func (n *Node) Scan(ctx context.Context, in gate.ScanInput) (*gate.ScanResult, error) {
	now := n.cfg.Now().UTC()
	if err := in.Normalize(now); err != nil {
		return nil, err
	}
	if prev, err := n.stored(ctx, in.ScanID); err == nil {
		if !prev.same(in) {
			return nil, gate.ReusedScanID(in.ScanID)
		}
		return n.answer(prev, true)
	} else if !fault.Is(err, fault.NotFound) {
		return nil, err
	}
	n.mu.RLock()
	g, ok := n.gates[in.GateID]
	ks, st := n.keys, n.settings
	n.mu.RUnlock()
	if !ok {
		return nil, fault.New(fault.NotFound, "no gate %q at this node", in.GateID)
	}
	claims, verr := ticket.Verify(in.Code, ks, now)
	row := &scanRow{ScanID: in.ScanID, GateID: g.ID, DeviceID: in.DeviceID, Direction: in.Direction, Code: in.Code,
		TicketID: claims.TicketID, ScannedAt: *in.ScannedAt}
	refusal := gate.Verdict(verr)
	if refusal == nil {
		n.mu.RLock()
		h, known := n.tickets[claims.TicketID]
		n.mu.RUnlock()
		// A ticket issued after the last sync is not in the copy yet; its
		// signature is the proof, so it passes on its type from the code.
		typ := claims.TicketTypeID
		if known && h.Status == ticket.StatusRevoked {
			refusal = fault.New(fault.TicketRevoked, "this ticket was revoked")
		} else {
			refusal = g.Check(st, typ, row.ScannedAt)
		}
	}
	err := n.db.Write(ctx, func(tx *db.Tx) error {
		r := refusal
		if r == nil {
			r = move(tx, st, row)
		}
		if r != nil {
			var fe *fault.Error
			if !errors.As(r, &fe) || !gate.Refusal(fe.Code) {
				return r
			}
			row.Result, row.Message = string(fe.Code), fe.Message
		} else {
			row.Result = gate.ResultAdmitted
		}
		res, err := tx.Exec(`INSERT INTO node_scans (scan_id, gate_id, device_id, direction, code, ticket_id, result, message, scanned_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			row.ScanID, row.GateID, row.DeviceID, row.Direction, row.Code, row.TicketID, row.Result, row.Message, row.ScannedAt)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errReplay
		}
		return nil
	})
	if errors.Is(err, errReplay) {
		prev, err := n.stored(ctx, in.ScanID)
		if err != nil {
			return nil, err
		}
		if !prev.same(in) {
			return nil, gate.ReusedScanID(in.ScanID)
		}
		return n.answer(prev, true)
	}
	if err != nil {
		return nil, err
	}
	n.poke()
	return n.answer(row, false)
}

// move changes the local presence, as the server does (see gate.Service).
// A ticket this node has not seen yet is first checked against what the
// server last said: admitted elsewhere (and, with in/out, still inside) is
// refused like a second scan here.
func move(tx *db.Tx, st gate.Settings, row *scanRow) error {
	// What the server said, for a ticket with no local presence only.
	var remote []bool
	if err := tx.Select(&remote, `SELECT inside FROM node_remote_presence r WHERE ticket_id = ?
		AND NOT EXISTS (SELECT 1 FROM node_presence p WHERE p.ticket_id = r.ticket_id)`, row.TicketID); err != nil {
		return err
	}
	if len(remote) == 1 {
		switch {
		case row.Direction == gate.DirectionOut && st.Reentry == gate.ReentryInOut && remote[0]:
			_, err := tx.Exec(`INSERT INTO node_presence (ticket_id, inside, scan_id) VALUES (?, 0, ?)`, row.TicketID, row.ScanID)
			return err
		case row.Direction == gate.DirectionIn && (st.Reentry != gate.ReentryInOut || remote[0]):
			return fault.New(fault.AlreadyCheckedIn, "this ticket was already checked in at another gate")
		}
	}
	if row.Direction == gate.DirectionOut {
		if st.Reentry != gate.ReentryInOut {
			return fault.New(fault.Invalid, "this event admits each ticket once; it does not record leaving")
		}
		res, err := tx.Exec(`UPDATE node_presence SET inside = 0, scan_id = ? WHERE ticket_id = ? AND inside = 1`, row.ScanID, row.TicketID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return fault.New(fault.NotInside, "this ticket is not inside")
		}
		return nil
	}
	res, err := tx.Exec(`INSERT INTO node_presence (ticket_id, inside, scan_id) VALUES (?, 1, ?) ON CONFLICT DO NOTHING`, row.TicketID, row.ScanID)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 1 {
		return nil
	}
	if st.Reentry == gate.ReentryInOut {
		res, err := tx.Exec(`UPDATE node_presence SET inside = 1, scan_id = ? WHERE ticket_id = ? AND inside = 0`, row.ScanID, row.TicketID)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 1 {
			return nil
		}
		return fault.New(fault.AlreadyCheckedIn, "this ticket is already inside")
	}
	return fault.New(fault.AlreadyCheckedIn, "this ticket was already checked in at this node")
}

func (n *Node) stored(ctx context.Context, scanID string) (*scanRow, error) {
	var r scanRow
	err := n.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&r, `SELECT scan_id, gate_id, device_id, direction, code, ticket_id, result, message, scanned_at FROM node_scans WHERE scan_id = ?`, scanID)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func (n *Node) answer(r *scanRow, replayed bool) (*gate.ScanResult, error) {
	if r.Result != gate.ResultAdmitted {
		code := fault.Code(r.Result)
		if !gate.Refusal(code) {
			code = fault.InvalidTicket
		}
		return nil, fault.New(code, "%s", r.Message)
	}
	out := &gate.ScanResult{Result: gate.ResultAdmitted, ScanID: r.ScanID, GateID: r.GateID, Direction: r.Direction,
		ScannedAt: r.ScannedAt.UTC(), Replayed: replayed}
	n.mu.RLock()
	defer n.mu.RUnlock()
	h, ok := n.tickets[r.TicketID]
	if ok {
		out.Ticket = &gate.TicketInfo{ID: h.ID, EventID: h.EventID, TicketTypeID: h.TicketTypeID, TicketTypeName: n.typeNames[h.TicketTypeID],
			AttendeeName: h.AttendeeName, Status: h.Status}
	} else if r.TicketID != "" {
		// A ticket issued after the last sync: its type is in the signed
		// code, its holder's name is not.
		typ := ""
		if c, err := ticket.Verify(r.Code, n.keys, r.ScannedAt); err == nil || errors.Is(err, ticket.ErrNotYetValid) || errors.Is(err, ticket.ErrExpired) {
			typ = c.TicketTypeID
		}
		out.Ticket = &gate.TicketInfo{ID: r.TicketID, EventID: n.cfg.EventID, TicketTypeID: typ, TicketTypeName: n.typeNames[typ]}
	}
	return out, nil
}

// Handler serves the check-in API, the node's status and the scanner page.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/checkins", n.authed(n.handleCheckin))
	mux.HandleFunc("GET /v1/events/{event_id}/gates", n.authed(n.handleGates))
	mux.HandleFunc("POST /v1/scan/decode", n.authed(gate.DecodeHandler(writeProblem)))
	mux.HandleFunc("GET /status", n.handleStatus)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	mux.Handle("GET /", gate.ScannerPage(""))
	return mux
}

// authed lets through requests with the node's gate key: the node cannot
// check other credentials while offline.
func (n *Node) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(n.cfg.Token)) != 1 {
			writeProblem(w, fault.New(fault.Unauthorized, "send the gate key as \"Authorization: Bearer <key>\""))
			return
		}
		h(w, r)
	}
}

func (n *Node) handleCheckin(w http.ResponseWriter, r *http.Request) {
	var in gate.ScanInput
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeProblem(w, fault.New(fault.TooLarge, "the request body is too large"))
		return
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeProblem(w, fault.New(fault.Invalid, "the body is not valid JSON for a scan"))
		return
	}
	res, err := n.Scan(r.Context(), in)
	if err != nil {
		writeProblem(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (n *Node) handleGates(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("event_id") != n.cfg.EventID {
		writeProblem(w, fault.New(fault.NotFound, "this node serves event %s", n.cfg.EventID))
		return
	}
	n.mu.RLock()
	out := make([]gate.Gate, 0, len(n.gates))
	for _, g := range n.gates {
		out = append(out, g)
	}
	n.mu.RUnlock()
	// In the server's order (by id, which is creation order), the same on
	// every load of the scanner's gate list.
	slices.SortFunc(out, func(a, b gate.Gate) int { return strings.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// Status is what GET /status tells tablets and operators.
type Status struct {
	Online     bool       `json:"online"`
	EventID    string     `json:"event_id"`
	NodeID     string     `json:"node_id"`
	Pending    int        `json:"pending" doc:"Scans not yet pushed to the server."`
	Refused    int        `json:"refused" doc:"Scans the server refused outright (too large or malformed to record): kept in the journal, not sent again."`
	Scans      int        `json:"scans"`
	Tickets    int        `json:"tickets"`
	Keys       int        `json:"keys"`
	Gates      int        `json:"gates"`
	LastSyncAt *time.Time `json:"last_sync_at,omitempty"`
}

// Status reports the node's state.
func (n *Node) Status(ctx context.Context) Status {
	st := Status{Online: n.online.Load(), EventID: n.cfg.EventID, NodeID: n.nodeID}
	n.db.Read(ctx, func(tx *db.Tx) error {
		tx.Get(&st.Pending, `SELECT COUNT(*) FROM node_scans WHERE pushed = ?`, scanPending)
		tx.Get(&st.Refused, `SELECT COUNT(*) FROM node_scans WHERE pushed = ?`, scanRefused)
		return tx.Get(&st.Scans, `SELECT COUNT(*) FROM node_scans`)
	})
	n.mu.RLock()
	st.Tickets, st.Keys, st.Gates = len(n.tickets), n.keys.Len(), len(n.gates)
	n.mu.RUnlock()
	if ns := n.lastSync.Load(); ns > 0 {
		t := time.Unix(0, ns).UTC()
		st.LastSyncAt = &t
	}
	return st
}

func (n *Node) handleStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, n.Status(r.Context()))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// writeProblem answers like the server does: problem+json with a code.
func writeProblem(w http.ResponseWriter, err error) {
	var fe *fault.Error
	code, msg := fault.Internal, "an internal error occurred"
	if errors.As(err, &fe) {
		code, msg = fe.Code, fe.Message
	}
	status := api.StatusOf(code)
	b, _ := json.Marshal(map[string]any{
		"type": "https://usher.dev/problems/" + strings.ReplaceAll(string(code), "_", "-"), "title": http.StatusText(status),
		"status": status, "code": code, "detail": msg,
	})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
