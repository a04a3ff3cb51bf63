package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
)

// seoul is the time zone of the campaign pages: campaigns carry no zone of
// their own, and the people who run and join them are in Korea.
var seoul = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		return time.FixedZone("KST", 9*3600)
	}
	return loc
}()

// localInput is the value of a datetime-local field.
const localInput = "2006-01-02T15:04"

// kst shows a time in Seoul.
func kst(t time.Time) string { return t.In(seoul).Format("2006-01-02 15:04") }

// campaignsPage is the content of the campaign list.
type campaignsPage struct {
	Campaigns  []campaignRow
	NextCursor string
	MayEdit    bool
}

// campaignRow is a campaign in the list, with its period shown in Seoul.
type campaignRow struct {
	campaign.Campaign
	Period string
}

// Campaigns lists the organization's campaigns.
func (p *Pages) Campaigns(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		list, err := p.deps.Campaigns.ListCampaigns(v.ctx(), api.PageParams{Limit: 50, Cursor: v.r.URL.Query().Get("cursor")})
		if err != nil {
			return err
		}
		data := &campaignsPage{NextCursor: list.Body.NextCursor, MayEdit: api.Staff.Allows(v.sess.Principal.Role)}
		for _, c := range list.Body.Data {
			data.Campaigns = append(data.Campaigns, campaignRow{Campaign: c, Period: kst(c.StartsAt) + " ~ " + kst(c.EndsAt)})
		}
		return p.render(v, http.StatusOK, "campaigns", &view{Title: "camp.list.title", Nav: "campaigns", Data: data, Notice: campaignNotice(r)})
	})
}

// campaignFormPage is the content of the create and edit forms.
type campaignFormPage struct {
	FieldErrors
	Head     *campaignHead
	Schools  []campaign.School
	Selected map[string]bool
	Game     gameForm
	Action   string
}

// GameTypes are the choices of the game editor.
func (*campaignFormPage) GameTypes() []string {
	return []string{campaign.GameNone, campaign.GameOX, campaign.GameQuiz, campaign.GameRoulette}
}

// schoolsAll lists every school of the organization (up to a large page).
func (p *Pages) schoolsAll(v *visit) ([]campaign.School, error) {
	list, err := p.deps.Campaigns.ListSchools(v.ctx(), api.PageParams{Limit: 500})
	if err != nil {
		return nil, err
	}
	return list.Body.Data, nil
}

// NewCampaignPage shows the form that creates a campaign.
func (p *Pages) NewCampaignPage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		schools, err := p.schoolsAll(v)
		if err != nil {
			return err
		}
		start := time.Now().In(seoul).Truncate(time.Hour).Add(time.Hour)
		vw := &view{Title: "camp.new.title", Nav: "campaigns", Form: map[string]string{
			"starts_at": start.Format(localInput), "ends_at": start.AddDate(0, 0, 14).Format(localInput),
			"approval": "auto", "channels": strings.Join(campaign.DefaultChannels, ", "), "consent_version": "1",
		}, Data: &campaignFormPage{Schools: schools, Selected: map[string]bool{}, Game: gameForm{Type: campaign.GameNone}, Action: "/app/campaigns/new"}}
		return p.render(v, http.StatusOK, "campaign_form", vw)
	})
}

// campaignInput reads the campaign form.
func campaignInput(v *visit) (campaign.CreateCampaignInput, map[string]string, gameForm, error) {
	f := v.r.PostForm
	form := formValues(f, "", "name", "starts_at", "ends_at", "approval", "channels", "consent_version")
	gf := gameForm{Type: f.Get("game_type"), Questions: f.Get("questions"), PassMark: f.Get("pass_mark"), Gift: f.Get("game_gift"), Segments: f.Get("segments")}
	in := campaign.CreateCampaignInput{Name: form["name"], Approval: form["approval"], ConsentVersion: form["consent_version"], SchoolIDs: f["school_ids"]}
	var c fault.Check
	c.Add(tooLong(in.Name, 200), "name", "is too long")
	c.Add(tooLong(in.ConsentVersion, 50), "consent_version", "is too long")
	c.Add(len(gf.Questions)+len(gf.Segments) > 100_000, "game", "is too long")
	var err error
	in.StartsAt, err = time.ParseInLocation(localInput, form["starts_at"], seoul)
	c.Add(err != nil, "starts_at", "must be a date and time")
	in.EndsAt, err = time.ParseInLocation(localInput, form["ends_at"], seoul)
	c.Add(err != nil, "ends_at", "must be a date and time")
	for _, ch := range strings.Split(form["channels"], ",") {
		if ch = strings.ToLower(strings.TrimSpace(ch)); ch != "" && ch != campaign.ChannelDirect && !slices.Contains(in.Channels, ch) {
			in.Channels = append(in.Channels, ch)
		}
	}
	if err := c.Err(); err != nil {
		return in, form, gf, err
	}
	in.Game, err = gf.game()
	return in, form, gf, err
}

