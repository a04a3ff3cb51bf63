package web

// The events and tickets page group: organizer pages for events, ticket
// types, forms, message templates, orders and attendees, and the public
// event, checkout, waiting room and "my tickets" pages.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/seat"
	"github.com/usher-events/usher/internal/waitroom"
)

// eventPageNames are the group's templates.
var eventPageNames = []string{
	"events_list", "events_edit", "events_detail", "events_form", "events_ticket_type",
	"orders_list", "orders_attendees", "orders_customers", "orders_index", "orders_detail",
	"events_messages", "events_template",
	"public_event", "public_register", "public_order", "queue_wait",
}

// eventsPage is the content of the events list.
type eventsPage struct {
	Events     []event.Event
	NextCursor string
	CanWrite   bool
}

// Events lists the organization's events, newest first.
func (p *Pages) Events(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		list, err := p.deps.Events.List(v.ctx(), api.PageParams{Limit: 50, Cursor: v.r.URL.Query().Get("cursor")})
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "events_list", &view{Title: "events.title", Nav: "events", Notice: eventNotice(r),
			Data: &eventsPage{Events: list.Body.Data, NextCursor: list.Body.NextCursor, CanWrite: writer.roles.Allows(v.sess.Principal.Role)}})
	})
}

// eventEditPage is the content of the form that creates or changes an event.
type eventEditPage struct {
	// Event is nil for a new event.
	Event     *event.Event
	Timezones []string
}

// NewEvent shows the form that creates an event.
func (p *Pages) NewEvent(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		return p.render(v, http.StatusOK, "events_edit", &view{Title: "events.new.title", Nav: "events",
			Form: map[string]string{"timezone": timezones[0], "capacity": "100"}, Data: &eventEditPage{Timezones: timezones}})
	})
}

// eventFormValues reads the event form: the times are local to the chosen
// time zone.
func eventFormValues(v *visit) (map[string]string, event.CreateInput, error) {
	f := v.r.PostForm
	form := formValues(f, "", "name", "starts_at", "ends_at", "timezone", "venue", "capacity")
	var chk formCheck
	in := event.CreateInput{Name: form["name"], Timezone: form["timezone"], Venue: form["venue"]}
	chk.add(tooLong(in.Name, 200) || in.Name == "", "name")
	chk.add(tooLong(in.Venue, 300), "venue")
	_, tzErr := time.LoadLocation(in.Timezone)
	chk.add(in.Timezone == "" || tzErr != nil || strings.EqualFold(in.Timezone, "local"), "timezone")
	var ok bool
	in.StartsAt, ok = parseLocal(form["starts_at"], in.Timezone)
	chk.add(!ok, "starts_at")
	in.EndsAt, ok = parseLocal(form["ends_at"], in.Timezone)
	chk.add(!ok, "ends_at")
	in.Capacity, ok = atoi(form["capacity"])
	chk.add(!ok || in.Capacity < 1 || in.Capacity > 10_000_000, "capacity")
	return form, in, chk.err()
}

// CreateEvent makes a draft event and opens it.
func (p *Pages) CreateEvent(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		form, in, err := eventFormValues(v)
		var e *event.Event
		if err == nil {
			e, err = p.deps.Events.Create(v.ctx(), in)
		}
		if err != nil {
			return p.formFailed(v, "events_edit", &view{Title: "events.new.title", Nav: "events", Form: form, Path: "/app/events/new",
				Data: &eventEditPage{Timezones: timezones}}, scoped(err, "event."))
		}
		http.Redirect(v.w, v.r, "/app/events/"+e.ID+"?done=event_created", http.StatusSeeOther)
		return nil
	})
}

// eventPage is the content of one event's page: its details, ticket
// types, sessions, waiting room and the forms that change them.
type eventPage struct {
	Event       *event.Event
	TicketTypes []event.TicketType
	Sessions    []event.Session
	Room        *waitroom.Room
	Timezones   []string
	Currencies  []string
	CanWrite    bool
	// Seats is the seat map by section and row.
	Seats []seatSection
	// Failed names the form that failed: "status", "ticket_type",
	// "session", "seats" or "room", so its values are shown again.
	Failed string
}

// Timezone is the event's time zone, in which the forms' times are typed.
func (e *eventPage) Timezone() string { return e.Event.Timezone }

// Transitions are the status buttons an event of this status offers.
func (e *eventPage) Transitions() []string {
	switch e.Event.Status {
	case event.StatusDraft:
		return []string{string(event.Publish), string(event.Cancel)}
	case event.StatusPublished:
		return []string{string(event.CloseSales), string(event.Finish), string(event.Cancel)}
	case event.StatusSalesClosed:
		return []string{string(event.ReopenSales), string(event.Finish), string(event.Cancel)}
	}
	return nil
}

