package web

// The webhook settings pages: the endpoints with a form to add one
// (/app/settings/webhooks), one endpoint with its actions and latest
// deliveries, and one delivery with its body and attempts. Like the API
// keys, webhooks are for owners and admins only, as in the API.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/webhook"
)

// webhookStatuses are the delivery statuses, in the order the filter
// offers them.
var webhookStatuses = []string{webhook.StatusPending, webhook.StatusRetrying, webhook.StatusSucceeded,
	webhook.StatusFailed, webhook.StatusCancelled}

// kindFamily is a group of event kinds as the form shows it: "order" with
// order.created, order.paid, ….
type kindFamily struct {
	Name  string
	Kinds []string
}

// webhookFamilies are webhook.Kinds grouped by family, in their order.
var webhookFamilies = familiesOf(webhook.Kinds)

func familiesOf(kinds []string) []kindFamily {
	var out []kindFamily
	for _, k := range kinds {
		name, _, _ := strings.Cut(k, ".")
		i := slices.IndexFunc(out, func(f kindFamily) bool { return f.Name == name })
		if i < 0 {
			out = append(out, kindFamily{Name: name})
			i = len(out) - 1
		}
		out[i].Kinds = append(out[i].Kinds, k)
	}
	return out
}

// webhookNotices are the success notes of the webhook pages' redirects
// (?done=).
var webhookNotices = map[string]string{
	"webhook_pinged":       "wh.done.pinged",
	"webhook_switched_off": "wh.done.switched_off",
	"webhook_switched_on":  "wh.done.switched_on",
	"webhook_deleted":      "wh.done.deleted",
	"webhook_redelivered":  "wh.done.redelivered",
}

func webhookNotice(r *http.Request) string { return webhookNotices[r.URL.Query().Get("done")] }

// webhooksPage is the content of the webhooks settings page.
type webhooksPage struct {
	Endpoints  []webhook.Endpoint
	NextCursor string
	Families   []kindFamily
	// Chosen marks the event kinds ticked in a form shown again.
	Chosen map[string]bool
}

// webhookPage is the content of an endpoint's page, and of the page of one
// of its deliveries (when Delivery is set).
type webhookPage struct {
	Endpoint *webhook.Endpoint
	// Secret is set right after the endpoint was made (Created) or its
	// secret rotated: it is shown this once.
	Secret  string
	Created bool

	Deliveries []webhook.Delivery
	NextCursor string
	// Status filters the deliveries; empty shows all.
	Status   string
	Statuses []string

	Delivery *webhook.Delivery
	// Body is the delivery's body, indented.
	Body string

	// Now is the webhook service's clock reading, which a next attempt is
	// compared with.
	Now time.Time
}

// Due reports whether a delivery's next attempt is due already: it is
// being sent, or about to be.
func (d *webhookPage) Due(next *time.Time) bool {
	return next != nil && !next.After(d.Now)
}

// Exact shows a next attempt to the second, in UTC like the page's other
// times: the first retries come seconds apart.
func (*webhookPage) Exact(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// Redeliverable reports whether a delivery may be sent again: once it has
// succeeded, failed or been cancelled.
func (*webhookPage) Redeliverable(d webhook.Delivery) bool {
	return d.Status == webhook.StatusSucceeded || d.Status == webhook.StatusFailed || d.Status == webhook.StatusCancelled
}

// MoreURL is the next page of deliveries, with the same filter.
func (d *webhookPage) MoreURL() string {
	q := url.Values{"cursor": {d.NextCursor}}
	if d.Status != "" {
		q.Set("status", d.Status)
	}
	return webhookPath(d.Endpoint.ID) + "?" + q.Encode()
}

// Start is the start of a receiver's answer as the attempt log shows it.
func (*webhookPage) Start(s string) string {
	const max = 300
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

func webhookPath(endpointID string) string {
	return "/app/settings/webhooks/" + url.PathEscape(endpointID)
}

// Webhooks lists the organization's webhook endpoints with a form to add
// one.
func (p *Pages) Webhooks(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		vw, err := p.webhooksView(v)
		if err != nil {
			return err
		}
		vw.Notice = webhookNotice(r)
		return p.render(v, http.StatusOK, "webhooks", vw)
	})
}

