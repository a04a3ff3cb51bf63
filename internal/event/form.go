package event

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/phone"
)

// The types of a registration form's fields.
const (
	FieldText        = "text"
	FieldEmail       = "email"
	FieldPhone       = "phone"
	FieldURL         = "url"
	FieldChoice      = "choice"
	FieldMultiChoice = "multi_choice"
)

// standardTypes are the types of the fields most events ask for; a form
// that names one of these keys without a type gets this one.
var standardTypes = map[string]string{
	"name": FieldText, "email": FieldEmail, "phone": FieldPhone, "organization": FieldText,
	"diet": FieldText, "accessibility": FieldText, "interests": FieldMultiChoice, "linkedin": FieldURL,
}

// buyerKeys are answered by the order's buyer when the answers omit them.
var buyerKeys = []string{"name", "email", "phone"}

// Field is one question of a registration form.
type Field struct {
	Key      string   `json:"key" pattern:"^[a-z][a-z0-9_]{0,39}$" doc:"name, email, phone, organization, diet, accessibility, interests, linkedin, or a key of your own."`
	Label    string   `json:"label,omitempty" maxLength:"200"`
	Type     string   `json:"type,omitempty" enum:"text,email,phone,url,choice,multi_choice" doc:"Default: the standard type of the key, else text."`
	Required bool     `json:"required" required:"false" doc:"Whether an answer is needed; default false (optional)."`
	Options  []string `json:"options,omitempty" maxItems:"100" doc:"The choices of a choice or multi_choice field."`
}

// Consent is one consent a registrant gives or refuses; its version is
// recorded with every answer so that a later change of the text does not
// rewrite what people agreed to.
type Consent struct {
	Key      string `json:"key" pattern:"^[a-z][a-z0-9_]{0,39}$"`
	Text     string `json:"text" minLength:"1" maxLength:"5000"`
	Version  string `json:"version" minLength:"1" maxLength:"50"`
	Required bool   `json:"required" required:"false" doc:"Whether it must be accepted to register; default false."`
}

// Form is an event's registration form.
type Form struct {
	Fields    []Field    `json:"fields" maxItems:"50" required:"false" doc:"The questions; left out, none."`
	Consents  []Consent  `json:"consents" maxItems:"20" required:"false" doc:"The consents asked for; left out, none."`
	UpdatedAt *time.Time `json:"updated_at,omitempty" readOnly:"true"`
}

// Validate checks a form and fills in default types.
func (f *Form) Validate() error {
	var c fault.Check
	if f.Fields == nil {
		f.Fields = []Field{}
	}
	if f.Consents == nil {
		f.Consents = []Consent{}
	}
	seen := map[string]bool{}
	for i := range f.Fields {
		fl := &f.Fields[i]
		name := fmt.Sprintf("fields[%d]", i)
		c.Add(seen[fl.Key], name+".key", "is used twice")
		seen[fl.Key] = true
		if fl.Type == "" {
			fl.Type = standardTypes[fl.Key]
			if fl.Type == "" {
				fl.Type = FieldText
			}
		}
		choice := fl.Type == FieldChoice || fl.Type == FieldMultiChoice
		c.Add(choice && fl.Key != "interests" && len(fl.Options) == 0, name+".options", "a choice field needs options")
		c.Add(!choice && len(fl.Options) > 0, name+".options", "only choice fields have options")
	}
	seenC := map[string]bool{}
	for i, cn := range f.Consents {
		c.Add(seenC[cn.Key], fmt.Sprintf("consents[%d].key", i), "is used twice")
		seenC[cn.Key] = true
		c.Add(strings.TrimSpace(cn.Text) == "", fmt.Sprintf("consents[%d].text", i), "must not be empty")
	}
	return c.Err()
}

// ConsentRecord is what one registrant said to one consent.
type ConsentRecord struct {
	Key     string `json:"key"`
	Version string `json:"version"`
	Granted bool   `json:"granted"`
}

