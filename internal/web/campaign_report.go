package web

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/report"
)

// reportPage is the content of a campaign's report page.
type reportPage struct {
	campaignHead
	Stats  *campaign.Stats
	Charts []reportChart
	// Sections are the breakdown tables.
	Sections []reportSection
	Base     string
}

type reportChart struct{ Kind, Src string }

type reportSection struct {
	Key    string
	Groups []campaign.Group
}

// chartKinds are the charts the report page shows, in order.
var chartKinds = []string{report.ChartResults, report.ChartSchools, report.ChartDepartments, report.ChartChannels, report.ChartHours}

// Report shows a campaign's report with server-rendered SVG charts and the
// download links.
func (p *Pages) Report(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		head, err := p.loadCampaign(v, "report")
		if err != nil {
			return err
		}
		st, err := p.deps.Reports.Stats(v.ctx(), head.Campaign.ID)
		if err != nil {
			return err
		}
		base := head.Tabs[0].Href + "/report"
		data := &reportPage{campaignHead: head, Stats: st, Base: base, Sections: []reportSection{
			{"school", st.BySchool}, {"department", st.ByDepartment}, {"channel", st.ByChannel}, {"hour", st.ByHour}}}
		// The generation time makes the image addresses change with the
		// data, so a browser never shows yesterday's chart from its cache.
		stamp := strconv.FormatInt(st.GeneratedAt.Unix(), 10)
		for _, k := range chartKinds {
			data.Charts = append(data.Charts, reportChart{Kind: k, Src: base + "/charts/" + k + ".svg?at=" + stamp})
		}
		return p.render(v, http.StatusOK, "campaign_report", &view{Title: "camp.report.title", Nav: "campaigns", Data: data})
	})
}

// ReportChart serves one chart of the report as SVG.
func (p *Pages) ReportChart(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		kind := strings.TrimSuffix(v.r.PathValue("chart"), ".svg")
		known := false
		for _, k := range chartKinds {
			known = known || k == kind
		}
		if !known || !strings.HasSuffix(v.r.PathValue("chart"), ".svg") {
			return fault.New(fault.NotFound, "no chart %q", v.r.PathValue("chart"))
		}
		st, err := p.deps.Reports.Stats(v.ctx(), v.r.PathValue("campaign_id"))
		if err != nil {
			return err
		}
		svg, err := p.deps.Reports.Chart(st, kind, "svg")
		if err != nil {
			return err
		}
		h := v.w.Header()
		h.Set("Content-Type", "image/svg+xml")
		h.Set("Cache-Control", "private, max-age=300")
		_, _ = v.w.Write(svg)
		return nil
	})
}

// ReportDownload sends the report as PDF, CSV, XLSX or JSON, named
// event_report_YYYYMMDD.<ext> as the API does.
func (p *Pages) ReportDownload(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		format := v.r.URL.Query().Get("format")
		switch format {
		case "pdf", "csv", "xlsx", "json":
		default:
			return fault.Field("format", "must be one of pdf, csv, xlsx, json")
		}
		f, err := p.deps.Reports.Render(v.ctx(), v.r.PathValue("campaign_id"), format)
		if err != nil {
			return err
		}
		h := v.w.Header()
		h.Set("Content-Type", f.ContentType)
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
		_, _ = v.w.Write(f.Body)
		return nil
	})
}

// drawsPage is the content of a campaign's draws page.
type drawsPage struct {
	campaignHead
	FieldErrors
	Draws   []campaign.DrawSummary
	Schools []campaign.School
}

func (p *Pages) drawsView(v *visit) (*view, error) {
	head, err := p.loadCampaign(v, "draws")
	if err != nil {
		return nil, err
	}
	list, err := p.deps.Campaigns.ListDraws(v.ctx(), head.Campaign.ID, api.PageParams{Limit: 100})
	if err != nil {
		return nil, err
	}
	schools, err := p.schoolsAll(v)
	if err != nil {
		return nil, err
	}
	return &view{Title: "camp.draws.title", Nav: "campaigns", Form: map[string]string{"count": "1"},
		Data: &drawsPage{campaignHead: head, Draws: list.Body.Data, Schools: schools}}, nil
}

// Draws lists a campaign's draws with the form that creates one.
func (p *Pages) Draws(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		vw, err := p.drawsView(v)
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "campaign_draws", vw)
	})
}

// CreateDraw freezes the eligible list and publishes the commitment.
func (p *Pages) CreateDraw(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		f := v.r.PostForm
		countText := strings.TrimSpace(f.Get("count"))
		in := campaign.CreateDrawInput{Eligibility: campaign.Eligibility{
			SuccessOnly: f.Get("success_only") == "1", ApprovedOnly: f.Get("approved_only") == "1", SchoolID: f.Get("school_id")}}
		var c fault.Check
		n, cerr := strconv.Atoi(countText)
		c.Add(cerr != nil || n < 1 || n > 100_000, "count", "must be a whole number from 1 to 100000")
		c.Add(tooLong(in.Eligibility.SchoolID, 100), "school_id", "is too long")
		in.Count = n
		err := c.Err()
		var d *campaign.Draw
		if err == nil {
			d, err = p.deps.Campaigns.CreateDraw(v.ctx(), v.r.PathValue("campaign_id"), in)
		}
		if err != nil {
			vw, verr := p.drawsView(v)
			if verr != nil {
				return verr
			}
			vw.Form = map[string]string{"count": countText, "school_id": in.Eligibility.SchoolID,
				"success_only": f.Get("success_only"), "approved_only": f.Get("approved_only")}
			return p.campaignFailed(v, "campaign_draws", vw, err)
		}
		http.Redirect(v.w, v.r, "/app/campaigns/"+url.PathEscape(d.CampaignID)+"/draws/"+url.PathEscape(d.ID), http.StatusSeeOther)
		return nil
	})
}

