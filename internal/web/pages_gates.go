package web

// The gates page group: an event's gates, re-entry policy, scanner devices
// and beacons (/app/events/{event_id}/gates), and the live check-in
// dashboard (/app/events/{event_id}/gates/live) with its stream.

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/gate"
)

// gatePageNames are the group's templates.
var gatePageNames = []string{"gates_index", "gates_event", "gates_live"}

// Who may use the gate pages. Everyone signed in may watch (viewers read,
// and gate staff watch their lanes); setting gates up is staff work, as in
// the API.
var (
	gateWatcher = access{signedIn: true, roles: api.Anyone}
	gateEditor  = access{signedIn: true, roles: api.Staff}
)

// gateKinds are the kinds the create form offers, in order.
var gateKinds = []string{gate.KindMain, gate.KindVIP, gate.KindStaff, gate.KindEmergency}

// gatesHead is what the heading of an event's gate pages needs.
type gatesHead struct {
	Event *event.Event
	// Tab is "setup" or "live".
	Tab string
}

// gateRow is a gate as the setup page lists it.
type gateRow struct {
	gate.Gate
	// Types are the names of the ticket types it admits; empty admits all.
	Types []string
}

// gatesPage is the content of an event's gate setup page.
type gatesPage struct {
	gatesHead
	Types    []event.TicketType
	Gates    []gateRow
	Settings gate.Settings
	// Staff marks the ticket types that are staff badges.
	Staff     map[string]bool
	Health    *gate.Health
	GateNames map[string]string
	CanWrite  bool
	Kinds     []string
	// Failed names the form that failed, to open it again.
	Failed string
	// Chosen marks the ticket types ticked in a create form shown again.
	Chosen map[string]bool
	// Pairing is a pairing code just made: shown once.
	Pairing *gate.PairingCode
}

// gateNotices are the one-line notes after a successful form.
var gateNotices = map[string]string{
	"gate":     "gates.done.gate",
	"settings": "gates.done.settings",
	"beacon":   "gates.done.beacon",
}

// GatesIndex lists the events, each with a way to its gates and dashboard:
// the navigation's "gates" section.
func (p *Pages) GatesIndex(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, gateWatcher, func(v *visit) error {
		list, err := p.deps.Events.List(v.ctx(), api.PageParams{Limit: 50, Cursor: v.r.URL.Query().Get("cursor")})
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "gates_index", &view{Title: "gates.index.title", Nav: "gates",
			Data: &eventsPage{Events: list.Body.Data, NextCursor: list.Body.NextCursor}})
	})
}

// gatesView loads an event's gate setup page.
func (p *Pages) gatesView(v *visit, eventID string) (*view, error) {
	ctx := v.ctx()
	e, err := p.deps.Events.Get(ctx, eventID)
	if err != nil {
		return nil, err
	}
	types, err := p.deps.Events.ListTicketTypes(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	gates, err := p.deps.Gates.Gates(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	st, err := p.deps.Gates.Settings(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	health, err := p.deps.Gates.Health(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	d := &gatesPage{gatesHead: gatesHead{Event: e, Tab: "setup"}, Types: types, Settings: st, Staff: map[string]bool{},
		Health: health, GateNames: map[string]string{}, CanWrite: gateEditor.roles.Allows(v.sess.Principal.Role),
		Kinds: gateKinds, Chosen: map[string]bool{}}
	for _, g := range gates {
		row := gateRow{Gate: g}
		for _, id := range g.TicketTypeIDs {
			row.Types = append(row.Types, cmp.Or(names[id], id))
		}
		d.Gates = append(d.Gates, row)
		d.GateNames[g.ID] = g.Name
	}
	for _, id := range st.StaffTicketTypeIDs {
		d.Staff[id] = true
	}
	form := map[string]string{"gate.kind": gate.KindMain}
	return &view{Title: "gates.title", Nav: "gates", Data: d, Form: form}, nil
}

// EventGates shows an event's gates, re-entry policy, devices and beacons.
func (p *Pages) EventGates(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, gateWatcher, func(v *visit) error {
		vw, err := p.gatesView(v, v.r.PathValue("event_id"))
		if err != nil {
			return err
		}
		vw.Notice = gateNotices[r.URL.Query().Get("done")]
		return p.render(v, http.StatusOK, "gates_event", vw)
	})
}

// gatesFailed shows the setup page again with a form's error and values.
func (p *Pages) gatesFailed(v *visit, eventID, which string, err error) error {
	if fault.Is(err, fault.NotFound) {
		return err
	}
	vw, verr := p.gatesView(v, eventID)
	if verr != nil {
		return verr
	}
	d := vw.Data.(*gatesPage)
	d.Failed = which
	for k, vals := range v.r.PostForm {
		if k == csrfField || len(vals) == 0 {
			continue
		}
		vw.Form[which+"."+k] = vals[0]
	}
	for _, id := range v.r.PostForm["ticket_type_ids"] {
		d.Chosen[id] = true
	}
	vw.Path = "/app/events/" + url.PathEscape(eventID) + "/gates"
	return p.formFailed(v, "gates_event", vw, scoped(err, which+"."))
}

// doneGates answers a successful form with the setup page and a note.
func doneGates(v *visit, eventID, what string) error {
	http.Redirect(v.w, v.r, "/app/events/"+url.PathEscape(eventID)+"/gates?done="+what, http.StatusSeeOther)
	return nil
}

// eventTypes loads the event (for its time zone) and checks that the ticket
// types a form names belong to it.
func (p *Pages) eventTypes(v *visit, eventID string, ids []string) (*event.Event, error) {
	e, err := p.deps.Events.Get(v.ctx(), eventID)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return e, nil
	}
	types, err := p.deps.Events.ListTicketTypes(v.ctx(), eventID)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !slices.ContainsFunc(types, func(t event.TicketType) bool { return t.ID == id }) {
			return nil, fault.Field("ticket_type_ids", "is not a ticket type of this event")
		}
	}
	return e, nil
}

// localTime reads an optional datetime-local field in the event's zone.
func localTime(f *formCheck, value, field, tz string) *time.Time {
	if strings.TrimSpace(value) == "" {
		return nil
	}
	t, ok := parseLocal(value, tz)
	f.add(!ok, field)
	if !ok {
		return nil
	}
	return &t
}

// CreateGate adds a gate from the setup page.
func (p *Pages) CreateGate(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, gateEditor, func(v *visit) error {
		eventID := v.r.PathValue("event_id")
		form := v.r.PostForm
		ids := form["ticket_type_ids"]
		e, err := p.eventTypes(v, eventID, ids)
		if err != nil {
			return p.gatesFailed(v, eventID, "gate", err)
		}
		var f formCheck
		in := gate.GateInput{Name: strings.TrimSpace(form.Get("name")), Kind: form.Get("kind"), TicketTypeIDs: ids,
			OpensAt: localTime(&f, form.Get("opens_at"), "opens_at", e.Timezone), ClosesAt: localTime(&f, form.Get("closes_at"), "closes_at", e.Timezone)}
		if err := f.err(); err != nil {
			return p.gatesFailed(v, eventID, "gate", err)
		}
		if _, err := p.deps.Gates.CreateGate(v.ctx(), e.ID, in); err != nil {
			return p.gatesFailed(v, eventID, "gate", err)
		}
		return doneGates(v, e.ID, "gate")
	})
}

