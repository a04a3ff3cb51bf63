package web

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/seat"
)

// The public pages of an event: its page, registration and checkout, and
// "my tickets". No sign-in: the order's page is opened by the access key
// in its link, and a wallet by its access code.

// publicEventPage is the content of an event's public page and of its
// registration form.
type publicEventPage struct {
	Event *event.PublicEvent
	// RoomOn says the sale has a waiting room: registration starts there.
	RoomOn bool
	// QueueToken is the buyer's active waiting-room token, carried to the
	// order.
	QueueToken string
	// Fields are the form's own questions; name, email and phone are asked
	// as the buyer's.
	Fields []event.Field
	// PhoneRequired says the form makes the buyer's phone a required
	// answer (name and email always are).
	PhoneRequired bool
	// Quantities and Picks hold a failed registration's choices.
	Quantities map[string]string
	Picks      map[string]bool
	// Bad marks the inputs a failed registration got wrong, by name.
	Bad map[string]bool
	// Sections are the event's seat map, when it has one; the ticket types
	// of its seats are sold by seat, not by quantity.
	Sections []seatSection
	seated   map[string]bool // ticket types sold by seat
	// BestCount is a failed registration's "pick seats for me" count.
	BestCount string
}

// seatSection is one section of the seat picker.
type seatSection struct {
	Name                  string
	Rows                  []seatRowView
	Available, Held, Sold int // seats by status
}

// seatRowView is one row of the seat picker.
type seatRowView struct {
	Label string
	Seats []seat.Seat
}

// QuantityTypes are the ticket types sold by quantity now: on sale, with
// tickets left, and without seats.
func (d *publicEventPage) QuantityTypes() []event.PublicTicketType {
	var out []event.PublicTicketType
	for _, t := range d.Event.TicketTypes {
		if t.OnSale && t.Available > 0 && !d.seated[t.ID] {
			out = append(out, t)
		}
	}
	return out
}

// Seated reports whether a ticket type is sold by seat.
func (d *publicEventPage) Seated(ticketTypeID string) bool { return d.seated[ticketTypeID] }

// ConsentVersion is how a consent's version reads beside its text.
func (d *publicEventPage) ConsentVersion(v string) string { return consentVersion(v) }

// consentVersion is how a consent's version reads: "v3" for "3", and a
// version already written "v1" stays "v1".
func consentVersion(v string) string {
	if strings.HasPrefix(v, "v") || strings.HasPrefix(v, "V") {
		return v
	}
	return "v" + v
}

// BestOptions are the counts a buyer may ask the server to pick.
func (d *publicEventPage) BestOptions() []int { return []int{0, 1, 2, 3, 4, 5, 6, 7, 8} }

// TypeOf returns a seat's ticket type as the page shows it.
func (d *publicEventPage) TypeOf(ticketTypeID string) *event.PublicTicketType {
	for i := range d.Event.TicketTypes {
		if d.Event.TicketTypes[i].ID == ticketTypeID {
			return &d.Event.TicketTypes[i]
		}
	}
	return nil
}

// groupSeats lays seats out by section and row, in the order the seat map
// lists them (sections and rows as first created, numbers ascending).
func groupSeats(seats []seat.Seat) []seatSection {
	var out []seatSection
	at := map[string]int{}
	for _, st := range seats {
		i, ok := at[st.Section]
		if !ok {
			i = len(out)
			at[st.Section] = i
			out = append(out, seatSection{Name: st.Section})
		}
		sec := &out[i]
		if n := len(sec.Rows); n == 0 || sec.Rows[n-1].Label != st.Row {
			sec.Rows = append(sec.Rows, seatRowView{Label: st.Row})
		}
		row := &sec.Rows[len(sec.Rows)-1]
		row.Seats = append(row.Seats, st)
		switch st.Status {
		case seat.StatusAvailable:
			sec.Available++
		case seat.StatusHeld:
			sec.Held++
		case seat.StatusSold:
			sec.Sold++
		}
	}
	return out
}