// drawPage is the content of one draw's page, for the organizer and the
// public alike.
type drawPage struct {
	campaignHead
	Draw      *campaign.Draw
	PublicURL string
	APIURL    string
	// Verified is the page's own re-run of a run draw.
	Verified bool
}

func (p *Pages) drawData(v *visit, d *campaign.Draw) *drawPage {
	data := &drawPage{Draw: d, PublicURL: p.baseURL(v.r) + "/d/" + url.PathEscape(d.ID),
		APIURL: p.baseURL(v.r) + "/v1/public/draws/" + url.PathEscape(d.ID)}
	if d.Seed != "" {
		chk, err := campaign.CheckPublishedDraw(d)
		data.Verified = err == nil && chk.OK()
	}
	return data
}

// Draw shows one draw: the commitment, then after the run the seed and
// the winners.
func (p *Pages) Draw(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		head, err := p.loadCampaign(v, "draws")
		if err != nil {
			return err
		}
		d, err := p.deps.Campaigns.GetDraw(v.ctx(), head.Campaign.ID, v.r.PathValue("draw_id"))
		if err != nil {
			return err
		}
		data := p.drawData(v, d)
		data.campaignHead = head
		return p.render(v, http.StatusOK, "campaign_draw", &view{Title: "camp.draw.title", Nav: "campaigns", Data: data, Notice: campaignNotice(r)})
	})
}

// RunDraw picks the winners and reveals the seed.
func (p *Pages) RunDraw(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignStaff, func(v *visit) error {
		d, err := p.deps.Campaigns.RunDraw(v.ctx(), v.r.PathValue("campaign_id"), v.r.PathValue("draw_id"))
		if err != nil {
			return err
		}
		http.Redirect(v.w, v.r, "/app/campaigns/"+url.PathEscape(d.CampaignID)+"/draws/"+url.PathEscape(d.ID)+"?done=draw_run", http.StatusSeeOther)
		return nil
	})
}

// PublicDraw is the page anyone can use to check a draw: the commitment,
// the frozen (masked) list, the seed once revealed, the winners, and how to
// re-run it.
func (p *Pages) PublicDraw(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		d, err := p.deps.Campaigns.GetPublicDraw(v.ctx(), v.r.PathValue("draw_id"))
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "draw_public", &view{Title: "draw.title", Data: p.drawData(v, d)})
	})
}

// liveEvery is how often an open live stream looks for new counts, and
// liveFor how long one stream lasts: the browser reconnects by itself, and
// the reconnection checks the session again.
const (
	liveEvery = 1500 * time.Millisecond
	liveFor   = 30 * time.Minute
)

// LiveCounts streams a campaign's counts as server-sent events: one event
// at once, then one whenever they change. It polls the database per open
// stream, with a query the covering index answers, which keeps it correct
// on every node of a cluster without a shared fan-out.
func (p *Pages) LiveCounts(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, campaignViewer, func(v *visit) error {
		id := v.r.PathValue("campaign_id")
		counts, err := p.deps.Campaigns.LiveCounts(v.ctx(), id)
		if err != nil {
			return err
		}
		rc := http.NewResponseController(v.w)
		// The server's write timeout is for ordinary answers; a stream
		// lives until the client leaves.
		if err := rc.SetWriteDeadline(time.Time{}); err != nil {
			p.logger(v).Debug("live: clear write deadline", "err", err)
		}
		h := v.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("X-Accel-Buffering", "no")
		v.w.WriteHeader(http.StatusOK)
		ctx := v.ctx()
		send := func(c *campaign.LiveCounts) error {
			b, _ := json.Marshal(c)
			if _, err := fmt.Fprintf(v.w, "event: counts\ndata: %s\n\n", b); err != nil {
				return err
			}
			return rc.Flush()
		}
		if err := send(counts); err != nil {
			return nil
		}
		tick := time.NewTicker(liveEvery)
		defer tick.Stop()
		end := time.NewTimer(liveFor)
		defer end.Stop()
		idle := 0
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-end.C:
				return nil
			case <-tick.C:
			}
			next, err := p.deps.Campaigns.LiveCounts(ctx, id)
			if err != nil {
				if ctx.Err() == nil {
					p.logger(v).Warn("live counts", "err", err)
				}
				return nil
			}
			if *next == *counts {
				// A comment now and then finds a client that left
				// without closing, and keeps proxies from timing out.
				if idle++; idle%10 == 0 {
					if _, err := fmt.Fprint(v.w, ": idle\n\n"); err != nil || rc.Flush() != nil {
						return nil
					}
				}
				continue
			}
			counts, idle = next, 0
			if err := send(counts); err != nil {
				return nil
			}
		}
	})
}