var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 ()\-.]{5,24}$`)

// Check validates a registrant's answers and consents against the form.
// buyer holds the order's name, email and phone, which answer those fields
// when the answers leave them out. It returns the answers to keep and the
// consents to record, or a validation_failed error listing every bad field.
func (f *Form) Check(answers map[string]any, buyer map[string]string, consents map[string]bool) (map[string]any, []ConsentRecord, error) {
	var c fault.Check
	clean := map[string]any{}
	known := map[string]bool{}
	for _, fl := range f.Fields {
		known[fl.Key] = true
		name := "answers." + fl.Key
		v, ok := answers[fl.Key]
		if !ok && slices.Contains(buyerKeys, fl.Key) {
			v, ok = buyer[fl.Key], buyer[fl.Key] != ""
		}
		if !ok || v == nil || v == "" {
			c.Add(fl.Required, name, "is required")
			continue
		}
		val, msg := fl.check(v)
		if msg != "" {
			c.Add(true, name, msg)
			continue
		}
		clean[fl.Key] = val
	}
	for k := range answers {
		if !known[k] && !slices.Contains(buyerKeys, k) {
			c.Add(true, "answers."+k, "is not a field of this event's form")
		}
	}
	var records []ConsentRecord
	knownC := map[string]bool{}
	for _, cn := range f.Consents {
		knownC[cn.Key] = true
		granted := consents[cn.Key]
		c.Add(cn.Required && !granted, "consents."+cn.Key, "must be accepted")
		records = append(records, ConsentRecord{Key: cn.Key, Version: cn.Version, Granted: granted})
	}
	for k := range consents {
		c.Add(!knownC[k], "consents."+k, "is not a consent of this event's form")
	}
	if err := c.Err(); err != nil {
		return nil, nil, err
	}
	return clean, records, nil
}

// check validates one answer and returns its normalized value or a message.
func (fl *Field) check(v any) (any, string) {
	if fl.Type == FieldMultiChoice {
		var picks []string
		switch x := v.(type) {
		case string:
			picks = []string{x}
		case []any:
			for _, p := range x {
				s, ok := p.(string)
				if !ok {
					return nil, "must be a list of strings"
				}
				picks = append(picks, s)
			}
		case []string:
			picks = x
		default:
			return nil, "must be a list of strings"
		}
		if len(picks) > 100 {
			return nil, "has too many choices"
		}
		for _, p := range picks {
			if len(fl.Options) > 0 && !slices.Contains(fl.Options, p) {
				return nil, fmt.Sprintf("%q is not one of the options", p)
			}
			if len(p) > 200 {
				return nil, "a choice is too long"
			}
		}
		return picks, ""
	}
	s, ok := v.(string)
	if !ok {
		return nil, "must be a string"
	}
	s = strings.TrimSpace(s)
	if len(s) > 1000 {
		return nil, "must be at most 1000 characters"
	}
	switch fl.Type {
	case FieldEmail:
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
			return nil, "must be an email address"
		}
	case FieldPhone:
		// Kept in E.164, as buyers' phones are, so that one person's
		// spellings are one answer; a number the phone library cannot
		// place stays as typed if it looks like one.
		if n, err := phone.Normalize(s, phone.DefaultRegion); err == nil {
			return n, ""
		}
		if !phoneRe.MatchString(s) {
			return nil, "must be a phone number"
		}
	case FieldURL:
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, "must be an http or https address"
		}
	case FieldChoice:
		if !slices.Contains(fl.Options, s) {
			return nil, "must be one of the options"
		}
	}
	return s, ""
}

// SetForm replaces an event's registration form.
func (s *Service) SetForm(ctx context.Context, eventID string, f Form) (*Form, error) {
	err := s.write(ctx, func(tx *db.Tx) error {
		e, err := s.EventTx(tx, eventID)
		if err != nil {
			return err
		}
		if err := f.Validate(); err != nil {
			return err
		}
		if e.Status == StatusFinished || e.Status == StatusCancelled {
			return fault.New(fault.InvalidTransition, "the form of a %s event can no longer change", e.Status)
		}
		fields, _ := json.Marshal(f.Fields)
		consents, _ := json.Marshal(f.Consents)
		now := s.now()
		f.UpdatedAt = &now
		if _, err := tx.Exec(`DELETE FROM registration_forms WHERE tenant_id = @tenant AND event_id = ?`, e.ID); err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO registration_forms (tenant_id, event_id, fields, consents, updated_at) VALUES (@tenant, ?, ?, ?, ?)`,
			e.ID, string(fields), string(consents), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, eventID)
	return &f, nil
}

// GetForm returns an event's registration form (empty when none was set).
func (s *Service) GetForm(ctx context.Context, eventID string) (*Form, error) {
	var f *Form
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.EventTx(tx, eventID); err != nil {
			return err
		}
		var err error
		f, err = s.FormTx(tx, eventID)
		return err
	})
	return f, err
}

// FormTx returns an event's registration form inside tx.
func (s *Service) FormTx(tx *db.Tx, eventID string) (*Form, error) {
	var row struct {
		Fields    string    `db:"fields"`
		Consents  string    `db:"consents"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	err := tx.Get(&row, `SELECT fields, consents, updated_at FROM registration_forms WHERE tenant_id = @tenant AND event_id = ?`, eventID)
	if fault.Is(err, fault.NotFound) {
		return &Form{Fields: []Field{}, Consents: []Consent{}}, nil
	}
	if err != nil {
		return nil, err
	}
	f := &Form{UpdatedAt: &row.UpdatedAt}
	if err := json.Unmarshal([]byte(row.Fields), &f.Fields); err != nil {
		return nil, fmt.Errorf("form of %s: %w", eventID, err)
	}
	if err := json.Unmarshal([]byte(row.Consents), &f.Consents); err != nil {
		return nil, fmt.Errorf("form of %s: %w", eventID, err)
	}
	return f, nil
}
