package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
)

// landingPage is the content of a campaign's public landing page.
type landingPage struct {
	Campaign    *campaign.PublicCampaign
	Period      string
	Departments []campaign.Department
	Channel     string
	Action      string
	Open        bool
}

// landing loads what the landing page shows.
func (p *Pages) landing(v *visit) (*landingPage, error) {
	id := v.r.PathValue("campaign_id")
	c, err := p.deps.Campaigns.GetPublicCampaign(v.ctx(), id)
	if err != nil {
		return nil, err
	}
	deps, err := p.deps.Campaigns.DepartmentsOf(v.ctx(), id)
	if err != nil {
		return nil, err
	}
	ch := strings.ToLower(strings.TrimSpace(v.r.URL.Query().Get("ch")))
	action := "/c/" + url.PathEscape(c.ID)
	if ch != "" && len(ch) <= 40 {
		action += "?ch=" + url.QueryEscape(ch)
	} else {
		ch = ""
	}
	return &landingPage{Campaign: c, Period: kst(c.StartsAt) + " ~ " + kst(c.EndsAt), Departments: deps, Channel: ch,
		Action: action, Open: c.Status == campaign.StatusActive}, nil
}

// Landing is a campaign's public page: what it is, and the form to join.
// The channel comes from the link's ?ch=.
func (p *Pages) Landing(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		data, err := p.landing(v)
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "campaign_landing", &view{Title: "land.title", Data: data, Form: map[string]string{}})
	})
}

// Participate records the landing form's participation and goes on to the
// participant's own page (number, game, result).
func (p *Pages) Participate(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		data, err := p.landing(v)
		if err != nil {
			return err
		}
		f := v.r.PostForm
		consent := f.Get("consent") == "1"
		in := campaign.ParticipateInput{Name: strings.TrimSpace(f.Get("name")), Phone: strings.TrimSpace(f.Get("phone")),
			Channel: data.Channel, School: f.Get("school"), Department: f.Get("department"), Consent: &consent, Website: f.Get("website")}
		form := map[string]string{"name": in.Name, "phone": in.Phone, "school": in.School, "department": in.Department}
		if consent {
			form["consent"] = "1"
		}
		var c fault.Check
		c.Add(tooLong(in.Name, 100), "name", "is too long")
		c.Add(tooLong(in.Phone, 32), "phone", "is too long")
		c.Add(tooLong(in.School, 200), "school", "is too long")
		c.Add(tooLong(in.Department, 200), "department", "is too long")
		err = c.Err()
		if err == nil {
			err = p.deps.Campaigns.CheckParticipationLimit(v.ctx(), api.ClientIP(v.ctx()))
		}
		var pt *campaign.Participation
		if err == nil {
			pt, err = p.deps.Campaigns.Participate(v.ctx(), data.Campaign.ID, in, campaign.Meta{UserAgent: v.r.UserAgent(), IP: api.ClientIP(v.ctx())})
		}
		if err != nil {
			return p.campaignFailed(v, "campaign_landing", &view{Title: "land.title", Data: data, Form: form}, err)
		}
		http.Redirect(v.w, v.r, "/c/"+url.PathEscape(data.Campaign.ID)+"/p/"+url.PathEscape(pt.ID)+"?n="+strconv.Itoa(pt.Number), http.StatusSeeOther)
		return nil
	})
}

// playPage is the content of the participant's own page.
type playPage struct {
	Campaign *campaign.PublicCampaign
	Part     *campaign.ParticipantView
	Action   string
	// PlayAPI is the JSON address the roulette's script plays through.
	PlayAPI string
	Wheel   []wheelSlice
	// SoldOut is true when a slice of the wheel cannot come up.
	SoldOut bool
	// Questions are the game's questions, numbered for people.
	Questions []playQuestion
	// QuestionCount is how many there are, for the score.
	QuestionCount int
	// Bogus is true for the honeypot's pretend participation: it shows
	// the number and nothing else.
	Bogus bool
}

// playQuestion is a question with its place.
type playQuestion struct {
	campaign.PublicQuestion
	Index, Number int
}

// wheelSlice is one slice of the roulette drawn as SVG.
type wheelSlice struct {
	Path, Fill string
	// TX, TY place the label; Rotate turns it along the slice.
	TX, TY, Rotate string
	Label          string
	// Size is the label's font size, fitted to the slice; MarkSize the
	// sold-out mark's.
	Size, MarkSize string
	// Available is false for a segment that cannot come up (its gift is
	// out of stock): it is drawn grey and marked sold out.
	Available bool
}

