package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/fault"
)

// The game editor is three text boxes, one line per question or segment,
// with parts split by "|": it works without a script, and an organizer can
// paste a quiz from a spreadsheet. The service validates the result and its
// per-field messages name the line ("game.questions[2].answer").
//
//	ox:       question | O or X
//	quiz:     question | answer | choice; choice; choice   (choices optional)
//	roulette: label | weight | gift                        (gift optional)

// gameForm is the game part of the campaign form as typed.
type gameForm struct {
	Type, Questions, PassMark, Gift, Segments string
}

// lines splits a text box into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// parts splits a line at "|" into n trimmed parts (missing ones empty).
func parts(line string, n int) []string {
	ps := strings.SplitN(line, "|", n)
	for len(ps) < n {
		ps = append(ps, "")
	}
	for i := range ps {
		ps[i] = strings.TrimSpace(ps[i])
	}
	return ps
}

// game turns the form into the service's game; only what cannot be read
// as text is an error here, the rules are the service's.
func (f gameForm) game() (campaign.Game, error) {
	g := campaign.Game{Type: f.Type}
	var c fault.Check
	if s := strings.TrimSpace(f.PassMark); s != "" {
		n, err := strconv.Atoi(s)
		c.Add(err != nil, "game.pass_mark", "must be a whole number")
		g.PassMark = n
	}
	switch f.Type {
	case campaign.GameOX, campaign.GameQuiz:
		g.Gift = strings.TrimSpace(f.Gift)
		for _, l := range lines(f.Questions) {
			ps := parts(l, 3)
			q := campaign.Question{Question: ps[0], Answer: ps[1]}
			if f.Type == campaign.GameQuiz && ps[2] != "" {
				for _, ch := range strings.Split(ps[2], ";") {
					if ch = strings.TrimSpace(ch); ch != "" {
						q.Choices = append(q.Choices, ch)
					}
				}
			}
			g.Questions = append(g.Questions, q)
		}
	case campaign.GameRoulette:
		for i, l := range lines(f.Segments) {
			ps := parts(l, 3)
			w, err := strconv.Atoi(ps[1])
			c.Add(err != nil, fmt.Sprintf("game.segments[%d].weight", i), "must be a whole number")
			g.Segments = append(g.Segments, campaign.Segment{Label: ps[0], Weight: w, Gift: ps[2]})
		}
	}
	return g, c.Err()
}

// formOfGame shows a stored game in the editor's text form.
func formOfGame(g campaign.Game) gameForm {
	f := gameForm{Type: g.Type, Gift: g.Gift}
	if g.PassMark > 0 {
		f.PassMark = strconv.Itoa(g.PassMark)
	}
	var b strings.Builder
	for _, q := range g.Questions {
		b.WriteString(q.Question + " | " + q.Answer)
		if len(q.Choices) > 0 {
			b.WriteString(" | " + strings.Join(q.Choices, "; "))
		}
		b.WriteString("\n")
	}
	f.Questions = b.String()
	b.Reset()
	for _, s := range g.Segments {
		b.WriteString(s.Label + " | " + strconv.Itoa(s.Weight))
		if s.Gift != "" {
			b.WriteString(" | " + s.Gift)
		}
		b.WriteString("\n")
	}
	f.Segments = b.String()
	return f
}
