package order

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/outbox"
	"github.com/usher-events/usher/internal/phone"
)

// Limits of one attendee import. The request body is capped at 1 MiB
// before it gets here; the row cap keeps one import's transaction short.
const (
	MaxImportRows = 5000
	// maxImportErrors bounds the list of bad fields a failed import reports:
	// a file that is wrong everywhere needs fixing, not a 5,000-line answer.
	maxImportErrors = 200
)

// ImportResult says what an attendee import created.
type ImportResult struct {
	Orders  int `json:"orders" doc:"Orders created, one per row."`
	Tickets int `json:"tickets" doc:"Tickets issued, one per row."`
}

// importRow is one parsed data row of an attendee CSV.
type importRow struct {
	line         int
	name, email  string
	phone        string
	ticketType   string
	ticketTypeID string
	answers      map[string]any
}

// ImportAttendees creates one paid order with one ticket for every row of
// a CSV file, as if each person had bought and paid: payment method
// "import", tickets issued through the same path as a payment, so they are
// signed, counted against the quota and mailed like any other.
//
// The header row names the columns: name, email, phone (optional), and
// ticket_type (a ticket type's name) or ticket_type_id; any other column is
// an answer to the registration form field of that key ("answer_<key>", as
// the attendees export writes it, also works). Every row is validated
// before anything is written, and the import is all or nothing: one bad
// row and nothing is created. Bad rows come back as a validation_failed
// error whose fields are "rows[N].<column>", N being the line of the file
// (the header is line 1). Consents are not imported: an import cannot
// prove what a person agreed to, so required consents are not asked for
// and none are recorded.
func (s *Service) ImportAttendees(ctx context.Context, eventID string, file io.Reader) (*ImportResult, error) {
	// The event first: another tenant's event is a 404 before the file is
	// looked at.
	if _, err := s.events.Get(ctx, eventID); err != nil {
		return nil, err
	}
	rows, bad, err := parseImport(file)
	if err != nil {
		return nil, err
	}
	out := &ImportResult{}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.importRows(tx, eventID, rows, bad)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, eventID)
	return out, nil
}

// parseImport reads the CSV and checks what needs no database: the header,
// the shape of each row, names and email addresses. A file that cannot be
// read is an error; bad cells are returned as field errors, to be reported
// together with those found against the event.
func parseImport(file io.Reader) ([]importRow, []fault.FieldError, error) {
	data, err := io.ReadAll(file)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, fault.Wrap(err, fault.TooLarge, "the file is too large")
		}
		return nil, nil, fault.Wrap(err, fault.Invalid, "the file could not be read")
	}
	// Spreadsheets save UTF-8 CSV with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, nil, fault.Field("file", "must be UTF-8 text")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, nil, fault.Field("file", "is empty; the first row must name the columns")
	}
	if err != nil {
		return nil, nil, csvError(err)
	}
	cols := map[string]int{}
	var c fault.Check
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		_, dup := cols[h]
		c.Add(dup, "header."+h, "appears twice")
		cols[h] = i
	}
	_, hasName := cols["name"]
	_, hasEmail := cols["email"]
	_, hasType := cols["ticket_type"]
	_, hasTypeID := cols["ticket_type_id"]
	c.Add(!hasName, "header.name", "a name column is required")
	c.Add(!hasEmail, "header.email", "an email column is required")
	c.Add(!hasType && !hasTypeID, "header.ticket_type", "a ticket_type or ticket_type_id column is required")
	if err := c.Err(); err != nil {
		return nil, nil, err
	}
	cell := func(rec []string, col string) string {
		i, ok := cols[col]
		if !ok || i >= len(rec) {
			return ""
		}
		return unguard(strings.TrimSpace(rec[i]))
	}
	var rows []importRow
	var bad []fault.FieldError
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, csvError(err)
		}
		line, _ := r.FieldPos(0)
		if blank(rec) {
			continue
		}
		if len(rows) == MaxImportRows {
			return nil, nil, fault.Field("file", fmt.Sprintf("has more than %d rows; split it", MaxImportRows))
		}
		row := importRow{line: line, name: cell(rec, "name"), email: strings.ToLower(cell(rec, "email")),
			phone: cell(rec, "phone"), ticketType: cell(rec, "ticket_type"), ticketTypeID: cell(rec, "ticket_type_id"),
			answers: map[string]any{}}
		for h, i := range cols {
			switch h {
			case "name", "email", "phone", "ticket_type", "ticket_type_id":
				continue
			case "ticket_id", "order_id":
				// An export's own columns: the import makes new orders.
				continue
			}
			if i >= len(rec) {
				continue
			}
			if v := unguard(strings.TrimSpace(rec[i])); v != "" {
				row.answers[strings.TrimPrefix(h, "answer_")] = v
			}
		}
		f := fmt.Sprintf("rows[%d].", line)
		add := func(cond bool, field, msg string) {
			if cond {
				bad = append(bad, fault.FieldError{Field: f + field, Message: msg})
			}
		}
		add(row.name == "", "name", "must not be empty")
		add(utf8.RuneCountInString(row.name) > 200, "name", "must be at most 200 characters")
		a, err := mail.ParseAddress(row.email)
		add(row.email == "" || err != nil || a.Address != row.email, "email", "must be an email address")
		add(utf8.RuneCountInString(row.phone) > 40, "phone", "must be at most 40 characters")
		// Imported buyers are stored like any other: phones in E.164.
		if ph, err := phone.NormalizeOptional(row.phone, phone.DefaultRegion); err != nil {
			add(utf8.RuneCountInString(row.phone) <= 40, "phone", phone.Message)
		} else {
			row.phone = ph
		}
		add(row.ticketType == "" && row.ticketTypeID == "", "ticket_type", "must name a ticket type")
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, nil, fault.Field("file", "has no attendee rows")
	}
	return rows, bad, nil
}

