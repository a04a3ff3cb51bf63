// Package privacy exports and erases what an organization holds about one
// person, found by email address and/or phone number, across every domain
// that keeps personal data.
//
// The domains own their tables, so each one gives a Holder: it lists what it
// has about the person (the export) and erases it (names, addresses, phones,
// answers and files blanked or deleted; amounts, statuses, counts and ids
// kept, so that sales, reports and winner draws still add up). Erasure runs
// every holder in one transaction: all of it happens or none.
package privacy

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/phone"
)

// Person is whom an export or erasure is about: someone known by an email
// address and/or a phone number, or (for the retention purge) a set of
// records whose time is up, given as Refs. Holders run in order and note
// the ids of what they found in Refs ("order" → order ids), and the names
// and addresses those records carry, so that a later holder can find
// records that carry no address of their own (the tickets of a person's
// orders, an event payload that names only the order and its attendees)
// and blank what they say about the person.
type Person struct {
	// Email is lower-cased and trimmed; empty when not given.
	Email string
	// Phone is in E.164; empty when not given.
	Phone string
	// Refs holds ids of the person's records, by kind: given, or found by
	// earlier holders.
	Refs map[string][]string
	// Names and Addresses hold the names and the emails or phones found on
	// the person's records. They are blanked in documents about the person
	// but never used to find documents: a namesake, or the same buyer's
	// newer order in a retention purge, is someone else's business.
	Names, Addresses []string

	// given are the refs the caller gave, kept across reruns.
	given map[string][]string
}

// Records returns a person known only by their records (ids by kind), as
// the retention purge erases them.
func Records(refs map[string][]string) *Person {
	p := &Person{given: refs}
	p.reset()
	return p
}

// Matches reports whether s is the person's email (in any case) or phone.
func (p *Person) Matches(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && ((p.Email != "" && strings.EqualFold(s, p.Email)) || (p.Phone != "" && s == p.Phone))
}

// says reports whether s is something the person is known by or their
// records carry: their email, phone, a noted address or name.
func (p *Person) says(s string) bool {
	s = strings.TrimSpace(s)
	return p.Matches(s) || slices.ContainsFunc(p.Addresses, func(a string) bool { return strings.EqualFold(a, s) }) ||
		slices.Contains(p.Names, s)
}

// Note records ids of a kind for the holders after this one.
func (p *Person) Note(kind string, ids ...string) {
	if p.Refs == nil {
		p.Refs = map[string][]string{}
	}
	for _, id := range ids {
		if !slices.Contains(p.Refs[kind], id) {
			p.Refs[kind] = append(p.Refs[kind], id)
		}
	}
}

// NoteNames records names found on the person's records. Names shorter
// than two characters are left out: blanking every "A" in a document would
// take more than the person's name.
func (p *Person) NoteNames(names ...string) {
	for _, n := range names {
		n = strings.TrimSpace(n)
		if utf8.RuneCountInString(n) >= 2 && !slices.Contains(p.Names, n) {
			p.Names = append(p.Names, n)
		}
	}
}

// NoteAddresses records the emails and phones found on the person's
// records.
func (p *Person) NoteAddresses(addrs ...string) {
	for _, a := range addrs {
		a = strings.TrimSpace(a)
		if a != "" && !slices.Contains(p.Addresses, a) {
			p.Addresses = append(p.Addresses, a)
		}
	}
}

// reset forgets what holders noted, before a transaction is run again.
func (p *Person) reset() {
	p.Refs, p.Names, p.Addresses = nil, nil, nil
	for kind, ids := range p.given {
		p.Note(kind, ids...)
	}
}

// ids returns every id noted so far.
func (p *Person) ids() []string {
	var out []string
	for _, kind := range slices.Sorted(maps.Keys(p.Refs)) {
		out = append(out, p.Refs[kind]...)
	}
	return out
}

// Erased is what an erased email address becomes: unique per record, so
// that unique indexes on addresses still hold, and undeliverable.
func Erased(recordID string) string { return "erased-" + recordID + "@erased.invalid" }

// Holder is one domain's part of the person's data.
type Holder interface {
	// Section names the part in exports and erasure counts ("orders").
	Section() string
	// Export returns the records about p (nil when there are none to show)
	// and how many there are.
	Export(tx *db.Tx, p *Person) (records any, n int, err error)
	// Erase erases them inside tx and returns how many records it changed.
	Erase(tx *db.Tx, p *Person) (n int, err error)
}

// Service runs exports and erasures over the holders, in their order.
type Service struct {
	db      *db.DB
	now     func() time.Time
	holders []Holder
	// again schedules a second erasure of a person (OnErase).
	again func(ctx context.Context, in Request) error
}

// OnErase sets what runs after each erasure of a person: the wiring uses it
// to erase the person once more a little later, so that a message rendered
// before the erasure and recorded after it is caught too.
func (s *Service) OnErase(fn func(ctx context.Context, in Request) error) { s.again = fn }