// OnSale reports whether any ticket type can be bought now.
func (d *publicEventPage) OnSale() bool {
	return slices.ContainsFunc(d.Event.TicketTypes, func(t event.PublicTicketType) bool { return t.OnSale && t.Available > 0 })
}

// RegisterURL is where the event page's button leads.
func (d *publicEventPage) RegisterURL() string {
	if d.RoomOn {
		return "/e/" + d.Event.ID + "/queue"
	}
	return "/e/" + d.Event.ID + "/register"
}

// QuantityOptions are the quantities a ticket type offers, starting at 0.
func (d *publicEventPage) QuantityOptions(t event.PublicTicketType) []int {
	hi := min(t.MaxPerOrder, t.Available)
	out := []int{0}
	for n := max(1, t.MinPerOrder); n <= hi; n++ {
		out = append(out, n)
	}
	return out
}

// buyerKeys are asked as the buyer's fields, not as form questions.
var buyerKeys = []string{"name", "email", "phone"}

func (p *Pages) publicEvent(v *visit, eventID string) (*publicEventPage, error) {
	e, err := p.deps.Events.Public(v.ctx(), eventID)
	if err != nil {
		return nil, err
	}
	d := &publicEventPage{Event: e, Quantities: map[string]string{}, Picks: map[string]bool{}, Bad: map[string]bool{}, seated: map[string]bool{}}
	if p.deps.Seats != nil {
		seats, err := p.deps.Seats.Public(v.ctx(), eventID)
		if err != nil {
			return nil, err
		}
		d.Sections = groupSeats(seats)
		for _, st := range seats {
			d.seated[st.TicketTypeID] = true
		}
	}
	d.RoomOn = fault.Is(p.deps.Rooms.CheckActive(v.ctx(), eventID, ""), fault.QueueTokenRequired)
	if e.Form != nil {
		for _, f := range e.Form.Fields {
			if slices.Contains(buyerKeys, f.Key) {
				d.PhoneRequired = d.PhoneRequired || (f.Key == "phone" && f.Required)
				continue
			}
			if f.Label == "" {
				// The standard questions have texts of their own; a key of
				// the organizer's is shown as it is.
				f.Label = f.Key
				if k := "qfield." + f.Key; hasKey(k) {
					f.Label = translate(catalogs[v.lang], k)
				}
			}
			d.Fields = append(d.Fields, f)
		}
	}
	return d, nil
}

// PublicEvent is an event's page: when and where, its ticket types with
// price, availability and sale window, and the way to register.
func (p *Pages) PublicEvent(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		d, err := p.publicEvent(v, v.r.PathValue("event_id"))
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "public_event", &view{Title: "public.event.title", Data: d})
	})
}

// RegisterPage shows the registration form. While the event's waiting room
// is on, a buyer without an active token is sent to the queue first.
func (p *Pages) RegisterPage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		id := v.r.PathValue("event_id")
		d, err := p.publicEvent(v, id)
		if err != nil {
			return err
		}
		d.QueueToken = v.r.URL.Query().Get("t")
		if d.RoomOn && p.deps.Rooms.CheckActive(v.ctx(), id, d.QueueToken) != nil {
			http.Redirect(v.w, v.r, "/e/"+id+"/queue", http.StatusSeeOther)
			return nil
		}
		return p.render(v, http.StatusOK, "public_register", &view{Title: "public.register.title", Form: map[string]string{}, Data: d})
	})
}