func (p *Pages) eventView(v *visit, eventID string) (*view, error) {
	ctx := v.ctx()
	e, err := p.deps.Events.Get(ctx, eventID)
	if err != nil {
		return nil, err
	}
	types, err := p.deps.Events.ListTicketTypes(ctx, eventID)
	if err != nil {
		return nil, err
	}
	sessions, err := p.deps.Events.ListSessions(ctx, eventID)
	if err != nil {
		return nil, err
	}
	room, err := p.deps.Rooms.Room(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var seats []seatSection
	if p.deps.Seats != nil {
		list, err := p.deps.Seats.List(ctx, eventID)
		if err != nil {
			return nil, err
		}
		seats = groupSeats(list)
	}
	data := &eventPage{Event: e, TicketTypes: types, Sessions: sessions, Room: room, Timezones: timezones,
		Currencies: currencies, CanWrite: writer.roles.Allows(v.sess.Principal.Role), Seats: seats}
	form := map[string]string{
		"tt.currency": "KRW", "tt.min_per_order": "1", "tt.max_per_order": "10",
		"room.admit_per_minute": itoa(max(room.AdmitPerMinute, 60)), "room.max_active": itoa(max(room.MaxActive, 100)),
		"room.active_ttl_seconds": itoa(max(room.ActiveTTL, 600)),
	}
	if len(types) > 0 {
		form["tt.currency"] = types[0].Currency
	}
	if room.Enabled {
		form["room.enabled"] = "on"
	}
	return &view{Title: "events.detail.title", Nav: "events", Form: form, Data: data}, nil
}

// Event shows one event with everything that belongs to it.
func (p *Pages) Event(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		vw, err := p.eventView(v, v.r.PathValue("event_id"))
		if err != nil {
			return err
		}
		vw.Notice = eventNotice(r)
		return p.render(v, http.StatusOK, "events_detail", vw)
	})
}

// failOn shows an event's page again with a form's error and values.
func (p *Pages) failOn(v *visit, eventID, which string, form map[string]string, err error) error {
	if fault.Is(err, fault.NotFound) {
		return err
	}
	vw, verr := p.eventView(v, eventID)
	if verr != nil {
		return verr
	}
	for k, val := range form {
		vw.Form[k] = val
	}
	d := vw.Data.(*eventPage)
	d.Failed = which
	vw.Path = "/app/events/" + eventID
	return p.formFailed(v, "events_detail", vw, scoped(err, which+"."))
}

// EditEvent shows the form that changes an event.
func (p *Pages) EditEvent(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		e, err := p.deps.Events.Get(v.ctx(), v.r.PathValue("event_id"))
		if err != nil {
			return err
		}
		form := map[string]string{"name": e.Name, "starts_at": inZoneInput(e.StartsAt, e.Timezone), "ends_at": inZoneInput(e.EndsAt, e.Timezone),
			"timezone": e.Timezone, "venue": e.Venue, "capacity": itoa(e.Capacity)}
		return p.render(v, http.StatusOK, "events_edit", &view{Title: "events.edit.title", Nav: "events", Form: form,
			Data: &eventEditPage{Event: e, Timezones: zonesWith(e.Timezone)}})
	})
}

// zonesWith is the time zone list with tz in it (an event made over the
// API may use any IANA zone).
func zonesWith(tz string) []string {
	if slices.Contains(timezones, tz) {
		return timezones
	}
	return append([]string{tz}, timezones...)
}

// UpdateEvent changes an event's name, times, time zone, venue or capacity.
func (p *Pages) UpdateEvent(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		form, in, err := eventFormValues(v)
		if err == nil {
			_, err = p.deps.Events.Patch(v.ctx(), id, event.Update{Name: &in.Name, StartsAt: &in.StartsAt, EndsAt: &in.EndsAt,
				Timezone: &in.Timezone, Venue: &in.Venue, Capacity: &in.Capacity})
		}
		if err != nil {
			if fault.Is(err, fault.NotFound) {
				return err
			}
			e, gerr := p.deps.Events.Get(v.ctx(), id)
			if gerr != nil {
				return gerr
			}
			return p.formFailed(v, "events_edit", &view{Title: "events.edit.title", Nav: "events", Form: form, Path: "/app/events/" + id + "/edit",
				Data: &eventEditPage{Event: e, Timezones: zonesWith(e.Timezone)}}, scoped(err, "event."))
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"?done=event_saved", http.StatusSeeOther)
		return nil
	})
}