// CreateWebhook adds an endpoint and shows its page with the signing
// secret, this once.
func (p *Pages) CreateWebhook(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		f := v.r.PostForm
		form := formValues(f, "", "url", "description")
		events := f["events"]
		// The limits of the API's schema, which the service leaves to it.
		var check fault.Check
		check.Add(tooLong(form["url"], 2000), "url", "is too long")
		check.Add(tooLong(form["description"], 500), "description", "is too long")
		check.Add(len(events) > 50, "events", "has too many items")
		err := check.Err()
		var e *webhook.NewEndpoint
		if err == nil {
			u, desc := form["url"], form["description"]
			e, err = p.deps.Webhooks.Create(v.ctx(), webhook.Input{URL: &u, Description: &desc, Events: &events})
		}
		if err != nil {
			vw, verr := p.webhooksView(v)
			if verr != nil {
				return verr
			}
			vw.Form = form
			chosen := map[string]bool{}
			for _, k := range events {
				chosen[k] = true
			}
			vw.Data.(*webhooksPage).Chosen = chosen
			return p.webhookFailed(v, "webhooks", vw, err, "")
		}
		vw, err := p.webhookView(v, e.ID)
		if err != nil {
			return err
		}
		d := vw.Data.(*webhookPage)
		d.Secret, d.Created = e.Secret, true
		return p.render(v, http.StatusCreated, "webhook", vw)
	})
}

func (p *Pages) webhooksView(v *visit) (*view, error) {
	list, err := p.deps.Webhooks.List(v.ctx(), api.PageParams{Limit: 100, Cursor: v.r.URL.Query().Get("cursor")})
	if err != nil {
		return nil, err
	}
	data := &webhooksPage{Endpoints: list.Body.Data, NextCursor: list.Body.NextCursor, Families: webhookFamilies}
	return &view{Title: "wh.title", Nav: "settings", Data: data}, nil
}

// Webhook shows an endpoint: its settings, its actions and its latest
// deliveries, optionally of one status (?status=).
func (p *Pages) Webhook(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		vw, err := p.webhookView(v, v.r.PathValue("endpoint_id"))
		if err != nil {
			return err
		}
		vw.Path = v.r.URL.RequestURI()
		vw.Notice = webhookNotice(r)
		return p.render(v, http.StatusOK, "webhook", vw)
	})
}

// webhookView loads an endpoint and a page of its deliveries. Its path is
// the endpoint's page, which a form post's answer stands for.
func (p *Pages) webhookView(v *visit, endpointID string) (*view, error) {
	e, err := p.deps.Webhooks.Get(v.ctx(), endpointID)
	if err != nil {
		return nil, err
	}
	data := &webhookPage{Endpoint: e, Statuses: webhookStatuses, Now: p.deps.Webhooks.Now()}
	var cursor string
	if v.r.Method == http.MethodGet {
		q := v.r.URL.Query()
		if s := q.Get("status"); slices.Contains(webhookStatuses, s) {
			data.Status = s
		}
		cursor = q.Get("cursor")
	}
	list, err := p.deps.Webhooks.Deliveries(v.ctx(), e.ID, data.Status, api.PageParams{Limit: 50, Cursor: cursor})
	if err != nil {
		return nil, err
	}
	data.Deliveries, data.NextCursor = list.Body.Data, list.Body.NextCursor
	return &view{Title: "wh.endpoint.title", Nav: "settings", Data: data, Path: webhookPath(e.ID)}, nil
}

// PingWebhook sends the endpoint a test delivery.
func (p *Pages) PingWebhook(w http.ResponseWriter, r *http.Request) {
	p.webhookAction(w, r, "webhook_pinged", func(v *visit, id string) error {
		_, err := p.deps.Webhooks.Ping(v.ctx(), id)
		return err
	})
}

// SwitchOffWebhook stops sending to an endpoint; its waiting deliveries
// are cancelled.
func (p *Pages) SwitchOffWebhook(w http.ResponseWriter, r *http.Request) {
	p.webhookAction(w, r, "webhook_switched_off", func(v *visit, id string) error {
		return p.switchWebhook(v, id, false)
	})
}

