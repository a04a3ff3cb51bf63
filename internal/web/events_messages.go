package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/notify"
)

// Organizer pages for message templates (with a live preview), the
// messages outbox, and an event's registration form.

// templateKinds are the message kinds of the ticket flow, in the order
// they are sent.
var templateKinds = []string{notify.KindConfirmation, notify.KindPaymentReceived, notify.KindReminderD7,
	notify.KindReminderD1, notify.KindThankYouD1}

// messagesPage is the content of the messages page.
type messagesPage struct {
	Kinds []string
	Langs []string
	// Statuses are the outbox filter's tabs.
	Statuses   []string
	Messages   []notify.Message
	NextCursor string
	Status     string
}

// Messages lists the templates by kind and language, and the messages
// sent or waiting in the outbox.
func (p *Pages) Messages(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		status := v.r.URL.Query().Get("status")
		if !slices.Contains([]string{"", notify.StatusSending, notify.StatusSent, notify.StatusOutbox, notify.StatusFailed}, status) {
			status = ""
		}
		list, err := p.deps.Notify.ListMessages(v.ctx(), notify.MessageFilter{Status: status}, api.PageParams{Limit: 30, Cursor: v.r.URL.Query().Get("cursor")})
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "events_messages", &view{Title: "messages.title", Nav: "events", Notice: eventNotice(r),
			Data: &messagesPage{Kinds: templateKinds, Statuses: []string{notify.StatusOutbox, notify.StatusSent, notify.StatusFailed}, Langs: langs, Messages: list.Body.Data, NextCursor: list.Body.NextCursor, Status: status}})
	})
}

// templatePage is the content of one template's editor.
type templatePage struct {
	Template *notify.Template
	CanWrite bool
	// Subject and Body are the preview of what is in the form.
	PreviewSubject, PreviewBody string
}

func (p *Pages) templatePath(v *visit) (kind, lang string, err error) {
	kind, lang = v.r.PathValue("kind"), v.r.PathValue("lang")
	if !slices.Contains(templateKinds, kind) || !slices.Contains(langs, lang) {
		return "", "", fault.New(fault.NotFound, "no template %s/%s", kind, lang)
	}
	return kind, lang, nil
}

// MessageTemplate shows a template's editor with its preview.
func (p *Pages) MessageTemplate(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		kind, lang, err := p.templatePath(v)
		if err != nil {
			return err
		}
		t, err := p.deps.Notify.Template(v.ctx(), kind, lang)
		if err != nil {
			return err
		}
		d := &templatePage{Template: t, CanWrite: writer.roles.Allows(v.sess.Principal.Role)}
		d.PreviewSubject, d.PreviewBody, err = p.deps.Notify.Preview(v.ctx(), kind, lang, t.Subject, t.Body)
		if err != nil && fault.CodeOf(err) == fault.Internal {
			return err
		}
		return p.render(v, http.StatusOK, "events_template", &view{Title: "messages.template.title", Nav: "events",
			Notice: eventNotice(r), Form: map[string]string{"subject": t.Subject, "body": t.Body}, Data: d})
	})
}

// SaveMessageTemplate stores the tenant's version of a template.
func (p *Pages) SaveMessageTemplate(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		kind, lang, err := p.templatePath(v)
		if err != nil {
			return err
		}
		subject, body := v.r.PostForm.Get("subject"), v.r.PostForm.Get("body")
		_, err = p.deps.Notify.SaveTemplate(v.ctx(), kind, lang, subject, body)
		if err != nil {
			t, terr := p.deps.Notify.Template(v.ctx(), kind, lang)
			if terr != nil {
				return terr
			}
			d := &templatePage{Template: t, CanWrite: true}
			return p.formFailed(v, "events_template", &view{Title: "messages.template.title", Nav: "events", Path: "/app/messages/" + kind + "/" + lang,
				Form: map[string]string{"subject": subject, "body": body}, Data: d}, scoped(err, "template."))
		}
		http.Redirect(v.w, v.r, "/app/messages/"+kind+"/"+lang+"?done=template_saved", http.StatusSeeOther)
		return nil
	})
}

// PreviewMessageTemplate renders the draft in the form on sample data and
// answers JSON for the editor's live preview (app.js). A template that does
// not parse answers 422 with the reason, which the editor shows.
func (p *Pages) PreviewMessageTemplate(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		kind, lang, err := p.templatePath(v)
		if err != nil {
			return err
		}
		out := struct {
			Subject string `json:"subject"`
			Body    string `json:"body"`
			Error   string `json:"error,omitempty"`
		}{}
		status := http.StatusOK
		out.Subject, out.Body, err = p.deps.Notify.Preview(v.ctx(), kind, lang, v.r.PostForm.Get("subject"), v.r.PostForm.Get("body"))
		if err != nil {
			var fe *fault.Error
			if fault.CodeOf(err) == fault.Internal || !errors.As(err, &fe) {
				return err
			}
			status, out.Error = api.StatusOf(fe.Code), fe.Message
			if len(fe.Fields) > 0 {
				out.Error = fe.Fields[0].Field + ": " + fe.Fields[0].Message
			}
		}
		v.w.Header().Set("Content-Type", "application/json; charset=utf-8")
		v.w.WriteHeader(status)
		return json.NewEncoder(v.w).Encode(out)
	})
}

