package web

// The campaigns page group: the public landing page (form, game, result),
// the draw verification page, and the organizer pages for schools,
// campaigns, gifts, participants, draws and reports.

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
)

// campaignPageNames are the group's templates.
var campaignPageNames = []string{
	"campaign_landing", "campaign_play", "draw_public",
	"campaigns", "campaign_form", "campaign", "campaign_gifts", "campaign_participants",
	"campaign_channels", "campaign_draws", "campaign_draw", "campaign_report", "campaign_schools",
}

// Who may use the organizer pages: the API's roles for the same work.
var (
	campaignViewer = access{signedIn: true, roles: api.Viewer}
	campaignStaff  = access{signedIn: true, roles: api.Staff}
)

// campaignTab is a tab of a campaign's organizer pages.
type campaignTab struct {
	Key, Href string
}

// campaignTabs are the tabs every organizer page of one campaign shows.
func campaignTabs(id string) []campaignTab {
	base := "/app/campaigns/" + url.PathEscape(id)
	return []campaignTab{
		{"overview", base}, {"participants", base + "/participants"}, {"gifts", base + "/gifts"},
		{"channels", base + "/channels"}, {"draws", base + "/draws"}, {"report", base + "/report"},
		{"edit", base + "/edit"},
	}
}

// campaignHead is what the header of a campaign's organizer pages needs.
type campaignHead struct {
	Campaign *campaign.Campaign
	Tabs     []campaignTab
	Tab      string
	// MayEdit is true for staff and above, who see the forms.
	MayEdit bool
}

// loadCampaign loads the campaign named in the path, for an organizer page.
func (p *Pages) loadCampaign(v *visit, tab string) (campaignHead, error) {
	c, err := p.deps.Campaigns.GetCampaign(v.ctx(), v.r.PathValue("campaign_id"))
	if err != nil {
		return campaignHead{}, err
	}
	return campaignHead{Campaign: c, Tabs: campaignTabs(c.ID), Tab: tab,
		MayEdit: api.Staff.Allows(v.sess.Principal.Role)}, nil
}

// campaignFailed shows a campaign form again with a message for err, like
// formFailed, but with the campaign group's own texts: a field's message
// is "cerr.field.<field>" when the group has one, and the API's per-field
// messages are listed so that a game editor can say which line is wrong.
func (p *Pages) campaignFailed(v *visit, name string, vw *view, err error) error {
	status, fe, err := failure(v, vw, err, campaignErrorKey)
	if err != nil {
		return err
	}
	if fe != nil && fe.Code == fault.Validation {
		if d, ok := vw.Data.(fieldErrorsHolder); ok {
			for _, f := range fe.Fields {
				d.addFieldError(f.Field + ": " + f.Message)
			}
		}
	}
	return p.render(v, status, name, vw)
}

// fieldErrorsHolder is a page that lists the API's per-field messages.
type fieldErrorsHolder interface{ addFieldError(string) }

// FieldErrors are the API's messages about single fields of a form.
type FieldErrors struct{ Errors []string }

func (f *FieldErrors) addFieldError(s string) { f.Errors = append(f.Errors, s) }

// campaignErrorKey picks the message for an error on a campaign page: the
// group's own key for the code or field when there is one, else the
// shell's.
func campaignErrorKey(err error) string {
	code := fault.CodeOf(err)
	if code == fault.Validation {
		var fe *fault.Error
		if errors.As(err, &fe) && len(fe.Fields) > 0 {
			if k := "cerr.field." + fieldRoot(fe.Fields[0].Field); hasKey(k) {
				return k
			}
		}
	}
	if k := "cerr." + string(code); hasKey(k) {
		return k
	}
	return errorKey(err)
}

// fieldRoot is a field path's first part: "game.questions[2].answer" is
// about "game".
func fieldRoot(f string) string {
	for i, r := range f {
		if r == '.' || r == '[' {
			return f[:i]
		}
	}
	return f
}

// campaignNotices are the success notes of the campaign pages (?done=).
var campaignNotices = map[string]string{
	"created":    "cnotice.created",
	"saved":      "cnotice.saved",
	"closed":     "cnotice.closed",
	"approve":    "cnotice.approved",
	"reject":     "cnotice.rejected",
	"hand-out":   "cnotice.handed_out",
	"gift":       "cnotice.gift",
	"school":     "cnotice.school",
	"department": "cnotice.department",
	"draw_run":   "cnotice.draw_run",
}

func campaignNotice(r *http.Request) string { return campaignNotices[r.URL.Query().Get("done")] }