// NewService returns the service; holders run in the order given.
func NewService(conn *db.DB, now func() time.Time, holders ...Holder) *Service {
	return &Service{db: conn, now: now, holders: holders}
}

// Request names the person.
type Request struct {
	Email string `json:"email,omitempty" maxLength:"320" doc:"The person's email address (any case)."`
	Phone string `json:"phone,omitempty" maxLength:"32" doc:"The person's phone number in any usual spelling (010-1234-5678, +82 10 1234 5678)."`
}

// person checks and normalizes a request.
func person(in Request) (*Person, error) {
	p := &Person{Email: strings.ToLower(strings.TrimSpace(in.Email))}
	var check fault.Check
	check.Add(in.Email != "" && (!strings.Contains(p.Email, "@") || strings.ContainsAny(p.Email, " \t\r\n")), "email", "must be an email address")
	if raw := strings.TrimSpace(in.Phone); raw != "" {
		n, err := phone.Normalize(raw, "")
		check.Add(err != nil, "phone", phone.Message)
		p.Phone = n
	}
	check.Add(p.Email == "" && p.Phone == "", "email", "give an email address, a phone number or both")
	return p, check.Err()
}

// Section is one holder's part of an export.
type Section struct {
	Count   int `json:"count"`
	Records any `json:"records,omitempty"`
}

// Export is everything the organization holds about the person.
type Export struct {
	Email       string             `json:"email,omitempty"`
	Phone       string             `json:"phone,omitempty" doc:"In E.164."`
	GeneratedAt time.Time          `json:"generated_at"`
	Sections    map[string]Section `json:"sections" doc:"Per domain: how many records, and the records."`
}