// formEditorPage is the content of the registration form editor.
type formEditorPage struct {
	Event    *event.Event
	Fields   []event.Field
	Consents []event.Consent
	Types    []string
	CanWrite bool
}

// blankRows are the empty rows the editor offers for new fields and
// consents; saving with more filled in offers more again.
const blankRows = 3

func (p *Pages) formEditor(v *visit, eventID string, f *event.Form) (*view, error) {
	e, err := p.deps.Events.Get(v.ctx(), eventID)
	if err != nil {
		return nil, err
	}
	if f == nil {
		if f, err = p.deps.Events.GetForm(v.ctx(), eventID); err != nil {
			return nil, err
		}
	}
	d := &formEditorPage{Event: e, Fields: slices.Clone(f.Fields), Consents: slices.Clone(f.Consents),
		Types:    []string{event.FieldText, event.FieldEmail, event.FieldPhone, event.FieldURL, event.FieldChoice, event.FieldMultiChoice},
		CanWrite: writer.roles.Allows(v.sess.Principal.Role)}
	for range blankRows {
		d.Fields = append(d.Fields, event.Field{})
		d.Consents = append(d.Consents, event.Consent{})
	}
	return &view{Title: "form.title", Nav: "events", Notice: eventNotice(v.r), Path: "/app/events/" + eventID + "/form", Data: d}, nil
}

// EventForm shows an event's registration form editor.
func (p *Pages) EventForm(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, reader, func(v *visit) error {
		vw, err := p.formEditor(v, v.r.PathValue("event_id"), nil)
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "events_form", vw)
	})
}

// maxFormRows bounds the rows read from the editor (the form's own limits
// are 50 fields and 20 consents).
const maxFormRows = 80

// SaveEventForm replaces an event's registration form with the editor's
// rows; rows with an empty key are left out.
func (p *Pages) SaveEventForm(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, writer, func(v *visit) error {
		id := v.r.PathValue("event_id")
		pf := v.r.PostForm
		f := event.Form{Fields: []event.Field{}, Consents: []event.Consent{}}
		for i := range maxFormRows {
			n := fmt.Sprint(i)
			key := strings.TrimSpace(pf.Get("field_key_" + n))
			if key == "" {
				continue
			}
			fl := event.Field{Key: key, Label: strings.TrimSpace(pf.Get("field_label_" + n)), Type: pf.Get("field_type_" + n),
				Required: pf.Get("field_required_"+n) != ""}
			for _, o := range strings.Split(pf.Get("field_options_"+n), ",") {
				if o = strings.TrimSpace(o); o != "" {
					fl.Options = append(fl.Options, o)
				}
			}
			f.Fields = append(f.Fields, fl)
		}
		for i := range maxFormRows {
			n := fmt.Sprint(i)
			key := strings.TrimSpace(pf.Get("consent_key_" + n))
			if key == "" {
				continue
			}
			f.Consents = append(f.Consents, event.Consent{Key: key, Text: strings.TrimSpace(pf.Get("consent_text_" + n)),
				Version: strings.TrimSpace(pf.Get("consent_version_" + n)), Required: pf.Get("consent_required_"+n) != ""})
		}
		err := checkFormShape(&f)
		if err == nil {
			_, err = p.deps.Events.SetForm(v.ctx(), id, f)
		}
		if err != nil {
			if fault.Is(err, fault.NotFound) {
				return err
			}
			vw, verr := p.formEditor(v, id, &f)
			if verr != nil {
				return verr
			}
			return p.formFailed(v, "events_form", vw, scoped(err, "form."))
		}
		http.Redirect(v.w, v.r, "/app/events/"+id+"/form?done=form_saved", http.StatusSeeOther)
		return nil
	})
}

// checkFormShape checks what the API's schema checks before the service
// sees a form (key patterns, lengths, counts), so that the pages give the
// same answers as the API.
func checkFormShape(f *event.Form) error {
	var c fault.Check
	c.Add(len(f.Fields) > 50, "fields", "at most 50 fields")
	c.Add(len(f.Consents) > 20, "consents", "at most 20 consents")
	for i, fl := range f.Fields {
		name := fmt.Sprintf("fields[%d]", i)
		c.Add(!formKeyRE.MatchString(fl.Key), name+".key", "must be lower-case letters, digits and _")
		c.Add(tooLong(fl.Label, 200), name+".label", "is too long")
		c.Add(fl.Type != "" && !slices.Contains([]string{event.FieldText, event.FieldEmail, event.FieldPhone, event.FieldURL, event.FieldChoice, event.FieldMultiChoice}, fl.Type), name+".type", "is not a field type")
		c.Add(len(fl.Options) > 100, name+".options", "at most 100 options")
	}
	for i, cn := range f.Consents {
		name := fmt.Sprintf("consents[%d]", i)
		c.Add(!formKeyRE.MatchString(cn.Key), name+".key", "must be lower-case letters, digits and _")
		c.Add(cn.Text == "" || tooLong(cn.Text, 5000), name+".text", "must be 1 to 5000 characters")
		c.Add(cn.Version == "" || tooLong(cn.Version, 50), name+".version", "must be 1 to 50 characters")
	}
	return c.Err()
}

// formKeyRE is the pattern of form field and consent keys (as the API's schema).
var formKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
