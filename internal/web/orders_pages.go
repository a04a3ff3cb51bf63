package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/wallet"
)

// Organizer pages for orders, attendees, the attendee import and customers.

// orderStatuses are the status filter's choices.
var orderStatuses = []string{order.StatusHeld, order.StatusPendingVerification, order.StatusPaid,
	order.StatusCancelled, order.StatusRejected, order.StatusExpired}

// Orders opens the orders section: the events, each with its orders and
// attendees.
func (p *Pages) Orders(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		list, err := p.deps.Events.List(v.ctx(), api.PageParams{Limit: 50, Cursor: v.r.URL.Query().Get("cursor")})
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "orders_index", &view{Title: "orders.title", Nav: "orders",
			Data: &eventsPage{Events: list.Body.Data, NextCursor: list.Body.NextCursor}})
	})
}

// ordersPage is the content of an event's orders or attendees list.
type ordersPage struct {
	Event      *event.Event
	Orders     []order.Order
	Attendees  []order.AttendeeRow
	NextCursor string
	Q, Status  string
	Statuses   []string
	TypeNames  map[string]string
	CanWrite   bool
	// Imported is set after a successful import.
	Imported *order.ImportResult
	// RowErrors are an import's bad rows.
	RowErrors []fault.FieldError
}

// MoreURL is the link to the next page of the list, keeping the filters.
func (o *ordersPage) MoreURL(path string) string {
	q := url.Values{"cursor": {o.NextCursor}}
	if o.Q != "" {
		q.Set("q", o.Q)
	}
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	return path + "?" + q.Encode()
}

func (p *Pages) ordersData(v *visit, eventID string) (*ordersPage, error) {
	e, err := p.deps.Events.Get(v.ctx(), eventID)
	if err != nil {
		return nil, err
	}
	types, err := p.deps.Events.ListTicketTypes(v.ctx(), eventID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	q := v.r.URL.Query()
	return &ordersPage{Event: e, TypeNames: names, Statuses: orderStatuses, Q: strings.TrimSpace(q.Get("q")),
		CanWrite: writer.roles.Allows(v.sess.Principal.Role)}, nil
}

// EventOrders lists an event's orders with search, a status filter and
// paging.
func (p *Pages) EventOrders(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		d, err := p.ordersData(v, v.r.PathValue("event_id"))
		if err != nil {
			return err
		}
		d.Status = v.r.URL.Query().Get("status")
		if d.Status != "" && !slices.Contains(orderStatuses, d.Status) {
			d.Status = ""
		}
		if tooLong(d.Q, 200) {
			d.Q = ""
		}
		list, err := p.deps.Orders.List(v.ctx(), d.Event.ID, order.Filter{Q: d.Q, Status: d.Status},
			api.PageParams{Limit: 50, Cursor: v.r.URL.Query().Get("cursor")})
		if err != nil {
			return err
		}
		d.Orders, d.NextCursor = list.Body.Data, list.Body.NextCursor
		return p.render(v, http.StatusOK, "orders_list", &view{Title: "orders.list.title", Nav: "orders", Data: d})
	})
}

// EventAttendees lists an event's attendees, with the CSV export and the
// import form.
func (p *Pages) EventAttendees(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		d, err := p.ordersData(v, v.r.PathValue("event_id"))
		if err != nil {
			return err
		}
		if err := p.loadAttendees(v, d); err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "orders_attendees", &view{Title: "attendees.title", Nav: "orders", Data: d})
	})
}

func (p *Pages) loadAttendees(v *visit, d *ordersPage) error {
	if tooLong(d.Q, 200) {
		d.Q = ""
	}
	cursor := ""
	if v.r.Method == http.MethodGet {
		cursor = v.r.URL.Query().Get("cursor")
	}
	list, err := p.deps.Orders.Attendees(v.ctx(), d.Event.ID, d.Q, api.PageParams{Limit: 50, Cursor: cursor})
	if err != nil {
		return err
	}
	d.Attendees, d.NextCursor = list.Body.Data, list.Body.NextCursor
	return nil
}

// maxImportForm bounds an uploaded attendee file held in memory; the
// server's body limit (1 MiB) is lower still.
const maxImportForm = 2 << 20

// ImportAttendees takes an uploaded CSV of attendees and creates their
// paid orders and tickets, all or nothing; bad rows are listed with their
// line numbers.
func (p *Pages) ImportAttendees(w http.ResponseWriter, r *http.Request) {
	// The multipart body is read before serve checks the form's token,
	// because the token is one of its parts; nothing is done with it until
	// that check has passed.
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxImportForm); err != nil {
			var mbe *http.MaxBytesError
			status := fault.Wrap(err, fault.Invalid, "the upload could not be read")
			if errors.As(err, &mbe) {
				status = fault.Wrap(err, fault.TooLarge, "the file is too large")
			}
			// Only an error page is shown: nothing is changed, so no token
			// is needed for it.
			g := r.Clone(r.Context())
			g.Method = http.MethodGet
			p.serve(w, g, writer, func(*visit) error { return status })
			return
		}
		defer r.MultipartForm.RemoveAll()
	}
	p.serve(w, r, writer, func(v *visit) error {
		d, err := p.ordersData(v, v.r.PathValue("event_id"))
		if err != nil {
			return err
		}
		vw := &view{Title: "attendees.title", Nav: "orders", Data: d, Path: "/app/events/" + d.Event.ID + "/attendees"}
		var res *order.ImportResult
		if v.r.MultipartForm == nil || len(v.r.MultipartForm.File["file"]) == 0 {
			err = fault.Field("file", "choose a CSV file")
		} else {
			f, ferr := v.r.MultipartForm.File["file"][0].Open()
			if ferr != nil {
				return ferr
			}
			defer f.Close()
			res, err = p.deps.Orders.ImportAttendees(v.ctx(), d.Event.ID, f)
		}
		if lerr := p.loadAttendees(v, d); lerr != nil {
			return lerr
		}
		if err != nil {
			var fe *fault.Error
			if errors.As(err, &fe) && fault.Is(err, fault.Validation) {
				d.RowErrors = fe.Fields
			}
			vw.ErrField = "import.file"
			return p.formFailed(v, "orders_attendees", vw, scoped(err, "import."))
		}
		d.Imported = res
		return p.render(v, http.StatusCreated, "orders_attendees", vw)
	})
}