// MoveEvent publishes, closes, reopens, finishes or cancels an event.
func (p *Pages) MoveEvent(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		to := event.Transition(v.r.PostForm.Get("to"))
		_, err := p.deps.Events.Move(v.ctx(), id, to)
		if err != nil {
			return p.failOn(v, id, "status", nil, err)
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"?done=event_"+strings.ReplaceAll(string(to), "-", "_"), http.StatusSeeOther)
		return nil
	})
}

// CreateTicketType adds a ticket type; its price is typed in major units
// and its sale window in the event's time zone.
func (p *Pages) CreateTicketType(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		e, err := p.deps.Events.Get(v.ctx(), id)
		if err != nil {
			return err
		}
		form, in, err := ticketTypeFormValues(v, e)
		if err == nil {
			_, err = p.deps.Events.CreateTicketType(v.ctx(), id, in)
		}
		if err != nil {
			return p.failOn(v, id, "ticket_type", form, err)
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"?done=ticket_type_created#ticket-types", http.StatusSeeOther)
		return nil
	})
}

// ticketTypeFormValues reads the ticket type form: the price in major units
// of its currency, the sale window in the event's time zone.
func ticketTypeFormValues(v *visit, e *event.Event) (map[string]string, event.TicketTypeInput, error) {
	f := v.r.PostForm
	form := formValues(f, "tt.", "name", "price", "currency", "quota", "sales_start", "sales_end", "perks", "min_per_order", "max_per_order", "requires_verification")
	var chk formCheck
	in := event.TicketTypeInput{Name: form["tt.name"], Currency: form["tt.currency"], Perks: form["tt.perks"],
		RequiresVerification: form["tt.requires_verification"] != ""}
	chk.add(in.Name == "" || tooLong(in.Name, 200), "name")
	var ok bool
	in.Price, ok = parseMoney(form["tt.price"], in.Currency)
	chk.add(!ok, "price")
	in.Quota, ok = atoi(form["tt.quota"])
	chk.add(!ok || in.Quota < 0, "quota")
	chk.add(tooLong(in.Perks, 2000), "perks")
	if s := form["tt.sales_start"]; s != "" {
		t, ok := parseLocal(s, e.Timezone)
		chk.add(!ok, "sales_start")
		in.SalesStart = &t
	}
	if s := form["tt.sales_end"]; s != "" {
		t, ok := parseLocal(s, e.Timezone)
		chk.add(!ok, "sales_end")
		in.SalesEnd = &t
	}
	if s := form["tt.min_per_order"]; s != "" {
		in.MinPerOrder, ok = atoi(s)
		chk.add(!ok, "min_per_order")
	}
	if s := form["tt.max_per_order"]; s != "" {
		in.MaxPerOrder, ok = atoi(s)
		chk.add(!ok, "max_per_order")
	}
	return form, in, chk.err()
}

// ticketTypePage is the content of the page that changes a ticket type.
type ticketTypePage struct {
	Event *event.Event
	Type  *event.TicketType
	// Currencies is empty: a ticket type keeps its currency.
	Currencies []string
}

// Timezone is the event's time zone, in which the form's times are typed.
func (t *ticketTypePage) Timezone() string { return t.Event.Timezone }

// ticketTypeView loads the page of one of an event's ticket types.
func (p *Pages) ticketTypeView(v *visit, eventID, typeID string) (*view, error) {
	e, err := p.deps.Events.Get(v.ctx(), eventID)
	if err != nil {
		return nil, err
	}
	types, err := p.deps.Events.ListTicketTypes(v.ctx(), eventID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(types, func(t event.TicketType) bool { return t.ID == typeID })
	if i < 0 {
		return nil, fault.New(fault.NotFound, "no ticket type %q", typeID)
	}
	t := &types[i]
	form := map[string]string{"tt.name": t.Name, "tt.price": moneyInput(t.Price, t.Currency),
		"tt.currency": t.Currency, "tt.quota": itoa(t.Quota), "tt.perks": t.Perks,
		"tt.min_per_order": itoa(t.MinPerOrder), "tt.max_per_order": itoa(t.MaxPerOrder)}
	if t.SalesStart != nil {
		form["tt.sales_start"] = inZoneInput(*t.SalesStart, e.Timezone)
	}
	if t.SalesEnd != nil {
		form["tt.sales_end"] = inZoneInput(*t.SalesEnd, e.Timezone)
	}
	if t.RequiresVerification {
		form["tt.requires_verification"] = "1"
	}
	return &view{Title: "tt.edit.title", Nav: "events", Form: form, Path: "/app/events/" + eventID + "/ticket-types/" + typeID,
		Data: &ticketTypePage{Event: e, Type: t}}, nil
}

// EditTicketType shows the form that changes a ticket type.
func (p *Pages) EditTicketType(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		vw, err := p.ticketTypeView(v, v.r.PathValue("event_id"), v.r.PathValue("ticket_type_id"))
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "events_ticket_type", vw)
	})
}