// Export gathers the person's records from every holder.
func (s *Service) Export(ctx context.Context, in Request) (*Export, error) {
	p, err := person(in)
	if err != nil {
		return nil, err
	}
	out := &Export{Email: p.Email, Phone: p.Phone, GeneratedAt: s.now(), Sections: map[string]Section{}}
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		clear(out.Sections)
		p.reset()
		for _, h := range s.holders {
			recs, n, err := h.Export(tx, p)
			if err != nil {
				return err
			}
			if n > 0 {
				out.Sections[h.Section()] = Section{Count: n, Records: recs}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, "personal-data")
	return out, nil
}

// Erasure reports what an erasure changed.
type Erasure struct {
	ErasedAt time.Time      `json:"erased_at"`
	Erased   map[string]int `json:"erased" doc:"Per domain, how many records were erased."`
}

// Erase erases the person's data in every holder, in one transaction, and
// schedules the second erasure (OnErase).
func (s *Service) Erase(ctx context.Context, in Request) (*Erasure, error) {
	return s.erase(ctx, in, true)
}

func (s *Service) erase(ctx context.Context, in Request, again bool) (*Erasure, error) {
	p, err := person(in)
	if err != nil {
		return nil, err
	}
	out := &Erasure{ErasedAt: s.now(), Erased: map[string]int{}}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		clear(out.Erased)
		p.reset()
		for _, h := range s.holders {
			n, err := h.Erase(tx, p)
			if err != nil {
				return err
			}
			if n > 0 {
				out.Erased[h.Section()] += n
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, "personal-data")
	if again && s.again != nil {
		if err := s.again(ctx, Request{Email: p.Email, Phone: p.Phone}); err != nil {
			api.Logger(ctx).Error("privacy: schedule the second erasure", "err", err)
		}
	}
	return out, nil
}

// EraseAgain is the second erasure OnErase schedules: Erase without
// scheduling another. A request the first pass of it already blanked (a
// retry after its own payload was erased) has nothing left to do.
func (s *Service) EraseAgain(ctx context.Context, in Request) (*Erasure, error) {
	if strings.TrimSpace(in.Email) == "" && strings.TrimSpace(in.Phone) == "" {
		return &Erasure{ErasedAt: s.now(), Erased: map[string]int{}}, nil
	}
	return s.erase(ctx, in, false)
}

// personalKeys are the JSON fields ScrubJSON blanks in an object that is
// about the person.
var personalKeys = map[string]bool{
	"name": true, "email": true, "phone": true, "to": true,
	"buyer_name": true, "buyer_email": true, "buyer_phone": true,
	"attendee_name": true, "attendee_email": true, "answers": true,
}

// ScrubJSON blanks the person out of a JSON document (an event payload, a
// job's payload, a webhook body). A document is about the person when one of
// its values is the person's email, phone or the id of one of their records
// (Refs); other documents are left alone. In a document about the person,
// every object that holds their email or phone (or a noted address) loses
// its personal fields (name, email, phone, answers, …), and their email,
// phone, noted names and addresses are blanked wherever else they appear as
// values. It reports
// whether anything changed; a document that is not JSON is returned as it
// is.
func ScrubJSON(raw []byte, p *Person) ([]byte, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw, false
	}
	ids := map[string]bool{}
	for _, id := range p.ids() {
		ids[id] = true
	}
	if !mentions(v, func(s string) bool { return p.Matches(s) || ids[s] }) {
		return raw, false
	}
	v, changed := scrub(v, p)
	if !changed {
		return raw, false
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw, false
	}
	return out, true
}

// mentions reports whether any string value in v satisfies is.
func mentions(v any, is func(string) bool) bool {
	switch t := v.(type) {
	case string:
		return is(t)
	case []any:
		return slices.ContainsFunc(t, func(x any) bool { return mentions(x, is) })
	case map[string]any:
		for _, x := range t {
			if mentions(x, is) {
				return true
			}
		}
	}
	return false
}

func scrub(v any, p *Person) (any, bool) {
	switch t := v.(type) {
	case string:
		if p.says(t) {
			return "", true
		}
	case []any:
		changed := false
		for i := range t {
			var c bool
			t[i], c = scrub(t[i], p)
			changed = changed || c
		}
		return t, changed
	case map[string]any:
		about := false
		for k, x := range t {
			if s, ok := x.(string); ok && personalKeys[k] && p.says(s) && !slices.Contains(p.Names, strings.TrimSpace(s)) {
				about = true
			}
		}
		changed := false
		for k, x := range t {
			if about && personalKeys[k] {
				switch x.(type) {
				case string:
					if x != "" {
						t[k], changed = "", true
					}
				case map[string]any, []any:
					t[k], changed = nil, true
				}
				continue
			}
			var c bool
			t[k], c = scrub(x, p)
			changed = changed || c
		}
		return t, changed
	}
	return v, false
}

// Like returns a condition that finds the person's email, phone or the id of
// one of their records inside a text column, with its arguments: a cheap
// first pass before ScrubJSON decides what is really about the person.
func Like(column string, p *Person) (string, []any) {
	var conds []string
	var args []any
	for _, s := range append([]string{p.Email, p.Phone}, p.ids()...) {
		if s != "" {
			conds = append(conds, `lower(`+column+`) LIKE ? ESCAPE '\'`)
			args = append(args, db.Contains(strings.ToLower(s)))
		}
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// In returns "col IN (?, ?, …)" for ids, or a condition that is never true
// when there are none, with the arguments.
func In(column string, ids []string) (string, []any) {
	if len(ids) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(ids))
	for i, v := range ids {
		args[i] = v
	}
	return column + " IN (" + db.Placeholders(len(ids)) + ")", args
}

// ScrubColumn runs ScrubJSON over a JSON text column of the tenant's rows
// that mention the person, and reports how many rows it changed. The domain
// that owns table calls it; key is the table's id column. Rows whose kind
// column is one of skipKinds are left alone.
func ScrubColumn(tx *db.Tx, table, key, column string, p *Person, skipKinds ...string) (int, error) {
	like, args := Like(column, p)
	if len(skipKinds) > 0 {
		in, kargs := In("kind", skipKinds)
		like += " AND NOT " + in
		args = append(args, kargs...)
	}
	var rows []struct {
		Key string `db:"k"`
		Doc string `db:"doc"`
	}
	if err := tx.Select(&rows, `SELECT `+key+` AS k, `+column+` AS doc FROM `+table+` WHERE tenant_id = @tenant AND `+like, args...); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		out, changed := ScrubJSON([]byte(r.Doc), p)
		if !changed {
			continue
		}
		if _, err := tx.Exec(`UPDATE `+table+` SET `+column+` = ? WHERE tenant_id = @tenant AND `+key+` = ?`, string(out), r.Key); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// StoredAnswers is the person's part of the answers kept for retried
// requests (api.ScrubAnswers): the answer to an order's creation names its
// buyer, and a retry within a day replays it. Erasure blanks the person in
// those answers; exports leave them out. It must run after the domains that
// note ids, which find the public callers' answers.
func StoredAnswers(conn *db.DB) Holder { return answerData{conn} }

type answerData struct{ db *db.DB }

func (answerData) Section() string { return "stored_answers" }

func (answerData) Export(*db.Tx, *Person) (any, int, error) { return nil, 0, nil }

func (a answerData) Erase(tx *db.Tx, p *Person) (int, error) {
	var mine []string
	for _, s := range []string{p.Email, p.Phone} {
		if s != "" {
			mine = append(mine, s)
		}
	}
	ids := slices.Concat(p.Refs["order"], p.Refs["participation"])
	return api.ScrubAnswers(a.db, tx, append(mine, p.ids()...), ids, func(b []byte) ([]byte, bool) { return ScrubJSON(b, p) })
}

// Purge deletes the stored answers older than cutoff: a day after they were
// stored nothing replays them.
func (answerData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	n, err := api.PurgeAnswers(tx, cutoff, limit)
	return n, n == limit, err
}