// SwitchOnWebhook sends to an endpoint again.
func (p *Pages) SwitchOnWebhook(w http.ResponseWriter, r *http.Request) {
	p.webhookAction(w, r, "webhook_switched_on", func(v *visit, id string) error {
		return p.switchWebhook(v, id, true)
	})
}

func (p *Pages) switchWebhook(v *visit, id string, on bool) error {
	_, err := p.deps.Webhooks.Update(v.ctx(), id, webhook.Input{Active: &on})
	return err
}

// RedeliverWebhook sends a delivery again.
func (p *Pages) RedeliverWebhook(w http.ResponseWriter, r *http.Request) {
	p.webhookAction(w, r, "webhook_redelivered", func(v *visit, id string) error {
		_, err := p.deps.Webhooks.Redeliver(v.ctx(), id, v.r.PathValue("delivery_id"))
		return err
	})
}

// webhookAction runs a button of an endpoint's page and goes back to the
// page with a note, or shows the page again with what went wrong.
func (p *Pages) webhookAction(w http.ResponseWriter, r *http.Request, done string, act func(v *visit, id string) error) {
	p.serve(w, r, manager, func(v *visit) error {
		id := v.r.PathValue("endpoint_id")
		err := act(v, id)
		if err == nil {
			http.Redirect(v.w, v.r, webhookPath(id)+"?done="+done, http.StatusSeeOther)
			return nil
		}
		vw, verr := p.webhookView(v, id)
		if verr != nil {
			return verr // the endpoint is gone: a 404 page
		}
		// A conflict has one cause per state: the endpoint is switched
		// off, or (redelivering) the delivery is still being sent.
		conflict := "wh.err.still_sending"
		if !vw.Data.(*webhookPage).Endpoint.Active {
			conflict = "wh.err.switched_off"
		}
		return p.webhookFailed(v, "webhook", vw, err, conflict)
	})
}

// RotateWebhookSecret gives an endpoint a new signing secret and shows it,
// this once.
func (p *Pages) RotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		id := v.r.PathValue("endpoint_id")
		e, err := p.deps.Webhooks.RotateSecret(v.ctx(), id)
		if err != nil {
			return err
		}
		vw, err := p.webhookView(v, id)
		if err != nil {
			return err
		}
		vw.Data.(*webhookPage).Secret = e.Secret
		return p.render(v, http.StatusOK, "webhook", vw)
	})
}

// DeleteWebhook removes an endpoint.
func (p *Pages) DeleteWebhook(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		if err := p.deps.Webhooks.Delete(v.ctx(), v.r.PathValue("endpoint_id")); err != nil {
			return err
		}
		http.Redirect(v.w, v.r, "/app/settings/webhooks?done=webhook_deleted", http.StatusSeeOther)
		return nil
	})
}

// WebhookDelivery shows one delivery: its body and every attempt.
func (p *Pages) WebhookDelivery(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		id := v.r.PathValue("endpoint_id")
		e, err := p.deps.Webhooks.Get(v.ctx(), id)
		if err != nil {
			return err
		}
		d, err := p.deps.Webhooks.Delivery(v.ctx(), id, v.r.PathValue("delivery_id"))
		if err != nil {
			return err
		}
		data := &webhookPage{Endpoint: e, Delivery: d, Body: indentJSON(d.Body), Now: p.deps.Webhooks.Now()}
		return p.render(v, http.StatusOK, "webhook", &view{Title: "wh.delivery.title", Nav: "settings", Data: data})
	})
}

// indentJSON returns a JSON text indented for reading, or as it is when it
// is not JSON.
func indentJSON(s string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

// webhookFailed shows a webhook page again with a message for err. Field
// errors get the webhook form's messages (err.field.webhook.<field>); a
// conflict gets the message named by conflict, when there is one.
func (p *Pages) webhookFailed(v *visit, name string, vw *view, err error, conflict string) error {
	status, _, err := failure(v, vw, scoped(err, "webhook."), func(err error) string {
		if conflict != "" && fault.CodeOf(err) == fault.Conflict {
			return conflict
		}
		return errorKey(err)
	})
	if err != nil {
		return err
	}
	return p.render(v, status, name, vw)
}
