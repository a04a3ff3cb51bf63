package web

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/order"
)

// The organizer's page for one order, with what staff do to it: cancel it,
// decide on a proof (approve or reject a pending_verification order), or
// mark a held order paid by bank transfer. Each action is a POST form with
// the page's CSRF token, needs the staff role and calls the order service
// exactly as the API does; a refusal (the order moved on meanwhile, the
// hold ran out) shows the page again with a localized message and its 4xx
// status.

func init() {
	// text shows an optional string field (*string): print would show the
	// pointer's address, which is how the orders list once showed its
	// payment badge as "pay.0xc000…".
	funcs["text"] = func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	// kb shows a file size in kilobytes.
	funcs["kb"] = func(n int) string { return fmt.Sprintf("%.0f KB", math.Ceil(float64(n)/1000)) }
}

// staffOrderPage is the content of the organizer's order page.
type staffOrderPage struct {
	Order     *order.Order
	EventName string
	Timezone  string
	TypeNames map[string]string
	CanWrite  bool
	// SeatLabels name the order's seats ("Floor A-5").
	SeatLabels []string
	// Answers, Sessions and Consents are what the buyer gave on the
	// registration form.
	Answers  []answerView
	Sessions []event.Session
	Consents []consentView
}

// answerView is one answer of a registration, under its question's label.
type answerView struct{ Label, Value string }

// consentView is what a registrant said to one consent, in its version.
type consentView struct {
	Text, Version string
	Granted       bool
}

// registration lays out an order's answers in the order of the event's
// form (answers to questions since removed come last, under their key),
// its sessions and its consents. The buyer's name and email are on the page
// already, and so is the phone when the buyer gave one.
func registration(d *staffOrderPage, lang string, form *event.Form, sessions []event.Session) {
	o := d.Order
	show := func(v any) string {
		switch x := v.(type) {
		case []any:
			parts := make([]string, 0, len(x))
			for _, p := range x {
				parts = append(parts, fmt.Sprint(p))
			}
			return strings.Join(parts, ", ")
		case nil:
			return ""
		}
		return fmt.Sprint(v)
	}
	skip := map[string]bool{"name": true, "email": true, "phone": o.Buyer.Phone != ""}
	seen := map[string]bool{}
	for _, f := range form.Fields {
		seen[f.Key] = true
		v, ok := o.Answers[f.Key]
		if !ok || skip[f.Key] || show(v) == "" {
			continue
		}
		label := f.Label
		if label == "" {
			label = f.Key
			if k := "qfield." + f.Key; hasKey(k) {
				label = translate(catalogs[lang], k)
			}
		}
		d.Answers = append(d.Answers, answerView{Label: label, Value: show(v)})
	}
	for _, k := range slices.Sorted(maps.Keys(o.Answers)) {
		if !seen[k] && !skip[k] && show(o.Answers[k]) != "" {
			d.Answers = append(d.Answers, answerView{Label: k, Value: show(o.Answers[k])})
		}
	}
	for _, s := range sessions {
		if slices.Contains(o.Sessions, s.ID) {
			d.Sessions = append(d.Sessions, s)
		}
	}
	texts := map[string]string{}
	for _, c := range form.Consents {
		texts[c.Key] = c.Text
	}
	for _, c := range o.Consents {
		text := texts[c.Key]
		if text == "" {
			text = c.Key
		}
		d.Consents = append(d.Consents, consentView{Text: text, Version: consentVersion(c.Version), Granted: c.Granted})
	}
}

// CanCancel reports whether the order can still be cancelled: anything but
// an order already cancelled or rejected (a lapsed hold is cancelled to let
// its quota go at once).
func (o *staffOrderPage) CanCancel() bool {
	s := o.Order.Status
	return s != order.StatusCancelled && s != order.StatusRejected
}

// CanVerify reports whether the order waits for staff to check its proof.
func (o *staffOrderPage) CanVerify() bool { return o.Order.Status == order.StatusPendingVerification }

// CanMarkPaid reports whether the order is a live hold that a received bank
// transfer can pay.
func (o *staffOrderPage) CanMarkPaid() bool { return o.Order.Status == order.StatusHeld }

// orderNotices are the success notes of the order actions' redirects.
var orderNotices = map[string]string{
	"cancelled": "notice.order_cancelled", "approved": "notice.order_approved",
	"rejected": "notice.order_rejected", "paid": "notice.order_paid",
}