// Register holds the chosen tickets for the buyer and opens the order's
// page, where it is paid.
func (p *Pages) Register(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		id := v.r.PathValue("event_id")
		d, err := p.publicEvent(v, id)
		if err != nil {
			return err
		}
		f := v.r.PostForm
		d.QueueToken = f.Get("queue_token")
		form := map[string]string{"name": strings.TrimSpace(f.Get("name")), "email": strings.TrimSpace(f.Get("email")),
			"phone": strings.TrimSpace(f.Get("phone"))}
		in := order.PublicCreateInput{Buyer: order.Buyer{Name: form["name"], Email: form["email"], Phone: form["phone"]},
			Answers: map[string]any{}, Consents: map[string]bool{}, Locale: v.lang, QueueToken: d.QueueToken}
		var chk formCheck
		chk.add(tooLong(in.Buyer.Name, 200), "buyer.name")
		chk.add(tooLong(in.Buyer.Email, 254), "buyer.email")
		chk.add(tooLong(in.Buyer.Phone, 40), "buyer.phone")
		for _, t := range d.Event.TicketTypes {
			if d.Seated(t.ID) {
				continue
			}
			q := strings.TrimSpace(f.Get("qty_" + t.ID))
			d.Quantities[t.ID] = q
			if q == "" || q == "0" {
				continue
			}
			n, ok := atoi(q)
			chk.add(!ok || n < 0 || n > 100, "items")
			if ok && n > 0 {
				in.Items = append(in.Items, order.ItemInput{TicketTypeID: t.ID, Quantity: n})
			}
		}
		for _, fl := range d.Fields {
			name := "answer_" + fl.Key
			if fl.Type == event.FieldMultiChoice {
				picks := f[name]
				for _, o := range picks {
					d.Picks[name+"="+o] = true
				}
				if len(picks) > 0 {
					in.Answers[fl.Key] = picks
				}
				continue
			}
			val := strings.TrimSpace(f.Get(name))
			form[name] = val
			if val != "" {
				in.Answers[fl.Key] = val
			}
		}
		for _, s := range f["session"] {
			if slices.ContainsFunc(d.Event.Sessions, func(x event.PublicSession) bool { return x.ID == s }) {
				in.Sessions = append(in.Sessions, s)
				d.Picks["session="+s] = true
			}
		}
		if d.Event.Form != nil {
			for _, c := range d.Event.Form.Consents {
				if f.Get("consent_"+c.Key) != "" {
					in.Consents[c.Key] = true
					d.Picks["consent="+c.Key] = true
				}
			}
		}
		if len(d.Sections) > 0 {
			picked := f["seat"]
			chk.add(len(picked) > 20, "seat_ids")
			for _, id := range picked {
				d.Picks["seat="+id] = true
			}
			in.SeatIDs = picked
			d.BestCount = f.Get("best_count")
			if n, ok := atoi(d.BestCount); ok && n > 0 {
				chk.add(n > 8 || len(picked) > 0, "seat_ids")
				in.BestAvailable = &order.BestAvailableInput{Count: n}
			}
		}
		err = chk.err()
		if err == nil && len(in.Items) == 0 && len(in.SeatIDs) == 0 && in.BestAvailable == nil {
			err = fault.Field("items", "choose at least one ticket")
		}
		var o *order.PublicOrder
		if err == nil {
			o, err = p.deps.Orders.CreatePublic(v.ctx(), id, in)
		}
		if err != nil {
			markBad(d.Bad, err)
			if fault.Is(err, fault.SeatUnavailable) && p.deps.Seats != nil {
				// Show who got there first: the seat map as it is now.
				d.Bad["seat_ids"] = true
				if seats, serr := p.deps.Seats.Public(v.ctx(), id); serr == nil {
					d.Sections = groupSeats(seats)
				}
			}
			back := "/e/" + id + "/register"
			if d.QueueToken != "" {
				back += "?t=" + url.QueryEscape(d.QueueToken)
			}
			return p.formFailed(v, "public_register", &view{Title: "public.register.title", Form: form, Data: d, Path: back}, scoped(err, "reg."))
		}
		http.Redirect(v.w, v.r, orderURL(o.ID, o.AccessKey), http.StatusSeeOther)
		return nil
	})
}