// CreateCampaign makes a campaign from the form.
func (p *Pages) CreateCampaign(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		in, form, gf, err := campaignInput(v)
		var c *campaign.Campaign
		if err == nil {
			c, err = p.deps.Campaigns.CreateCampaign(v.ctx(), in)
		}
		if err != nil {
			schools, serr := p.schoolsAll(v)
			if serr != nil {
				return serr
			}
			data := &campaignFormPage{Schools: schools, Selected: selected(in.SchoolIDs), Game: gf, Action: "/app/campaigns/new"}
			return p.campaignFailed(v, "campaign_form", &view{Title: "camp.new.title", Nav: "campaigns", Form: form, Data: data}, err)
		}
		http.Redirect(v.w, v.r, "/app/campaigns/"+url.PathEscape(c.ID)+"?done=created", http.StatusSeeOther)
		return nil
	})
}

func selected(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// EditCampaignPage shows a campaign's settings in the form.
func (p *Pages) EditCampaignPage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		head, err := p.loadCampaign(v, "edit")
		if err != nil {
			return err
		}
		schools, err := p.schoolsAll(v)
		if err != nil {
			return err
		}
		c := head.Campaign
		chans := slices.DeleteFunc(slices.Clone(c.Channels), func(s string) bool { return s == campaign.ChannelDirect })
		vw := &view{Title: "camp.edit.title", Nav: "campaigns", Notice: campaignNotice(r), Form: map[string]string{
			"name": c.Name, "starts_at": c.StartsAt.In(seoul).Format(localInput), "ends_at": c.EndsAt.In(seoul).Format(localInput),
			"approval": c.Approval, "channels": strings.Join(chans, ", "), "consent_version": c.ConsentVersion,
		}, Data: &campaignFormPage{Head: &head, Schools: schools, Selected: selected(c.SchoolIDs), Game: formOfGame(c.Game),
			Action: head.Tabs[len(head.Tabs)-1].Href}}
		return p.render(v, http.StatusOK, "campaign_form", vw)
	})
}

// UpdateCampaign saves the edited settings.
func (p *Pages) UpdateCampaign(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		head, err := p.loadCampaign(v, "edit")
		if err != nil {
			return err
		}
		in, form, gf, err := campaignInput(v)
		if err == nil {
			_, err = p.deps.Campaigns.UpdateCampaign(v.ctx(), head.Campaign.ID, in)
		}
		if err != nil {
			schools, serr := p.schoolsAll(v)
			if serr != nil {
				return serr
			}
			data := &campaignFormPage{Head: &head, Schools: schools, Selected: selected(in.SchoolIDs), Game: gf, Action: head.Tabs[len(head.Tabs)-1].Href}
			return p.campaignFailed(v, "campaign_form", &view{Title: "camp.edit.title", Nav: "campaigns", Form: form, Data: data}, err)
		}
		http.Redirect(v.w, v.r, "/app/campaigns/"+url.PathEscape(head.Campaign.ID)+"?done=saved", http.StatusSeeOther)
		return nil
	})
}

// CloseCampaign ends a campaign now.
func (p *Pages) CloseCampaign(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		c, err := p.deps.Campaigns.CloseCampaign(v.ctx(), v.r.PathValue("campaign_id"))
		if err != nil {
			return err
		}
		http.Redirect(v.w, v.r, "/app/campaigns/"+url.PathEscape(c.ID)+"?done=closed", http.StatusSeeOther)
		return nil
	})
}

// schoolsPage is the content of the schools page.
type schoolsPage struct {
	Schools []schoolRow
	MayEdit bool
}

// schoolRow is a school with its departments.
type schoolRow struct {
	campaign.School
	Departments []campaign.Department
}

// Schools lists schools with their departments and forms to add both.
func (p *Pages) Schools(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		vw, err := p.schoolsView(v)
		if err != nil {
			return err
		}
		vw.Notice = campaignNotice(r)
		return p.render(v, http.StatusOK, "campaign_schools", vw)
	})
}

func (p *Pages) schoolsView(v *visit) (*view, error) {
	schools, err := p.schoolsAll(v)
	if err != nil {
		return nil, err
	}
	data := &schoolsPage{MayEdit: api.Staff.Allows(v.sess.Principal.Role)}
	for _, s := range schools {
		deps, err := p.deps.Campaigns.ListDepartments(v.ctx(), s.ID, api.PageParams{Limit: 500})
		if err != nil {
			return nil, err
		}
		data.Schools = append(data.Schools, schoolRow{School: s, Departments: deps.Body.Data})
	}
	return &view{Title: "camp.schools.title", Nav: "campaigns", Data: data, Form: map[string]string{}}, nil
}

// AddSchool adds a school, or a department when the form names a school.
func (p *Pages) AddSchool(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		name, schoolID := strings.TrimSpace(v.r.PostForm.Get("name")), v.r.PostForm.Get("school_id")
		var c fault.Check
		c.Add(tooLong(name, 200), "name", "is too long")
		err := c.Err()
		done := "school"
		if err == nil {
			if schoolID != "" {
				_, err = p.deps.Campaigns.CreateDepartment(v.ctx(), schoolID, name)
				done = "department"
			} else {
				_, err = p.deps.Campaigns.CreateSchool(v.ctx(), name)
			}
		}
		if err != nil {
			vw, verr := p.schoolsView(v)
			if verr != nil {
				return verr
			}
			vw.Form = map[string]string{"name": name, "school_id": schoolID}
			return p.campaignFailed(v, "campaign_schools", vw, err)
		}
		http.Redirect(v.w, v.r, "/app/schools?done="+done, http.StatusSeeOther)
		return nil
	})
}