// SaveGateSettings sets the event's re-entry policy and staff badge types.
func (p *Pages) SaveGateSettings(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, gateEditor, func(v *visit) error {
		eventID := v.r.PathValue("event_id")
		ids := v.r.PostForm["staff_ticket_type_ids"]
		e, err := p.eventTypes(v, eventID, ids)
		if err != nil {
			return p.gatesFailed(v, eventID, "settings", err)
		}
		in := gate.SettingsInput{Reentry: v.r.PostForm.Get("reentry"), StaffTicketTypeIDs: ids}
		if _, err := p.deps.Gates.SetSettings(v.ctx(), e.ID, in); err != nil {
			return p.gatesFailed(v, eventID, "settings", err)
		}
		return doneGates(v, e.ID, "settings")
	})
}

// gateOf checks that a form's optional gate belongs to the event: a gate of
// another event is refused like an unknown one.
func (p *Pages) gateOf(v *visit, eventID, gateID string) error {
	if gateID == "" {
		return nil
	}
	g, err := p.deps.Gates.Gate(v.ctx(), gateID)
	if err != nil || g.EventID != eventID {
		return fault.Field("gate_id", "is not a gate of this event")
	}
	return nil
}

// CreatePairingCode makes a one-time code a scanner device pairs with, and
// shows it once on the setup page.
func (p *Pages) CreatePairingCode(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, gateEditor, func(v *visit) error {
		eventID := v.r.PathValue("event_id")
		if _, err := p.deps.Events.Get(v.ctx(), eventID); err != nil {
			return err
		}
		gateID := strings.TrimSpace(v.r.PostForm.Get("gate_id"))
		if err := p.gateOf(v, eventID, gateID); err != nil {
			return p.gatesFailed(v, eventID, "pairing", err)
		}
		pc, err := p.deps.Gates.CreatePairingCode(v.ctx(), gate.PairingInput{GateID: gateID})
		if err != nil {
			return p.gatesFailed(v, eventID, "pairing", err)
		}
		vw, err := p.gatesView(v, eventID)
		if err != nil {
			return err
		}
		vw.Data.(*gatesPage).Pairing = pc
		vw.Path = "/app/events/" + url.PathEscape(eventID) + "/gates"
		return p.render(v, http.StatusOK, "gates_event", vw)
	})
}

// CreateBeacon registers a BLE beacon from the setup page.
func (p *Pages) CreateBeacon(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, gateEditor, func(v *visit) error {
		eventID := v.r.PathValue("event_id")
		if _, err := p.deps.Events.Get(v.ctx(), eventID); err != nil {
			return err
		}
		form := v.r.PostForm
		in := gate.BeaconInput{Name: strings.TrimSpace(form.Get("name")), Location: strings.TrimSpace(form.Get("location")),
			GateID: strings.TrimSpace(form.Get("gate_id"))}
		var f formCheck
		f.add(in.Name == "" || len(in.Name) > 200, "name")
		f.add(len(in.Location) > 200, "location")
		if err := f.err(); err != nil {
			return p.gatesFailed(v, eventID, "beacon", err)
		}
		if err := p.gateOf(v, eventID, in.GateID); err != nil {
			return p.gatesFailed(v, eventID, "beacon", err)
		}
		if _, err := p.deps.Gates.CreateBeacon(v.ctx(), eventID, in); err != nil {
			return p.gatesFailed(v, eventID, "beacon", err)
		}
		return doneGates(v, eventID, "beacon")
	})
}
