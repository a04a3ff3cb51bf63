package web

// The personal data settings page (/app/settings/privacy): the retention
// period, and finding one person to see, download or erase what the
// organization holds about them. Like the webhooks, it is for owners and
// admins only, as in the API.
//
// The person's email and phone travel only in form posts, never in a URL
// (where the access log, the browser's history and Referer headers would
// keep them), and nothing here logs them.

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/privacy"
)

const privacyPath = "/app/settings/privacy"

// privacySections are the holders' sections in the order the service runs
// them; the page lists counts in this order, and a section it does not
// know after them.
var privacySections = []string{"customers", "orders", "tickets", "participations", "messages",
	"jobs", "events", "webhook_deliveries", "stored_answers"}

// privacyNotices are the success notes of the page's redirects (?done=).
var privacyNotices = map[string]string{
	"retention_saved": "pd.done.retention_saved",
}

// The forms of the page, which a message is shown next to.
const (
	atRetention = "retention"
	atLookup    = "lookup"
	atErase     = "erase"
)

// privacyPage is the content of the personal data page.
type privacyPage struct {
	Settings         *privacy.Settings
	MinDays, MaxDays int
	// ErrAt names the form the page's error is about (atRetention, …).
	ErrAt string
	// Found is what a lookup found about the person; nil before one.
	Found *personFound
	// Erasure is set right after an erasure; Erased is its counts.
	Erasure *privacy.Erasure
	Erased  []sectionCount
}

// sectionCount is how many records one section has.
type sectionCount struct {
	Section string
	Count   int
}

// personFound is a lookup's summary: enough for staff to see they found
// the right person, while the download has everything.
type personFound struct {
	// Email and Phone are the person's as the service normalized them; the
	// download and erase forms send them again.
	Email, Phone string
	Counts       []sectionCount
	Total        int

	Customers      []foundCustomer
	Orders         []foundOrder
	AttendeeOf     []foundTicket
	Tickets        []foundTicket
	Participations []foundParticipation
	Messages       []foundMessage
}

// The summaries' rows hold the fields of the export's records (the domains'
// own types, seen through their JSON) that the tables show.
type (
	foundCustomer struct {
		ID    string `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	foundOrder struct {
		ID       string `json:"id"`
		EventID  string `json:"event_id"`
		Status   string `json:"status"`
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	}
	foundTicket struct {
		ID      string `json:"id"`
		OrderID string `json:"order_id"`
		Status  string `json:"status"`
	}
	foundParticipation struct {
		ID           string `json:"id"`
		CampaignName string `json:"campaign_name"`
		Number       int    `json:"number"`
		Status       string `json:"status"`
	}
	foundMessage struct {
		Kind      string    `json:"kind"`
		Channel   string    `json:"channel"`
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"created_at"`
	}
)

func init() {
	// pdCounts hands the template of a counts table the page's view and the
	// counts; registered before New parses the templates.
	funcs["pdCounts"] = func(vw *view, counts []sectionCount) countsTable { return countsTable{View: vw, Counts: counts} }
}

// countsTable is what the template of a table of counts per section gets:
// the page's view, for its texts, and the counts.
type countsTable struct {
	View   *view
	Counts []sectionCount
}

// Label returns the message for prefix+value, or the value itself when the
// catalog has none: a status or kind added later shows as its code rather
// than as a missing key.
func (vw *view) Label(prefix, value string) string {
	if k := prefix + value; hasKey(k) {
		return vw.T(k)
	}
	return value
}

// PrivacySettings shows the retention form and the form to find a person.
func (p *Pages) PrivacySettings(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		vw, err := p.privacyView(v)
		if err != nil {
			return err
		}
		vw.Notice = privacyNotices[r.URL.Query().Get("done")]
		return p.render(v, http.StatusOK, "privacy", vw)
	})
}

// SaveRetention sets the retention period.
func (p *Pages) SaveRetention(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		raw := strings.TrimSpace(v.r.PostForm.Get("retention_days"))
		days, err := strconv.Atoi(raw)
		if err != nil {
			err = fault.Field("retention_days", "must be a whole number of days")
		} else {
			_, err = p.deps.Privacy.SetRetention(v.ctx(), days)
		}
		if err != nil {
			return p.privacyFailed(v, atRetention, nil, map[string]string{"retention_days": raw}, err)
		}
		http.Redirect(v.w, v.r, privacyPath+"?done=retention_saved", http.StatusSeeOther)
		return nil
	})
}

// FindPerson shows what the organization holds about the person named by
// the posted email and/or phone.
func (p *Pages) FindPerson(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		in, form, err := personForm(v)
		var found *personFound
		if err == nil {
			found, err = p.findPerson(v, in)
		}
		if err != nil {
			return p.privacyFailed(v, atLookup, nil, form, err)
		}
		vw, err := p.privacyView(v)
		if err != nil {
			return err
		}
		maps.Copy(vw.Form, form)
		vw.Data.(*privacyPage).Found = found
		return p.render(v, http.StatusOK, "privacy", vw)
	})
}

// ExportPerson answers everything held about the person as a JSON file to
// download.
func (p *Pages) ExportPerson(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		in, form, err := personForm(v)
		var e *privacy.Export
		if err == nil {
			e, err = p.deps.Privacy.Export(v.ctx(), in)
		}
		if err != nil {
			return p.privacyFailed(v, atLookup, nil, form, err)
		}
		body, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return err
		}
		h := v.w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Disposition", `attachment; filename="personal-data-`+e.GeneratedAt.UTC().Format("20060102")+`.json"`)
		_, err = v.w.Write(append(body, '\n'))
		if err != nil {
			p.logger(v).Debug("page write", "err", err)
		}
		return nil
	})
}