// markBad marks the inputs named by a validation error's fields.
func markBad(bad map[string]bool, err error) {
	fe, ok := err.(*fault.Error)
	if !ok {
		return
	}
	for _, f := range fe.Fields {
		name := f.Field
		switch {
		case strings.HasPrefix(name, "buyer."):
			name = strings.TrimPrefix(name, "buyer.")
		case slices.Contains(buyerKeys, strings.TrimPrefix(name, "answers.")):
			// The form's name, email and phone are the buyer's inputs.
			name = strings.TrimPrefix(name, "answers.")
		case strings.HasPrefix(name, "answers."):
			name = "answer_" + strings.TrimPrefix(name, "answers.")
		case strings.HasPrefix(name, "consents."):
			name = "consent_" + strings.TrimPrefix(name, "consents.")
		case strings.HasPrefix(name, "items"):
			name = "items"
		}
		bad[name] = true
	}
}

func orderURL(orderID, key string) string {
	return "/o/" + url.PathEscape(orderID) + "?k=" + url.QueryEscape(key)
}

// orderPage is the content of "my tickets".
type orderPage struct {
	Order *order.Order
	Event *event.PublicEvent
	Key   string
	// TypeNames name the order's ticket types.
	TypeNames map[string]string
	// SeatLabels name the order's seats ("Floor A-5").
	SeatLabels []string
	// Sessions are the sessions the buyer chose, in time order.
	Sessions []event.PublicSession
}

// chosenSessions are the event's sessions that ids name, in the event's
// (time) order; an id the event does not list is left out.
func chosenSessions(all []event.PublicSession, ids []string) []event.PublicSession {
	var out []event.PublicSession
	for _, s := range all {
		if slices.Contains(ids, s.ID) {
			out = append(out, s)
		}
	}
	return out
}

// Tickets reports whether the page lists the order's tickets: a paid
// order's, and a cancelled one's, shown revoked.
func (o *orderPage) Tickets() bool {
	return len(o.Order.Tickets) > 0 && (o.Order.Status == order.StatusPaid || o.Order.Status == order.StatusCancelled)
}

// seatLabels names seats of an event as people read them, in the order of
// ids; a seat the list does not know is left out.
func seatLabels(seats []seat.Seat, ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	byID := make(map[string]seat.Seat, len(seats))
	for _, st := range seats {
		byID[st.ID] = st
	}
	var out []string
	for _, id := range ids {
		if st, ok := byID[id]; ok {
			out = append(out, fmt.Sprintf("%s %s-%d", st.Section, st.Row, st.Number))
		}
	}
	return out
}

// Held reports whether the order waits for payment.
func (o *orderPage) Held() bool { return o.Order.Status == order.StatusHeld }

// MinutesLeft is how long the hold lasts, rounded up, for people who do
// not read clocks in UTC.
func (o *orderPage) MinutesLeft() int {
	if o.Order.ExpiresAt == nil {
		return 0
	}
	return max(0, int((time.Until(*o.Order.ExpiresAt)+time.Minute-1)/time.Minute))
}

func (p *Pages) orderView(v *visit, orderID, key string) (*view, error) {
	o, err := p.deps.Orders.GetPublic(v.ctx(), orderID, key)
	if err != nil {
		return nil, err
	}
	e, err := p.deps.Events.Public(v.ctx(), o.EventID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range e.TicketTypes {
		names[t.ID] = t.Name
	}
	d := &orderPage{Order: o, Event: e, Key: key, TypeNames: names, Sessions: chosenSessions(e.Sessions, o.Sessions)}
	if len(o.SeatIDs) > 0 && p.deps.Seats != nil {
		// Scoped to the order's tenant by GetPublic's key check.
		if seats, err := p.deps.Seats.Public(v.ctx(), o.EventID); err == nil {
			d.SeatLabels = seatLabels(seats, o.SeatIDs)
		}
	}
	return &view{Title: "public.order.title", Form: map[string]string{"email": o.Buyer.Email}, Path: orderURL(orderID, key), Data: d}, nil
}

// OrderPage is "my tickets": the order with its tickets' QR codes, PDF and
// calendar links once paid, or the payment form while held. Without the
// order's key it is not found.
func (p *Pages) OrderPage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		// The key is in the link; keep it out of other sites' Referer.
		v.w.Header().Set("Referrer-Policy", "no-referrer")
		vw, err := p.orderView(v, v.r.PathValue("order_id"), v.r.URL.Query().Get("k"))
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "public_order", vw)
	})
}

