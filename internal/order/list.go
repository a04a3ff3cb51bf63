package order

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/phone"
)

// Filter narrows an event's orders or attendees.
type Filter struct {
	// Q matches buyer (or attendee) names and emails, case-insensitively.
	Q string
	// Status keeps only orders in this stored status ("expired" means held
	// past the expiry).
	Status string
}

// List returns an event's orders, newest first.
func (s *Service) List(ctx context.Context, eventID string, f Filter, page api.PageParams) (*api.List[Order], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	var out []Order
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.events.EventTx(tx, eventID); err != nil {
			return err
		}
		now := s.now()
		rows, err := s.rows(tx, eventID, f, after, page.Limit+1, now)
		if err != nil {
			return err
		}
		for i := range rows {
			o, err := s.load(tx, &rows[i], now)
			if err != nil {
				return err
			}
			out = append(out, *o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(o Order) string { return o.ID }), nil
}

func (s *Service) rows(tx *db.Tx, eventID string, f Filter, after string, limit int, now time.Time) ([]row, error) {
	q := `SELECT ` + rowColumns + ` FROM orders o WHERE tenant_id = @tenant AND event_id = ?`
	args := []any{eventID}
	if t := strings.TrimSpace(f.Q); t != "" {
		like := db.Contains(strings.ToLower(t))
		q += ` AND (LOWER(buyer_name) LIKE ? ESCAPE '\' OR buyer_email LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	switch f.Status {
	case "":
	case StatusExpired:
		q += ` AND status = 'held' AND expires_at <= ?`
		args = append(args, now)
	case StatusHeld:
		q += ` AND status = 'held' AND expires_at > ?`
		args = append(args, now)
	default:
		q += ` AND status = ?`
		args = append(args, f.Status)
	}
	if after != "" {
		q += ` AND id < ?`
		args = append(args, after)
	}
	q += ` ORDER BY id DESC`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	var rows []row
	err := tx.Select(&rows, q, args...)
	return rows, err
}

// AttendeeRow is one person holding a valid ticket of an event.
type AttendeeRow struct {
	TicketID       string         `json:"ticket_id" db:"ticket_id"`
	OrderID        string         `json:"order_id" db:"order_id"`
	TicketTypeID   string         `json:"ticket_type_id" db:"ticket_type_id"`
	TicketTypeName string         `json:"ticket_type_name" db:"-"`
	Name           string         `json:"name" db:"attendee_name"`
	Email          string         `json:"email" db:"attendee_email"`
	BuyerPhone     string         `json:"buyer_phone" db:"buyer_phone"`
	Answers        map[string]any `json:"answers" db:"-"`
	RawAnswers     string         `json:"-" db:"answers"`
	IssuedAt       time.Time      `json:"issued_at" db:"issued_at"`
}

// Attendees returns the people with a valid ticket for an event, newest
// ticket first.
func (s *Service) Attendees(ctx context.Context, eventID, q string, page api.PageParams) (*api.List[AttendeeRow], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	var out []AttendeeRow
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.attendees(tx, eventID, q, after, page.Limit+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(a AttendeeRow) string { return a.TicketID }), nil
}

func (s *Service) attendees(tx *db.Tx, eventID, q, after string, limit int) ([]AttendeeRow, error) {
	if _, err := s.events.EventTx(tx, eventID); err != nil {
		return nil, err
	}
	types, err := s.events.TicketTypesTx(tx, eventID)
	if err != nil {
		return nil, err
	}
	query := `SELECT t.ticket_id, t.order_id, t.ticket_type_id, t.attendee_name, t.attendee_email, o.buyer_phone, o.answers, t.issued_at
		FROM order_tickets t JOIN orders o ON o.id = t.order_id
		WHERE t.tenant_id = @tenant AND o.event_id = ? AND o.status = 'paid' AND t.revoked_at IS NULL`
	args := []any{eventID}
	if q = strings.TrimSpace(q); q != "" {
		like := db.Contains(strings.ToLower(q))
		query += ` AND (LOWER(t.attendee_name) LIKE ? ESCAPE '\' OR LOWER(t.attendee_email) LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	if after != "" {
		query += ` AND t.ticket_id < ?`
		args = append(args, after)
	}
	query += ` ORDER BY t.ticket_id DESC`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	var out []AttendeeRow
	if err := tx.Select(&out, query, args...); err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	for i := range out {
		out[i].TicketTypeName = names[out[i].TicketTypeID]
		out[i].Answers = map[string]any{}
		json.Unmarshal([]byte(out[i].RawAnswers), &out[i].Answers)
	}
	return out, nil
}

// ExportOrders writes an event's orders as CSV, one row per order, with a
// column per registration form field.
func (s *Service) ExportOrders(ctx context.Context, eventID string) ([]byte, error) {
	var buf bytes.Buffer
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.events.EventTx(tx, eventID); err != nil {
			return err
		}
		form, err := s.events.FormTx(tx, eventID)
		if err != nil {
			return err
		}
		now := s.now()
		rows, err := s.rows(tx, eventID, Filter{}, "", 0, now)
		if err != nil {
			return err
		}
		w := csv.NewWriter(&buf)
		head := []string{"order_id", "status", "created_at", "buyer_name", "buyer_email", "buyer_phone", "total", "currency", "payment_method", "paid_at"}
		for _, f := range form.Fields {
			head = append(head, "answer_"+f.Key)
		}
		w.Write(head)
		for i := range rows {
			o := rows[i].order(now)
			rec := []string{o.ID, o.Status, o.CreatedAt.Format(time.RFC3339), o.Buyer.Name, o.Buyer.Email, o.Buyer.Phone,
				fmt.Sprint(o.Total), o.Currency, deref(o.PaymentMethod), timeText(o.PaidAt)}
			for _, f := range form.Fields {
				rec = append(rec, answerCell(f, o.Answers[f.Key]))
			}
			w.Write(safeRecord(rec))
		}
		w.Flush()
		return w.Error()
	})
	return buf.Bytes(), err
}

