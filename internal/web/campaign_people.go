package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
)

// campaignPage is the content of a campaign's overview.
type campaignPage struct {
	campaignHead
	Period  string
	Counts  *campaign.LiveCounts
	Gifts   []campaign.Gift
	Landing string
	LiveURL string
	// MissingGifts are the gifts the roulette's segments name that the
	// campaign does not have: those segments never come up.
	MissingGifts []string
	// WheelStuck is a roulette none of whose segments can come up now
	// (each names a gift that is missing or out of stock): every spin
	// loses.
	WheelStuck bool
}

// MissingNames lists MissingGifts for a sentence.
func (c *campaignPage) MissingNames() string { return strings.Join(c.MissingGifts, ", ") }

// wheelWarnings finds the roulette's segments that cannot come up because
// their gift does not exist, and whether no segment can come up at all.
func wheelWarnings(g campaign.Game, gifts []campaign.Gift) (missing []string, stuck bool) {
	if g.Type != campaign.GameRoulette || len(g.Segments) == 0 {
		return nil, false
	}
	stock := map[string]int{}
	for _, gf := range gifts {
		stock[gf.Name] = gf.Available
	}
	stuck = true
	for _, sg := range g.Segments {
		n, ok := stock[sg.Gift]
		switch {
		case sg.Gift == "":
			stuck = false
		case !ok:
			if !slices.Contains(missing, sg.Gift) {
				missing = append(missing, sg.Gift)
			}
		case n > 0:
			stuck = false
		}
	}
	return missing, stuck
}

// Campaign shows a campaign: its live counts, landing link and gifts.
func (p *Pages) Campaign(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		head, err := p.loadCampaign(v, "overview")
		if err != nil {
			return err
		}
		c := head.Campaign
		counts, err := p.deps.Campaigns.LiveCounts(v.ctx(), c.ID)
		if err != nil {
			return err
		}
		gifts, err := p.deps.Campaigns.ListGifts(v.ctx(), c.ID)
		if err != nil {
			return err
		}
		data := &campaignPage{campaignHead: head, Period: kst(c.StartsAt) + " ~ " + kst(c.EndsAt), Counts: counts, Gifts: gifts,
			Landing: p.deps.Campaigns.LandingURL(c.ID, ""), LiveURL: head.Tabs[0].Href + "/live"}
		data.MissingGifts, data.WheelStuck = wheelWarnings(c.Game, gifts)
		return p.render(v, http.StatusOK, "campaign", &view{Title: "camp.overview.title", Nav: "campaigns", Data: data, Notice: campaignNotice(r)})
	})
}

// giftsPage is the content of a campaign's gifts page.
type giftsPage struct {
	campaignHead
	Gifts []campaign.Gift
}

func (p *Pages) giftsView(v *visit) (*view, error) {
	head, err := p.loadCampaign(v, "gifts")
	if err != nil {
		return nil, err
	}
	gifts, err := p.deps.Campaigns.ListGifts(v.ctx(), head.Campaign.ID)
	if err != nil {
		return nil, err
	}
	return &view{Title: "camp.gifts.title", Nav: "campaigns", Data: &giftsPage{campaignHead: head, Gifts: gifts}, Form: map[string]string{}}, nil
}

// Gifts lists a campaign's gifts with their stock.
func (p *Pages) Gifts(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		vw, err := p.giftsView(v)
		if err != nil {
			return err
		}
		vw.Notice = campaignNotice(r)
		return p.render(v, http.StatusOK, "campaign_gifts", vw)
	})
}

// AddGift adds a gift with its stock.
func (p *Pages) AddGift(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		name, stockText := strings.TrimSpace(v.r.PostForm.Get("name")), strings.TrimSpace(v.r.PostForm.Get("stock"))
		var c fault.Check
		stock, serr := strconv.Atoi(stockText)
		c.Add(serr != nil || stock < 0 || stock > 100_000_000, "stock", "must be a whole number from 0 to 100000000")
		c.Add(tooLong(name, 200), "name", "is too long")
		err := c.Err()
		id := v.r.PathValue("campaign_id")
		if err == nil {
			_, err = p.deps.Campaigns.CreateGift(v.ctx(), id, campaign.CreateGiftInput{Name: name, Stock: stock})
		}
		if err != nil {
			vw, verr := p.giftsView(v)
			if verr != nil {
				return verr
			}
			vw.Form = map[string]string{"name": name, "stock": stockText}
			return p.campaignFailed(v, "campaign_gifts", vw, err)
		}
		http.Redirect(v.w, v.r, "/app/campaigns/"+url.PathEscape(id)+"/gifts?done=gift", http.StatusSeeOther)
		return nil
	})
}

// participantsPage is the content of a campaign's participants page.
type participantsPage struct {
	campaignHead
	Rows       []participantRow
	NextCursor string
	// Filter is the query string of the current filter, for paging.
	Filter  string
	Schools []campaign.School
	// Return is where a decision goes back to.
	Return string
}

// participantRow is one participation with names resolved.
type participantRow struct {
	campaign.Participation
	School     string
	Department string
	Phone      string
	At         string
}