// customersPage is the content of the customers page.
type customersPage struct {
	Customers  []wallet.Customer
	NextCursor string
	Q          string
	CanWrite   bool
	// Code is a wallet access code just made: shown once.
	Code     *wallet.AccessCode
	CodeName string
}

func (p *Pages) customersView(v *visit) (*view, error) {
	q := strings.TrimSpace(v.r.URL.Query().Get("q"))
	if tooLong(q, 200) {
		q = ""
	}
	list, err := p.deps.Wallets.ListCustomers(v.ctx(), q, api.PageParams{Limit: 50, Cursor: v.r.URL.Query().Get("cursor")})
	if err != nil {
		return nil, err
	}
	return &view{Title: "customers.title", Nav: "orders", Path: "/app/customers", Form: map[string]string{}, Data: &customersPage{
		Customers: list.Body.Data, NextCursor: list.Body.NextCursor, Q: q, CanWrite: writer.roles.Allows(v.sess.Principal.Role)}}, nil
}

// Customers lists customers with their points, and the forms to add one,
// charge points and make a wallet access code.
func (p *Pages) Customers(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		vw, err := p.customersView(v)
		if err != nil {
			return err
		}
		vw.Notice = eventNotice(r)
		return p.render(v, http.StatusOK, "orders_customers", vw)
	})
}

// CreateCustomer adds a customer with an empty wallet.
func (p *Pages) CreateCustomer(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		f := v.r.PostForm
		in := wallet.CustomerInput{Email: strings.TrimSpace(f.Get("email")), Name: strings.TrimSpace(f.Get("name")), Phone: strings.TrimSpace(f.Get("phone"))}
		var chk formCheck
		chk.add(tooLong(in.Email, 254), "email")
		chk.add(tooLong(in.Name, 200), "name")
		chk.add(tooLong(in.Phone, 40), "phone")
		err := chk.err()
		if err == nil {
			_, err = p.deps.Wallets.CreateCustomer(v.ctx(), in)
		}
		if err != nil {
			vw, verr := p.customersView(v)
			if verr != nil {
				return verr
			}
			vw.Form = map[string]string{"email": in.Email, "name": in.Name, "phone": in.Phone}
			return p.formFailed(v, "orders_customers", vw, scoped(err, "customer."))
		}
		http.Redirect(v.w, v.r, "/app/customers?done=customer_created", http.StatusSeeOther)
		return nil
	})
}

// ChargeCustomer adds points to a customer's wallet.
func (p *Pages) ChargeCustomer(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		amount, ok := parseMoney(v.r.PostForm.Get("amount"), "KRW")
		var err error
		if !ok || amount <= 0 {
			err = fault.Field("amount", "must be a whole number of points above 0")
		} else {
			_, err = p.deps.Wallets.Charge(v.ctx(), v.r.PathValue("customer_id"), amount)
		}
		if err != nil {
			if fault.Is(err, fault.NotFound) {
				return err
			}
			vw, verr := p.customersView(v)
			if verr != nil {
				return verr
			}
			return p.formFailed(v, "orders_customers", vw, scoped(err, "customer."))
		}
		http.Redirect(v.w, v.r, "/app/customers?done=charged", http.StatusSeeOther)
		return nil
	})
}

// IssueAccessCode makes a new wallet access code and shows it once.
func (p *Pages) IssueAccessCode(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		c, err := p.deps.Wallets.IssueAccessCode(v.ctx(), v.r.PathValue("customer_id"))
		if err != nil {
			return err
		}
		cus, err := p.deps.Wallets.GetCustomer(v.ctx(), c.CustomerID)
		if err != nil {
			return err
		}
		vw, err := p.customersView(v)
		if err != nil {
			return err
		}
		d := vw.Data.(*customersPage)
		d.Code, d.CodeName = c, cus.Name+" <"+cus.Email+">"
		return p.render(v, http.StatusCreated, "orders_customers", vw)
	})
}

// ExportOrders downloads an event's orders as CSV (the API's export, for
// the signed-in browser).
func (p *Pages) ExportOrders(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		b, err := p.deps.Orders.ExportOrders(v.ctx(), v.r.PathValue("event_id"))
		return sendCSV(v, "orders.csv", b, err)
	})
}

// ExportAttendees downloads an event's attendees as CSV.
func (p *Pages) ExportAttendees(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		b, err := p.deps.Orders.ExportAttendees(v.ctx(), v.r.PathValue("event_id"))
		return sendCSV(v, "attendees.csv", b, err)
	})
}

func sendCSV(v *visit, name string, b []byte, err error) error {
	if err != nil {
		return err
	}
	h := v.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	// A byte order mark, so that spreadsheets read the Korean as UTF-8.
	// Write errors mean the client went away; nothing more can be sent.
	v.w.Write(append([]byte("\xef\xbb\xbf"), b...))
	return nil
}