// staffOrderView loads an order with its event's name, time zone and ticket
// type names.
func (p *Pages) staffOrderView(v *visit, orderID string) (*view, error) {
	o, err := p.deps.Orders.Get(v.ctx(), orderID)
	if err != nil {
		return nil, err
	}
	e, err := p.deps.Events.Get(v.ctx(), o.EventID)
	if err != nil {
		return nil, err
	}
	types, err := p.deps.Events.ListTicketTypes(v.ctx(), o.EventID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	d := &staffOrderPage{Order: o, EventName: e.Name, Timezone: e.Timezone, TypeNames: names,
		CanWrite: writer.roles.Allows(v.sess.Principal.Role)}
	form, err := p.deps.Events.GetForm(v.ctx(), o.EventID)
	if err != nil {
		return nil, err
	}
	sessions, err := p.deps.Events.ListSessions(v.ctx(), o.EventID)
	if err != nil {
		return nil, err
	}
	registration(d, v.lang, form, sessions)
	if len(o.SeatIDs) > 0 && p.deps.Seats != nil {
		seats, err := p.deps.Seats.List(v.ctx(), o.EventID)
		if err != nil {
			return nil, err
		}
		d.SeatLabels = seatLabels(seats, o.SeatIDs)
	}
	return &view{Title: "order.title", Nav: "orders", Path: "/app/orders/" + o.ID, Data: d}, nil
}

// OrderDetail shows one order: buyer, items, attendees, tickets, and the
// actions its status allows.
func (p *Pages) OrderDetail(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		vw, err := p.staffOrderView(v, v.r.PathValue("order_id"))
		if err != nil {
			return err
		}
		vw.Notice = orderNotices[v.r.URL.Query().Get("done")]
		return p.render(v, http.StatusOK, "orders_detail", vw)
	})
}

// OrderProof shows an order's proof file to its staff, with headers that let
// a browser display it but never run it.
func (p *Pages) OrderProof(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		id := v.r.PathValue("order_id")
		pr, data, err := p.deps.Orders.ProofFile(v.ctx(), id)
		if err != nil {
			return err
		}
		f := order.ProofHeaders(id, pr, data)
		h := v.w.Header()
		h.Set("Content-Type", f.ContentType)
		h.Set("Content-Disposition", f.ContentDisposition)
		h.Set("Cache-Control", f.CacheControl)
		h.Set("X-Content-Type-Options", f.NoSniff)
		h.Set("Content-Security-Policy", f.CSP)
		h.Del("Vary")
		_, err = v.w.Write(f.Body)
		return err
	})
}

// CancelOrder cancels an order: its quota is free again, a wallet payment
// is refunded and its tickets are revoked.
func (p *Pages) CancelOrder(w http.ResponseWriter, r *http.Request) {
	p.orderAction(w, r, "cancelled", func(v *visit, id string) error {
		_, err := p.deps.Orders.Cancel(v.ctx(), id)
		return err
	})
}

// ApproveOrder accepts a pending order's proof: it is held again and can
// be paid.
func (p *Pages) ApproveOrder(w http.ResponseWriter, r *http.Request) {
	p.orderAction(w, r, "approved", func(v *visit, id string) error {
		_, err := p.deps.Orders.ApproveVerification(v.ctx(), id)
		return err
	})
}

// RejectOrder refuses a pending order's proof: the order is rejected and
// its quota is free again.
func (p *Pages) RejectOrder(w http.ResponseWriter, r *http.Request) {
	p.orderAction(w, r, "rejected", func(v *visit, id string) error {
		_, err := p.deps.Orders.RejectVerification(v.ctx(), id)
		return err
	})
}

// MarkOrderPaid records that a held order's bank transfer arrived: the
// order is paid with the manual method and its tickets are issued.
func (p *Pages) MarkOrderPaid(w http.ResponseWriter, r *http.Request) {
	p.orderAction(w, r, "paid", func(v *visit, id string) error {
		_, err := p.deps.Orders.Pay(v.ctx(), id, order.MethodManual)
		return err
	})
}

// orderAction runs one staff action on the order in the path. Success
// redirects to the order page (so a reload does not post again); a refusal
// renders the page with the order as it now is and a message that says
// why. An unknown or other tenant's order is the 404 page.
func (p *Pages) orderAction(w http.ResponseWriter, r *http.Request, done string, act func(*visit, string) error) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("order_id")
		err := act(v, id)
		if err == nil {
			http.Redirect(v.w, v.r, "/app/orders/"+id+"?done="+done, http.StatusSeeOther)
			return nil
		}
		if fault.Is(err, fault.NotFound) {
			return err
		}
		vw, verr := p.staffOrderView(v, id)
		if verr != nil {
			return verr
		}
		return p.orderFailed(v, vw, err)
	})
}

// orderFailed shows the order page again with a localized message for a
// refused action and the status its code maps to. Refusals staff meet here
// (the order moved on, the hold ran out, the proof is unchecked) get
// messages of their own: the shared ones for these codes speak to buyers or
// to event changes. Internal errors go back to fail as a 500 page.
func (p *Pages) orderFailed(v *visit, vw *view, err error) error {
	code := fault.CodeOf(err)
	status := api.StatusOf(code)
	if status >= 500 {
		return err
	}
	key := errorKey(err)
	if k := "order.err." + string(code); hasKey(k) {
		key = k
	}
	vw.Error = translate(catalogs[v.lang], key)
	return p.render(v, status, "orders_detail", vw)
}