// Participants lists a campaign's participations with search and filters.
func (p *Pages) Participants(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		head, err := p.loadCampaign(v, "participants")
		if err != nil {
			return err
		}
		q := v.r.URL.Query()
		form := map[string]string{}
		for _, k := range []string{"q", "phone", "status", "result", "school_id", "channel"} {
			form[k] = strings.TrimSpace(q.Get(k))
		}
		vw := &view{Title: "camp.participants.title", Nav: "campaigns", Form: form, Notice: campaignNotice(r)}
		schools, err := p.schoolsAll(v)
		if err != nil {
			return err
		}
		data := &participantsPage{campaignHead: head, Schools: schools, Return: v.r.URL.RequestURI()}
		vw.Data = data
		var c fault.Check
		c.Add(form["status"] != "" && form["status"] != campaign.StatusPending && form["status"] != campaign.StatusApproved && form["status"] != campaign.StatusRejected, "status", "is not a status")
		c.Add(form["result"] != "" && form["result"] != campaign.ResultSuccess && form["result"] != campaign.ResultFailure, "result", "is not a result")
		c.Add(tooLong(form["q"], 100) || tooLong(form["phone"], 32) || tooLong(form["channel"], 40) || tooLong(form["school_id"], 100), "q", "is too long")
		err = c.Err()
		var list *api.List[campaign.Participation]
		if err == nil {
			list, err = p.deps.Campaigns.ListParticipations(v.ctx(), head.Campaign.ID, campaign.ParticipationFilter{
				Status: form["status"], Result: form["result"], Phone: form["phone"], SchoolID: form["school_id"],
				Channel: form["channel"], Query: form["q"]}, api.PageParams{Limit: 100, Cursor: q.Get("cursor")})
		}
		if err != nil {
			return p.campaignFailed(v, "campaign_participants", vw, err)
		}
		schoolNames := map[string]string{}
		for _, s := range schools {
			schoolNames[s.ID] = s.Name
		}
		for _, pt := range list.Body.Data {
			data.Rows = append(data.Rows, participantRow{Participation: pt, School: schoolNames[pt.SchoolID],
				Phone: campaign.MaskPhone(pt.Phone), At: kst(pt.CreatedAt)})
		}
		data.NextCursor = list.Body.NextCursor
		f := url.Values{}
		for k, val := range form {
			if val != "" {
				f.Set(k, val)
			}
		}
		data.Filter = f.Encode()
		return p.render(v, http.StatusOK, "campaign_participants", vw)
	})
}

// DecideParticipation approves, rejects or hands out, then goes back to the
// list it came from.
func (p *Pages) DecideParticipation(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		id, action := v.r.PathValue("participation_id"), v.r.PathValue("action")
		var err error
		switch action {
		case "approve":
			_, err = p.deps.Campaigns.Approve(v.ctx(), id)
		case "reject":
			_, err = p.deps.Campaigns.Reject(v.ctx(), id)
		case "hand-out":
			_, err = p.deps.Campaigns.HandOut(v.ctx(), id)
		default:
			err = fault.New(fault.NotFound, "no action %q", action)
		}
		if err != nil {
			return err
		}
		back := safeNext(v.r.PostForm.Get("return"))
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		// A previous ?done= is replaced, not repeated.
		if u, perr := url.Parse(back); perr == nil {
			qs := u.Query()
			qs.Del("done")
			u.RawQuery = qs.Encode()
			back, sep = u.String(), "?"
			if u.RawQuery != "" {
				sep = "&"
			}
		}
		http.Redirect(v.w, v.r, back+sep+"done="+action+"#p-"+id, http.StatusSeeOther)
		return nil
	})
}

// channelsPage is the content of the printable channel links page.
type channelsPage struct {
	campaignHead
	Links []channelLink
}

// channelLink is a channel's link with the page address of its QR code.
type channelLink struct {
	campaign.ChannelLink
	QR string
}

// Channels shows a campaign's channel links with printable QR codes.
func (p *Pages) Channels(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		head, err := p.loadCampaign(v, "channels")
		if err != nil {
			return err
		}
		links, err := p.deps.Campaigns.Channels(v.ctx(), head.Campaign.ID)
		if err != nil {
			return err
		}
		data := &channelsPage{campaignHead: head}
		for _, l := range links {
			data.Links = append(data.Links, channelLink{ChannelLink: l, QR: head.Tabs[0].Href + "/channels/" + url.PathEscape(l.Channel) + "/qr.png"})
		}
		return p.render(v, http.StatusOK, "campaign_channels", &view{Title: "camp.channels.title", Nav: "campaigns", Data: data})
	})
}

// ChannelQR serves a channel's QR code as PNG to a signed-in browser (the
// API's copy needs a bearer token an <img> cannot send).
func (p *Pages) ChannelQR(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		size, _ := strconv.Atoi(v.r.URL.Query().Get("size"))
		png, err := p.deps.Campaigns.ChannelQR(v.ctx(), v.r.PathValue("campaign_id"), v.r.PathValue("channel"), size)
		if err != nil {
			return err
		}
		h := v.w.Header()
		h.Set("Content-Type", "image/png")
		h.Set("Cache-Control", "private, max-age=3600")
		if v.r.URL.Query().Get("download") == "1" {
			h.Set("Content-Disposition", `attachment; filename="qr-`+v.r.PathValue("channel")+`.png"`)
		}
		_, err = v.w.Write(png)
		if err != nil {
			p.logger(v).Debug("qr write", "err", err)
		}
		return nil
	})
}