var wheelColors = []string{"#f2545b", "#f9a03f", "#f6d55c", "#3caea3", "#20639b", "#7b5ea7", "#ed6a9a", "#5bc0eb"}

// soldOutFill is the colour of a slice that cannot come up.
const soldOutFill = "#b9bcc2"

// labelAngle is the rotation of a label placed along the radius at mid
// degrees clockwise from the top. Along the radius it reads outwards, which
// is upside down on the left half of the wheel; there it reads inwards
// instead, so that every label's angle is within ±90° of level.
func labelAngle(mid float64) float64 {
	a := mid - 90
	if a > 90 {
		a -= 180
	}
	return a
}

// The wheel's geometry in its viewBox: the centre, the radius, and the
// band between the hub and the rim that labels are fitted into.
const (
	wheelC, wheelR             = 110.0, 100.0
	labelInner, labelOuter     = 20.0, 95.0
	labelSize, labelMinSize    = 11.0, 7.0
	markScale                  = 0.8  // the sold-out mark's size, of the label's
	markGap                    = 1.35 // the mark's dy in campaign_play.html, in its ems
	labelLineEm, soldOutLineEm = 1.2, 1.2 + markGap*markScale
)

// textEm estimates how wide s is set, in ems: Hangul, CJK and other wide
// letters take a whole em, the rest about 0.6 (a proportional Latin face).
func textEm(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x1100 && (unicode.In(r, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana) || r >= 0xFF00 && r <= 0xFF60 || r >= 0x1F300) {
			w++
		} else {
			w += 0.6
		}
	}
	return w
}

// fitLabel fits a label along the radius of a slice whose half angle is
// half (radians): it is set no larger than labelSize, smaller as needed to
// lie between the hub and the rim and between the slice's edges, and cut
// with "…" when even labelMinSize is too large. mark is the sold-out mark
// set under it, or "". It returns the text, its size and the distance of
// its centre from the wheel's.
func fitLabel(label, mark string, half float64) (string, float64, float64) {
	spread := 1.0 // the distance to an edge, per unit of radius
	if half < math.Pi/2 {
		spread = math.Sin(half)
	}
	lines := labelLineEm
	if mark != "" {
		lines = soldOutLineEm
	}
	runes := []rune(label)
	for n := len(runes); ; n-- {
		text := string(runes[:n])
		if n < len(runes) {
			text += "…"
		}
		w := max(textEm(text), textEm(mark)*markScale)
		// Wide enough for the band, and, with the text's outer end at the
		// rim, tall enough at its inner end for the slice's width there.
		size := min(labelSize, (labelOuter-labelInner)/w, labelOuter*spread/(lines/2+w*spread))
		if size < labelMinSize && n > 1 {
			continue
		}
		// Short labels sit where they always did; one that would reach
		// the hub there, or be too tall for the slice at its inner end,
		// moves out until its outer end is at the rim.
		at := min(0.62*wheelR, labelOuter-w*size/2)
		if inner := at - w*size/2; inner < labelInner || inner*spread < size*lines/2 {
			at = labelOuter - w*size/2
		}
		return text, size, at
	}
}

// wheel draws equal slices, one per segment, clockwise from the top. The
// slices are equal rather than weighted because the weights (the odds) are
// the organizer's and stay on the server; the outcome comes from the
// server either way. available says per segment whether it can come up
// (missing entries count as available); mark is the sold-out mark, in the
// page's language.
func wheel(labels []string, available []bool, mark string) []wheelSlice {
	n := len(labels)
	out := make([]wheelSlice, n)
	point := func(deg, r float64) (float64, float64) {
		rad := (deg - 90) * math.Pi / 180
		return wheelC + r*math.Cos(rad), wheelC + r*math.Sin(rad)
	}
	for i, l := range labels {
		a0, a1 := float64(i)*360/float64(n), float64(i+1)*360/float64(n)
		x0, y0 := point(a0, wheelR)
		x1, y1 := point(a1, wheelR)
		large := 0
		if a1-a0 > 180 {
			large = 1
		}
		mid := (a0 + a1) / 2
		color := wheelColors[i%len(wheelColors)]
		if n%len(wheelColors) == 1 && i == n-1 && i > 0 {
			color = wheelColors[(i+1)%len(wheelColors)] // never the first slice's color beside it
		}
		ok := i >= len(available) || available[i]
		m := ""
		if !ok {
			color, m = soldOutFill, mark
		}
		text, size, at := fitLabel(l, m, math.Pi/float64(n))
		lx, ly := point(mid, at)
		out[i] = wheelSlice{
			Path: fmt.Sprintf("M%.2f %.2f L%.2f %.2f A%.0f %.0f 0 %d 1 %.2f %.2f Z", wheelC, wheelC, x0, y0, wheelR, wheelR, large, x1, y1),
			Fill: color,
			TX:   fmt.Sprintf("%.2f", lx), TY: fmt.Sprintf("%.2f", ly),
			Rotate:    fmt.Sprintf("rotate(%.2f %.2f %.2f)", labelAngle(mid), lx, ly),
			Label:     text,
			Size:      fmt.Sprintf("%.2f", size),
			MarkSize:  fmt.Sprintf("%.2f", size*markScale),
			Available: ok,
		}
	}
	return out
}