// ErasePerson erases the person's data everywhere, once the confirmation
// box is ticked, and shows what it erased.
func (p *Pages) ErasePerson(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		in, form, err := personForm(v)
		if err == nil && v.r.PostForm.Get("confirm") == "" {
			// Show again what would be erased, next to the message.
			found, ferr := p.findPerson(v, in)
			if ferr != nil {
				return p.privacyFailed(v, atLookup, nil, form, ferr)
			}
			at := atErase
			if len(found.Counts) == 0 {
				at = "" // no erase form to show the message by
			}
			return p.privacyFailed(v, at, found, form, fault.Field("confirm", "must be ticked: erasure cannot be undone"))
		}
		var erased *privacy.Erasure
		if err == nil {
			erased, err = p.deps.Privacy.Erase(v.ctx(), in)
		}
		if err != nil {
			return p.privacyFailed(v, atLookup, nil, form, err)
		}
		vw, err := p.privacyView(v)
		if err != nil {
			return err
		}
		d := vw.Data.(*privacyPage)
		d.Erasure, d.Erased = erased, countsOf(erased.Erased)
		return p.render(v, http.StatusOK, "privacy", vw)
	})
}

// personForm reads the person's email and phone from a posted form, with
// the limits of the API's schema and the page's own message for a form
// with neither (the service checks the same).
func personForm(v *visit) (privacy.Request, map[string]string, error) {
	form := formValues(v.r.PostForm, "", "email", "phone")
	in := privacy.Request{Email: form["email"], Phone: form["phone"]}
	var check fault.Check
	check.Add(in.Email == "" && in.Phone == "", "person", "give an email address, a phone number or both")
	check.Add(tooLong(in.Email, 320), "email", "is too long")
	check.Add(tooLong(in.Phone, 32), "phone", "is too long")
	return in, form, check.Err()
}

// findPerson exports what is held about the person and sums it up.
func (p *Pages) findPerson(v *visit, in privacy.Request) (*personFound, error) {
	e, err := p.deps.Privacy.Export(v.ctx(), in)
	if err != nil {
		return nil, err
	}
	return summarize(e)
}

// summarize reads the export's sections into the page's summary.
func summarize(e *privacy.Export) (*personFound, error) {
	f := &personFound{Email: e.Email, Phone: e.Phone}
	counts := map[string]int{}
	for name, s := range e.Sections {
		counts[name] = s.Count
	}
	f.Counts = countsOf(counts)
	for _, c := range f.Counts {
		f.Total += c.Count
	}
	// The orders' section is a list of orders, or, when the person is
	// named as attendee on other people's orders, an object with both.
	var orders struct {
		Orders     []foundOrder  `json:"orders"`
		AttendeeOf []foundTicket `json:"tickets_as_attendee"`
	}
	raw, err := sectionJSON(e, "orders")
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(string(raw), "{") {
		err = json.Unmarshal(raw, &orders)
	} else if raw != nil {
		err = json.Unmarshal(raw, &orders.Orders)
	}
	if err != nil {
		return nil, err
	}
	f.Orders, f.AttendeeOf = orders.Orders, orders.AttendeeOf
	for name, into := range map[string]any{"customers": &f.Customers, "tickets": &f.Tickets,
		"participations": &f.Participations, "messages": &f.Messages} {
		raw, err := sectionJSON(e, name)
		if err == nil && raw != nil {
			err = json.Unmarshal(raw, into)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// sectionJSON returns a section's records as JSON, or nil when the export
// has none.
func sectionJSON(e *privacy.Export, name string) ([]byte, error) {
	s, ok := e.Sections[name]
	if !ok || s.Records == nil {
		return nil, nil
	}
	return json.Marshal(s.Records)
}

// countsOf lists the sections with records, in the holders' order.
func countsOf(m map[string]int) []sectionCount {
	var out []sectionCount
	for _, name := range privacySections {
		if n := m[name]; n > 0 {
			out = append(out, sectionCount{Section: name, Count: n})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if n := m[name]; n > 0 && !slices.Contains(privacySections, name) {
			out = append(out, sectionCount{Section: name, Count: n})
		}
	}
	return out
}

// privacyView loads the settings. Its path is the page's, which every
// form post's answer stands for: the person's email and phone never go
// into a URL.
func (p *Pages) privacyView(v *visit) (*view, error) {
	s, err := p.deps.Privacy.Settings(v.ctx())
	if err != nil {
		return nil, err
	}
	data := &privacyPage{Settings: s, MinDays: privacy.MinRetentionDays, MaxDays: privacy.MaxRetentionDays}
	form := map[string]string{"retention_days": strconv.Itoa(s.RetentionDays)}
	return &view{Title: "pd.title", Nav: "settings", Data: data, Form: form, Path: privacyPath}, nil
}

// privacyFailed shows the page again with a message for err next to the
// form at (field errors get the messages err.field.privacy.<field>), the
// values entered and, when known, what was found about the person.
func (p *Pages) privacyFailed(v *visit, at string, found *personFound, entered map[string]string, err error) error {
	vw, verr := p.privacyView(v)
	if verr != nil {
		return verr
	}
	maps.Copy(vw.Form, entered)
	d := vw.Data.(*privacyPage)
	d.ErrAt, d.Found = at, found
	return p.formFailed(v, "privacy", vw, scoped(err, "privacy."))
}