// UploadProof takes the proof (a photo of a student ID, a PDF) that a
// pending order's buyer sends from "my tickets". The page's script shrinks
// large photos before they are sent; the server still checks the type and
// the size.
func (p *Pages) UploadProof(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		v.w.Header().Set("Referrer-Policy", "no-referrer")
		id, key := v.r.PathValue("order_id"), v.r.PostForm.Get("k")
		if v.r.MultipartForm != nil {
			defer v.r.MultipartForm.RemoveAll()
		}
		var err error = fault.Field("proof", "choose a file")
		if v.r.MultipartForm != nil && len(v.r.MultipartForm.File["proof"]) == 1 {
			fh := v.r.MultipartForm.File["proof"][0]
			var data []byte
			if data, err = readPart(fh, order.MaxProofBytes); err == nil {
				_, err = p.deps.Orders.UploadProofPublic(v.ctx(), id, key, fh.Header.Get("Content-Type"), data)
			}
		}
		if err != nil {
			return p.publicOrderFailed(v, id, key, "proof", err, nil)
		}
		http.Redirect(v.w, v.r, orderURL(id, key), http.StatusSeeOther)
		return nil
	})
}

// publicOrderFailed shows the buyer's order page again with err on one of its forms'
// fields, and the values typed in form; a missing order (or a wrong key) is
// the not-found page.
func (p *Pages) publicOrderFailed(v *visit, id, key, field string, err error, form map[string]string) error {
	if fault.Is(err, fault.NotFound) {
		return err
	}
	vw, verr := p.orderView(v, id, key)
	if verr != nil {
		return verr
	}
	for k, val := range form {
		vw.Form[k] = val
	}
	vw.ErrField = field
	return p.formFailed(v, "public_order", vw, err)
}

// readPart reads an uploaded file of at most max bytes; a larger one is
// request_too_large.
func readPart(fh *multipart.FileHeader, max int) ([]byte, error) {
	if fh.Size > int64(max) {
		return nil, fault.New(fault.TooLarge, "the file is %d bytes; at most %d", fh.Size, max)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fault.Wrap(err, fault.Invalid, "the file could not be read")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fault.Wrap(err, fault.Invalid, "the file could not be read")
	}
	if len(data) > max {
		return nil, fault.New(fault.TooLarge, "the file is larger than %d bytes", max)
	}
	return data, nil
}

// PayOrder pays a held order with the points of the wallet that the email
// and access code open.
func (p *Pages) PayOrder(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		v.w.Header().Set("Referrer-Policy", "no-referrer")
		id, key := v.r.PathValue("order_id"), v.r.PostForm.Get("k")
		email, code := strings.TrimSpace(v.r.PostForm.Get("email")), strings.TrimSpace(v.r.PostForm.Get("wallet_code"))
		var err error
		if tooLong(email, 254) || tooLong(code, 200) {
			err = fault.New(fault.InvalidCredentials, "the email or wallet code is wrong")
		} else {
			_, err = p.deps.Orders.PayPublic(v.ctx(), id, key, email, code)
		}
		if err != nil {
			return p.publicOrderFailed(v, id, key, "wallet_code", err, map[string]string{"email": email})
		}
		http.Redirect(v.w, v.r, orderURL(id, key), http.StatusSeeOther)
		return nil
	})
}