func (p *Pages) playData(v *visit) (*playPage, error) {
	cid, pid := v.r.PathValue("campaign_id"), v.r.PathValue("participation_id")
	c, err := p.deps.Campaigns.GetPublicCampaign(v.ctx(), cid)
	if err != nil {
		return nil, err
	}
	data := &playPage{Campaign: c, Action: "/c/" + url.PathEscape(cid) + "/p/" + url.PathEscape(pid),
		PlayAPI: "/v1/public/participations/" + url.PathEscape(pid) + "/play", QuestionCount: len(c.Game.Questions)}
	for i, q := range c.Game.Questions {
		data.Questions = append(data.Questions, playQuestion{PublicQuestion: q, Index: i, Number: i + 1})
	}
	if c.Game.Type == campaign.GameRoulette {
		data.Wheel = wheel(c.Game.Segments, c.Game.Available, translate(catalogs[v.lang], "play.soldout"))
		for _, sl := range data.Wheel {
			data.SoldOut = data.SoldOut || !sl.Available
		}
	}
	part, err := p.deps.Campaigns.GetParticipantView(v.ctx(), pid)
	if fault.Is(err, fault.NotFound) {
		// The honeypot answered a bot with a made-up participation; show
		// it its number so that it learns nothing.
		if n, nerr := strconv.Atoi(v.r.URL.Query().Get("n")); nerr == nil && n > 0 && strings.HasPrefix(pid, "par_") {
			data.Part, data.Bogus = &campaign.ParticipantView{ID: pid, CampaignID: cid, Number: n, Status: campaign.StatusPending}, true
			return data, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if part.CampaignID != c.ID {
		return nil, fault.New(fault.NotFound, "no participation %q in campaign %q", pid, cid)
	}
	data.Part = part
	if part.Questions > 0 {
		// The score is out of the questions the participant answered, not
		// those the game has since.
		data.QuestionCount = part.Questions
	}
	return data, nil
}

// PlayPage is the participant's own page: the participation number, then
// the game, then the result.
func (p *Pages) PlayPage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		data, err := p.playData(v)
		if err != nil {
			return err
		}
		return p.render(v, http.StatusOK, "campaign_play", &view{Title: "land.title", Data: data, Form: map[string]string{}})
	})
}

// Play plays the game from the page's form (without a script, or for ox
// and quiz) and shows the result.
func (p *Pages) Play(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		data, err := p.playData(v)
		if err != nil {
			return err
		}
		if data.Bogus {
			return p.render(v, http.StatusOK, "campaign_play", &view{Title: "land.title", Data: data})
		}
		var answers []string
		for i := range data.Campaign.Game.Questions {
			a := v.r.PostForm.Get("answer_" + strconv.Itoa(i))
			if tooLong(a, 500) {
				a = ""
			}
			answers = append(answers, a)
		}
		_, err = p.deps.Campaigns.Play(v.ctx(), data.Part.ID, campaign.PlayInput{Answers: answers})
		if err != nil && !fault.Is(err, fault.AlreadyPlayed) {
			return p.campaignFailed(v, "campaign_play", &view{Title: "land.title", Data: data, Form: map[string]string{}}, err)
		}
		// Played now or before: the page shows the stored result.
		http.Redirect(v.w, v.r, data.Action, http.StatusSeeOther)
		return nil
	})
}