// ExportAttendees writes an event's attendees as CSV, one row per ticket.
func (s *Service) ExportAttendees(ctx context.Context, eventID string) ([]byte, error) {
	var buf bytes.Buffer
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		rows, err := s.attendees(tx, eventID, "", "", 0)
		if err != nil {
			return err
		}
		form, err := s.events.FormTx(tx, eventID)
		if err != nil {
			return err
		}
		w := csv.NewWriter(&buf)
		head := []string{"ticket_id", "order_id", "ticket_type", "name", "email", "phone"}
		for _, f := range form.Fields {
			head = append(head, "answer_"+f.Key)
		}
		w.Write(head)
		for _, a := range rows {
			rec := []string{a.TicketID, a.OrderID, a.TicketTypeName, a.Name, a.Email, a.BuyerPhone}
			for _, f := range form.Fields {
				rec = append(rec, answerCell(f, a.Answers[f.Key]))
			}
			w.Write(safeRecord(rec))
		}
		w.Flush()
		return w.Error()
	})
	return buf.Bytes(), err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func answerText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, "; ")
	default:
		return fmt.Sprint(x)
	}
}

// answerCell is an answer to a form field as an export writes it: a phone
// in E.164, as buyers' phones are stored, so that one person's spellings
// match; an answer that does not parse as a phone stays as typed.
func answerCell(f event.Field, v any) string {
	s := answerText(v)
	if f.Type == event.FieldPhone && s != "" {
		if n, err := phone.Normalize(s, phone.DefaultRegion); err == nil {
			return n
		}
	}
	return s
}

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula.
const formulaStarts = "=+-@\t\r"

// safeRecord defuses cells that a spreadsheet would run as a formula.
func safeRecord(rec []string) []string {
	for i, c := range rec {
		if c != "" && strings.ContainsRune(formulaStarts, rune(c[0])) {
			rec[i] = "'" + c
		}
	}
	return rec
}
