package campaign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/usher-events/usher/internal/fault"
)

// Game types.
const (
	GameNone     = "none"
	GameOX       = "ox"
	GameQuiz     = "quiz"
	GameRoulette = "roulette"
)

// Game is a campaign's game as the organizer set it up. The answers stay on
// the server: participants see PublicGame.
type Game struct {
	Type string `json:"type" enum:"none,ox,quiz,roulette" doc:"The kind of game. PUT /v1/campaigns/{campaign_id} cannot change it once anyone has played, nor to or from none once anyone has taken part (409 game_locked); questions and segments may change at any time, and results already decided keep what they showed."`
	// Questions of an ox or quiz game.
	Questions []Question `json:"questions,omitempty"`
	// PassMark is how many answers must be right to succeed (ox, quiz);
	// zero means all of them.
	PassMark int `json:"pass_mark,omitempty" minimum:"0"`
	// Gift is the name of the gift a success at ox or quiz wins, if any.
	Gift string `json:"gift,omitempty" maxLength:"200"`
	// Segments of a roulette wheel.
	Segments []Segment `json:"segments,omitempty"`
}

// Question is one ox or quiz question with its right answer.
type Question struct {
	Question string `json:"question" maxLength:"1000"`
	// Choices offered for a quiz question; empty for free text and for ox.
	Choices []string `json:"choices,omitempty"`
	// Answer is "O" or "X" for ox, the right choice (or text) for quiz.
	Answer string `json:"answer" maxLength:"500"`
}

// Segment is one slice of a roulette wheel.
type Segment struct {
	Label  string `json:"label" maxLength:"200"`
	Weight int    `json:"weight" minimum:"1" maximum:"1000000"`
	// Gift names the gift this segment wins; empty means "no win". A
	// segment whose gift is out of stock (or not created yet) cannot come up.
	Gift string `json:"gift,omitempty" maxLength:"200"`
}

// PublicGame is what a participant sees of the game: no answers.
type PublicGame struct {
	Type      string           `json:"type"`
	Questions []PublicQuestion `json:"questions,omitempty"`
	Segments  []string         `json:"segments,omitempty" doc:"Labels of the roulette segments."`
	// Available says, per segment, whether it can come up now.
	Available []bool `json:"segments_available,omitempty" doc:"Per roulette segment, in order: whether it can come up now (false when its gift is out of stock or does not exist)."`
}

// PublicQuestion is a question without its answer.
type PublicQuestion struct {
	Question string   `json:"question"`
	Choices  []string `json:"choices,omitempty"`
}

// Public returns the participant's view of the game.
func (g Game) Public() PublicGame {
	p := PublicGame{Type: g.Type}
	for _, q := range g.Questions {
		p.Questions = append(p.Questions, PublicQuestion{Question: q.Question, Choices: q.Choices})
	}
	for _, s := range g.Segments {
		p.Segments = append(p.Segments, s.Label)
	}
	return p
}

// segmentAvailable tells whether a roulette segment can come up, given the
// campaign's gifts by name: a "no win" segment always can, a gift's segment
// only while the gift has stock left. The spin and the wheel participants
// see both ask it.
func segmentAvailable(sg Segment, gifts map[string]Gift) bool {
	if sg.Gift == "" {
		return true
	}
	g, ok := gifts[sg.Gift]
	return ok && g.Available > 0
}

// giftsByName indexes a campaign's gifts by name, as segments name them.
func giftsByName(gifts []Gift) map[string]Gift {
	out := make(map[string]Gift, len(gifts))
	for _, g := range gifts {
		out[g.Name] = g
	}
	return out
}