// unguard undoes the exports' formula guard (safeRecord): a cell that
// starts with an apostrophe before a character a spreadsheet would run as
// a formula ("'+821012345678") is read without the apostrophe, so that an
// exported file imports again.
func unguard(c string) string {
	if len(c) > 1 && c[0] == '\'' && strings.ContainsRune(formulaStarts, rune(c[1])) {
		return c[1:]
	}
	return c
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fault.Field(fmt.Sprintf("rows[%d]", pe.Line), "is not valid CSV: "+pe.Err.Error())
	}
	return fault.Wrap(err, fault.Invalid, "the file is not valid CSV")
}

// importRows validates the rows against the event inside the transaction,
// then writes them: nothing is written unless every row is good.
func (s *Service) importRows(tx *db.Tx, eventID string, rows []importRow, parsed []fault.FieldError) (*ImportResult, error) {
	types, err := s.events.TicketTypesTx(tx, eventID)
	if err != nil {
		return nil, err
	}
	byName := map[string][]string{}
	byID := map[string]bool{}
	for _, t := range types {
		k := strings.ToLower(strings.TrimSpace(t.Name))
		byName[k] = append(byName[k], t.ID)
		byID[t.ID] = true
	}
	var c fault.Check
	bad := 0
	add := func(cond bool, field, msg string) {
		if cond {
			bad++
			c.Add(bad <= maxImportErrors, field, msg)
		}
	}
	for _, fe := range parsed {
		add(true, fe.Field, fe.Message)
	}
	// Resolve ticket types first, so that the lock below covers exactly the
	// types the file names.
	typeIDs := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		f := fmt.Sprintf("rows[%d].", r.line)
		switch {
		case r.ticketTypeID != "":
			add(!byID[r.ticketTypeID], f+"ticket_type_id", "is not a ticket type of this event")
		default:
			ids := byName[strings.ToLower(r.ticketType)]
			add(len(ids) == 0, f+"ticket_type", fmt.Sprintf("no ticket type is named %q", r.ticketType))
			add(len(ids) > 1, f+"ticket_type", fmt.Sprintf("several ticket types are named %q; use ticket_type_id", r.ticketType))
			if len(ids) == 1 {
				r.ticketTypeID = ids[0]
			}
		}
		if byID[r.ticketTypeID] {
			typeIDs[r.ticketTypeID] = true
		}
	}
	ids := make([]string, 0, len(typeIDs))
	for k := range typeIDs {
		ids = append(ids, k)
	}
	sale, err := s.events.LockForSale(tx, eventID, ids, nil)
	if err != nil {
		return nil, err
	}
	switch sale.Event.Status {
	case event.StatusFinished, event.StatusCancelled:
		return nil, fault.New(fault.InvalidTransition, "the event is %s; attendees cannot be imported", sale.Event.Status)
	}
	// An import cannot prove consent, so the consents are left out of the
	// check (and none are recorded); the answers are checked as usual.
	form := *sale.Form
	form.Consents = nil
	answers := make([]map[string]any, len(rows))
	count := map[string]int{}
	multi := map[string]bool{}
	for _, fl := range form.Fields {
		multi[fl.Key] = fl.Type == event.FieldMultiChoice
	}
	for i, r := range rows {
		// Several choices share a cell, separated by ";" as the export
		// writes them.
		for k, v := range r.answers {
			if s, ok := v.(string); ok && multi[k] {
				var picks []string
				for _, p := range strings.Split(s, ";") {
					if p = strings.TrimSpace(p); p != "" {
						picks = append(picks, p)
					}
				}
				r.answers[k] = picks
			}
		}
		clean, _, err := form.Check(r.answers, map[string]string{"name": r.name, "email": r.email, "phone": r.phone}, nil)
		var fe *fault.Error
		if errors.As(err, &fe) {
			for _, fl := range fe.Fields {
				add(true, fmt.Sprintf("rows[%d].%s", r.line, strings.TrimPrefix(fl.Field, "answers.")), fl.Message)
			}
		} else if err != nil {
			return nil, err
		}
		answers[i] = clean
		count[r.ticketTypeID]++
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	for tid, n := range count {
		t := sale.TicketTypes[tid]
		used, err := s.usedTicketType(tx, tid, now)
		if err != nil {
			return nil, err
		}
		if t.Quota-used < n {
			return nil, &fault.Error{Code: fault.SoldOut, Message: fmt.Sprintf("%s has %d left; the file has %d", t.Name, max(0, t.Quota-used), n)}
		}
	}
	method := MethodImport
	for i, r := range rows {
		t := sale.TicketTypes[r.ticketTypeID]
		ab, _ := json.Marshal(answers[i])
		atb, _ := json.Marshal([]Attendee{{TicketTypeID: t.ID, Name: r.name, Email: r.email}})
		o := &row{
			ID: id.New(Prefix), EventID: eventID, Status: StatusPaid,
			BuyerName: r.name, BuyerEmail: r.email, BuyerPhone: r.phone, Locale: "ko",
			Total: t.Price, Currency: t.Currency, Answers: string(ab), Attendees: string(atb),
			PaymentMethod: &method, PaidAt: &now, CreatedAt: now, UpdatedAt: now,
		}
		if _, err := tx.Exec(`INSERT INTO orders (tenant_id, id, event_id, status, buyer_name, buyer_email, buyer_phone, locale,
			total, currency, answers, attendees, source, payment_method, paid_at, created_at, updated_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, ?, ?, ?)`,
			o.ID, o.EventID, o.Status, o.BuyerName, o.BuyerEmail, o.BuyerPhone, o.Locale,
			o.Total, o.Currency, o.Answers, o.Attendees, method, now, now, now); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(`INSERT INTO order_items (tenant_id, order_id, ticket_type_id, quantity, unit_price) VALUES (@tenant, ?, ?, 1, ?)`,
			o.ID, t.ID, t.Price); err != nil {
			return nil, err
		}
		if _, err := outbox.Emit(tx, "order.created", o.ID, map[string]any{
			"order_id": o.ID, "event_id": o.EventID, "status": o.Status, "total": o.Total, "currency": o.Currency,
			"locale": o.Locale, "source": "import",
		}, now); err != nil {
			return nil, err
		}
		if err := s.issue(tx, o, now); err != nil {
			return nil, err
		}
	}
	return &ImportResult{Orders: len(rows), Tickets: len(rows)}, nil
}
