// Package waitroom is the virtual waiting room in front of a flash sale.
//
// Every arrival gets a sequence number inside a signed token. The room keeps
// one frontier per event — "ranks up to F are admitted" — that advances at
// admit_per_minute and never past the free slots under max_active. Whether a
// token is admitted is a comparison of its rank with F, so status checks cost
// almost nothing and never touch the database. The frontier is advanced
// lazily by whichever status check (or join) comes first after it is due:
// admission never waits for a scheduler to have run.
//
// Arrivals before the sale opens are shuffled at the opening with a keyed
// pseudo-random permutation; after that it is strictly first come, first
// served. The state lives in process memory on one node and in Redis when
// several nodes share the room.
package waitroom

import (
	"math"
	"time"
)

// Config is an event's waiting room.
type Config struct {
	Enabled        bool      `json:"enabled" db:"enabled"`
	AdmitPerMinute int       `json:"admit_per_minute" db:"admit_per_minute" minimum:"1" maximum:"1000000"`
	MaxActive      int       `json:"max_active" db:"max_active" minimum:"1" maximum:"10000000"`
	ActiveTTL      int       `json:"active_ttl_seconds" db:"active_ttl_seconds" minimum:"10" maximum:"86400"`
	OpensAt        time.Time `json:"opens_at,omitempty" db:"opens_at" doc:"When the sale opens; earlier arrivals are shuffled fairly at this moment. Default: when the room was enabled."`
}

func (c Config) ttl() time.Duration { return time.Duration(c.ActiveTTL) * time.Second }

// state is the shared state of one room: how many arrived before and after
// the opening, the frontier, and the frontier's recent history, from which
// each rank's admission time and the number of active tokens follow.
type state struct {
	// F is the frontier: ranks 1..F are admitted.
	F int64 `json:"f"`
	// Carry is the fraction of a rank the rate has earned but not admitted.
	Carry float64 `json:"c"`
	// At is when F was last advanced (unix milliseconds).
	At int64 `json:"at"`
	// History holds (unix ms, F) samples, oldest first, trimmed to the
	// active window plus one sample before it.
	History []sample `json:"h"`
	// Full says that the last advance left no active slot free.
	Full bool `json:"full,omitempty"`
}

type sample struct {
	At int64 `json:"t"`
	F  int64 `json:"f"`
}

// counts are the arrivals: before the opening (frozen once it passes) and
// after it.
type counts struct {
	Pre, Post int64
}

func (c counts) total() int64 { return c.Pre + c.Post }

// knows reports whether the counts include the token's arrival.
func (c counts) knows(t *Token) bool {
	switch {
	case t == nil:
		return true
	case t.Pre:
		return c.Pre >= t.Seq
	default:
		return c.Post >= t.Seq
	}
}

// rank places an arrival in the admission order: pre-opening arrivals by
// their shuffled place, later ones after all of them in arrival order.
func rank(seq int64, pre bool, c counts, shuffle func(seq, n int64) int64) int64 {
	if pre {
		return shuffle(seq-1, c.Pre) + 1
	}
	return c.Pre + seq
}

// admittedAt returns when the frontier first reached r, and false when r is
// not admitted or was admitted before the retained history.
func (s *state) admittedAt(r int64) (int64, bool) {
	if r > s.F {
		return 0, false
	}
	for _, h := range s.History {
		if h.F >= r {
			return h.At, true
		}
	}
	return 0, false
}

// fAt returns the frontier as it was at time t (unix ms).
func (s *state) fAt(t int64) int64 {
	f := int64(0)
	for _, h := range s.History {
		if h.At > t {
			break
		}
		f = h.F
	}
	return f
}

// advance moves the frontier to now: by the rate since the last advance,
// never past the free active slots, never past the arrivals. completed
// returns how many tokens admitted at or after a time have finished their
// purchase (their slots are free again).
func (s *state) advance(cfg Config, now time.Time, c counts, completed func(since int64) int64) {
	nowMs := now.UnixMilli()
	opens := cfg.OpensAt.UnixMilli()
	if nowMs < opens || !cfg.Enabled {
		return
	}
	last := max(s.At, opens)
	if s.At == 0 {
		// The first admission happens at the opening itself.
		s.Carry = 1
	}
	if nowMs > last {
		s.Carry += float64(cfg.AdmitPerMinute) * float64(nowMs-last) / 60000
	}
	s.At = nowMs
	window := nowMs - cfg.ttl().Milliseconds()
	active := s.F - s.fAt(window) - completed(window)
	free := int64(cfg.MaxActive) - active
	step := int64(math.Floor(s.Carry))
	step = min(step, max(free, 0), c.total()-s.F)
	if step < 0 {
		step = 0
	}
	s.Full = free-step <= 0
	s.Carry -= float64(step)
	// Unused rate does not pile up into a burst later: at most one
	// minute's worth (or one rank) stays earned.
	s.Carry = min(s.Carry, max(float64(cfg.AdmitPerMinute), 1))
	if step > 0 {
		s.F += step
		s.History = append(s.History, sample{At: nowMs, F: s.F})
	}
	s.trim(window - 60000)
}

// trim drops history older than the cut, keeping the newest sample before it
// so that fAt stays right at the window's edge.
func (s *state) trim(cut int64) {
	i := 0
	for i+1 < len(s.History) && s.History[i+1].At <= cut {
		i++
	}
	s.History = s.History[i:]
}

// rate is the recent admission rate in ranks per second, for ETAs: the
// configured rate, or less when full active slots held admission back.
// While every slot is taken and no minute of admissions says how fast they
// free (the first minute, or a minute without any), it is their turnover:
// at worst each slot frees active_ttl_seconds after its admission.
func (s *state) rate(cfg Config, now time.Time) float64 {
	configured := float64(cfg.AdmitPerMinute) / 60
	turnover := min(configured, float64(cfg.MaxActive)/float64(max(cfg.ActiveTTL, 1)))
	nowMs := now.UnixMilli()
	from := nowMs - 60000
	if from < cfg.OpensAt.UnixMilli() {
		if s.Full {
			return turnover
		}
		return configured
	}
	observed := float64(s.F-s.fAt(from)) / 60
	switch {
	case observed > 0 && observed < configured:
		return observed
	case observed == 0 && s.Full:
		return turnover
	}
	return configured
}