// validate checks the game settings, adding per-field errors to c.
func (g *Game) validate(c *fault.Check) {
	switch g.Type {
	case GameNone:
		c.Add(len(g.Questions) > 0 || len(g.Segments) > 0, "game", "a game of type none has no questions or segments")
	case GameOX, GameQuiz:
		c.Add(len(g.Questions) == 0, "game.questions", "must list at least one question")
		c.Add(len(g.Questions) > 100, "game.questions", "must list at most 100 questions")
		c.Add(len(g.Segments) > 0, "game.segments", "only a roulette has segments")
		c.Add(g.PassMark < 0 || g.PassMark > len(g.Questions), "game.pass_mark", "must be between 0 (all) and the number of questions")
		for i, q := range g.Questions {
			f := fmt.Sprintf("game.questions[%d]", i)
			c.Add(strings.TrimSpace(q.Question) == "", f+".question", "must not be empty")
			if g.Type == GameOX {
				a := strings.ToUpper(strings.TrimSpace(q.Answer))
				c.Add(a != "O" && a != "X", f+".answer", `must be "O" or "X"`)
				c.Add(len(q.Choices) > 0, f+".choices", "an ox question has no choices")
				continue
			}
			c.Add(strings.TrimSpace(q.Answer) == "", f+".answer", "must not be empty")
			if len(q.Choices) > 0 {
				found := false
				for _, ch := range q.Choices {
					found = found || sameAnswer(ch, q.Answer)
				}
				c.Add(!found, f+".answer", "must be one of the choices")
			}
		}
	case GameRoulette:
		c.Add(len(g.Segments) < 2, "game.segments", "a roulette needs at least two segments")
		c.Add(len(g.Segments) > 100, "game.segments", "must list at most 100 segments")
		c.Add(len(g.Questions) > 0, "game.questions", "a roulette has no questions")
		c.Add(g.Gift != "", "game.gift", "a roulette names gifts per segment")
		for i, s := range g.Segments {
			f := fmt.Sprintf("game.segments[%d]", i)
			c.Add(strings.TrimSpace(s.Label) == "", f+".label", "must not be empty")
			c.Add(s.Weight <= 0, f+".weight", "must be greater than 0")
		}
	default:
		c.Add(true, "game.type", "must be one of none, ox, quiz, roulette")
	}
}

func sameAnswer(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// score counts right answers of an ox or quiz game and reports whether they
// reach the pass mark.
func (g Game) score(answers []string) (right int, pass bool) {
	for i, q := range g.Questions {
		if i < len(answers) && sameAnswer(answers[i], q.Answer) {
			right++
		}
	}
	mark := g.PassMark
	if mark == 0 {
		mark = len(g.Questions)
	}
	return right, right >= mark
}

// spin picks a roulette segment among those allowed, weighted, from the
// seed: HMAC-SHA256(seed, attempt) read as a number in [0, 2^64), reduced
// to the total weight. It returns the segment index and the drawn value, or
// -1 when no segment may come up.
func (g Game) spin(seed []byte, attempt uint64, allowed func(Segment) bool) (int, uint64) {
	total := uint64(0)
	for _, s := range g.Segments {
		if allowed(s) {
			total += uint64(s.Weight)
		}
	}
	if total == 0 {
		return -1, 0
	}
	v := uniform(seed, attempt, total)
	for i, s := range g.Segments {
		if !allowed(s) {
			continue
		}
		if v < uint64(s.Weight) {
			return i, v
		}
		v -= uint64(s.Weight)
	}
	return -1, 0 // unreachable: v < total
}

// uniform returns a number in [0, n) derived from HMAC-SHA256(seed, counter),
// without modulo bias: values from the incomplete last block of 2^64 are
// rejected and the next sub-counter is tried.
func uniform(seed []byte, counter, n uint64) uint64 {
	limit := ^uint64(0) - (^uint64(0)%n+1)%n // largest multiple of n, minus 1
	for sub := uint64(0); ; sub++ {
		mac := hmac.New(sha256.New, seed)
		var msg [16]byte
		binary.BigEndian.PutUint64(msg[:8], counter)
		binary.BigEndian.PutUint64(msg[8:], sub)
		mac.Write(msg[:])
		x := binary.BigEndian.Uint64(mac.Sum(nil)[:8])
		if x <= limit {
			return x % n
		}
	}
}