// UpdateTicketType changes a ticket type: its name, price (for new orders),
// quota (not below what is held and sold), sale window, limits and perks.
// An emptied sale-window field removes that end of the window.
func (p *Pages) UpdateTicketType(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		eventID, typeID := v.r.PathValue("event_id"), v.r.PathValue("ticket_type_id")
		vw, err := p.ticketTypeView(v, eventID, typeID)
		if err != nil {
			return err
		}
		d := vw.Data.(*ticketTypePage)
		v.r.PostForm.Set("currency", d.Type.Currency)
		form, in, err := ticketTypeFormValues(v, d.Event)
		if err == nil {
			u := event.TicketTypeUpdate{Name: &in.Name, Price: &in.Price, Quota: &in.Quota, Perks: &in.Perks,
				RequiresVerification: &in.RequiresVerification, SalesStart: in.SalesStart, SalesEnd: in.SalesEnd,
				RemoveSalesStart: in.SalesStart == nil, RemoveSalesEnd: in.SalesEnd == nil}
			if in.MinPerOrder > 0 {
				u.MinPerOrder = &in.MinPerOrder
			}
			if in.MaxPerOrder > 0 {
				u.MaxPerOrder = &in.MaxPerOrder
			}
			_, err = p.deps.Events.PatchTicketType(v.ctx(), typeID, u)
		}
		if err != nil {
			if fault.Is(err, fault.NotFound) {
				return err
			}
			vw.Form = form
			return p.formFailed(v, "events_ticket_type", vw, scoped(err, "ticket_type."))
		}
		http.Redirect(v.w, v.r, "/app/events/"+eventID+"?done=ticket_type_saved#ticket-types", http.StatusSeeOther)
		return nil
	})
}

// CreateSeats adds a block of seats to the event's seat map: one section,
// rows given as a range ("A-J") or a list ("A, B, AA"), seat numbers from
// and to, all of one ticket type.
func (p *Pages) CreateSeats(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		f := v.r.PostForm
		form := formValues(f, "seats.", "section", "rows", "from", "to", "ticket_type_id")
		var chk formCheck
		section := form["seats.section"]
		chk.add(section == "" || tooLong(section, 50), "section")
		rows, ok := parseRows(form["seats.rows"])
		chk.add(!ok, "rows")
		from, okFrom := atoi(form["seats.from"])
		to, okTo := atoi(form["seats.to"])
		chk.add(!okFrom || from < 1, "from")
		chk.add(!okTo || to < from || to > 100000, "to")
		err := chk.err()
		if err == nil && len(rows)*(to-from+1) > 10000 {
			err = fault.Field("to", "at most 10,000 seats at a time")
		}
		if err == nil {
			var seats []seat.NewSeat
			for _, row := range rows {
				for n := from; n <= to; n++ {
					seats = append(seats, seat.NewSeat{Section: section, Row: row, Number: n, TicketTypeID: form["seats.ticket_type_id"]})
				}
			}
			_, err = p.deps.Seats.Create(v.ctx(), id, seats)
		}
		if err != nil {
			return p.failOn(v, id, "seats", form, err)
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"?done=seats_created#seats", http.StatusSeeOther)
		return nil
	})
}

// RemoveSeats removes a section of the seat map that no order held.
func (p *Pages) RemoveSeats(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		if _, err := p.deps.Seats.Remove(v.ctx(), id, v.r.PostForm.Get("section"), ""); err != nil {
			return p.failOn(v, id, "seats", nil, err)
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"?done=seats_removed#seats", http.StatusSeeOther)
		return nil
	})
}

// RetypeSeats gives a section's (or a row's) seats another ticket type.
func (p *Pages) RetypeSeats(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		f := v.r.PostForm
		form := formValues(f, "retype.", "section", "row", "ticket_type_id")
		if _, err := p.deps.Seats.Retype(v.ctx(), id, form["retype.section"], form["retype.row"], form["retype.ticket_type_id"]); err != nil {
			return p.failOn(v, id, "retype", form, err)
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"?done=seats_retyped#seats", http.StatusSeeOther)
		return nil
	})
}

// parseRows reads row labels: a range of letters or numbers ("A-J",
// "1-20") or a comma-separated list ("A, B, AA"); at most 200 rows of up to
// 20 characters.
func parseRows(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	if lo, hi, ok := strings.Cut(s, "-"); ok && !strings.Contains(s, ",") {
		lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
		if a, aok := atoi(lo); aok {
			b, bok := atoi(hi)
			if !bok || b < a || b-a >= 200 {
				return nil, false
			}
			var out []string
			for n := a; n <= b; n++ {
				out = append(out, itoa(n))
			}
			return out, true
		}
		if len(lo) != 1 || len(hi) != 1 || lo[0] > hi[0] || !isLetter(lo[0]) || !isLetter(hi[0]) {
			return nil, false
		}
		var out []string
		for c := lo[0]; c <= hi[0]; c++ {
			out = append(out, string(c))
		}
		return out, true
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" || len(part) > 20 || slices.Contains(out, part) {
			return nil, false
		}
		out = append(out, part)
	}
	return out, len(out) > 0 && len(out) <= 200
}

func isLetter(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

// CreateSession adds a session or track talk.
func (p *Pages) CreateSession(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		e, err := p.deps.Events.Get(v.ctx(), id)
		if err != nil {
			return err
		}
		f := v.r.PostForm
		form := formValues(f, "ss.", "name", "track", "starts_at", "ends_at", "capacity")
		var chk formCheck
		in := event.SessionInput{Name: form["ss.name"], Track: form["ss.track"]}
		chk.add(in.Name == "" || tooLong(in.Name, 200), "name")
		chk.add(tooLong(in.Track, 100), "track")
		var ok bool
		in.StartsAt, ok = parseLocal(form["ss.starts_at"], e.Timezone)
		chk.add(!ok, "starts_at")
		in.EndsAt, ok = parseLocal(form["ss.ends_at"], e.Timezone)
		chk.add(!ok, "ends_at")
		in.Capacity, ok = atoi(form["ss.capacity"])
		chk.add(!ok || in.Capacity < 1, "capacity")
		err = chk.err()
		if err == nil {
			_, err = p.deps.Events.CreateSession(v.ctx(), id, in)
		}
		if err != nil {
			return p.failOn(v, id, "session", form, err)
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"?done=session_created#sessions", http.StatusSeeOther)
		return nil
	})
}

// ConfigureWaitingRoom turns an event's waiting room on or off and sets
// its admission rate, active slots and active time.
func (p *Pages) ConfigureWaitingRoom(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		f := v.r.PostForm
		form := formValues(f, "room.", "enabled", "admit_per_minute", "max_active", "active_ttl_seconds")
		var chk formCheck
		cfg := waitroom.Config{Enabled: form["room.enabled"] != ""}
		var ok bool
		cfg.AdmitPerMinute, ok = atoi(form["room.admit_per_minute"])
		chk.add(!ok, "admit_per_minute")
		cfg.MaxActive, ok = atoi(form["room.max_active"])
		chk.add(!ok, "max_active")
		cfg.ActiveTTL, ok = atoi(form["room.active_ttl_seconds"])
		chk.add(!ok, "active_ttl_seconds")
		err := chk.err()
		if err == nil {
			_, err = p.deps.Rooms.Configure(v.ctx(), id, cfg)
		}
		if err != nil {
			return p.failOn(v, id, "room", form, err)
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"?done=room_saved#waiting-room", http.StatusSeeOther)
		return nil
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// eventNotices are the success notes of the group's redirects (?done=).
var eventNotices = map[string]string{
	"event_created": "notice.event_created", "event_saved": "notice.event_saved",
	"event_publish": "notice.event_publish", "event_close_sales": "notice.event_close_sales",
	"event_reopen_sales": "notice.event_reopen_sales", "event_finish": "notice.event_finish",
	"event_cancel": "notice.event_cancel", "ticket_type_created": "notice.ticket_type_created", "ticket_type_saved": "notice.ticket_type_saved", "seats_created": "notice.seats_created", "seats_removed": "notice.seats_removed", "seats_retyped": "notice.seats_retyped",
	"session_created": "notice.session_created", "room_saved": "notice.room_saved",
	"form_saved": "notice.form_saved", "template_saved": "notice.template_saved",
	"customer_created": "notice.customer_created", "charged": "notice.charged",
}

// eventNotice is the note a redirect asked for.
func eventNotice(r *http.Request) string { return eventNotices[r.URL.Query().Get("done")] }
