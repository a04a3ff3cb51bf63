// Package sim is the gate rehearsal behind `usher simulate gates`: a
// discrete-event queueing simulation that turns an arrival curve and a gate
// plan into predicted queue lengths and waits per gate over time.
//
// Each gate is one lane with a deterministic service time (60 / rate per
// gate seconds); an arriving attendee joins the lane that frees up first,
// which makes the whole entrance an M/D/c-like queue (G/D/c with the curve's
// arrivals).
package sim

import (
	"container/heap"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Presets are named arrival curves.
var Presets = map[string]string{
	// wave: the planning documents' event day: most people in the first hour.
	"wave":    "0-30:40%,30-60:50%,60-90:10%",
	"uniform": "0-60:100%",
	"peak":    "0-15:10%,15-30:60%,30-45:25%,45-60:5%",
}

// Segment is a span of the arrival curve with its share of the attendees.
type Segment struct {
	From, To time.Duration
	Share    float64 // 0–1
}

// ParseCurve reads "0-30:40%,30-60:50%,60-90:10%" (minutes and
// percentages) or a preset name. The shares must add up to 100 %.
func ParseCurve(s string) ([]Segment, error) {
	if p, ok := Presets[strings.TrimSpace(s)]; ok {
		s = p
	}
	var out []Segment
	total := 0.0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		span, pct, ok := strings.Cut(part, ":")
		from, to, ok2 := strings.Cut(span, "-")
		if !ok || !ok2 {
			return nil, fmt.Errorf("arrival curve %q: want segments like 0-30:40%%", part)
		}
		f, err1 := strconv.ParseFloat(strings.TrimSpace(from), 64)
		t, err2 := strconv.ParseFloat(strings.TrimSpace(to), 64)
		p, err3 := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(pct), "%"), 64)
		if err1 != nil || err2 != nil || err3 != nil || f < 0 || t <= f || p < 0 || t > 24*60 {
			return nil, fmt.Errorf("arrival curve %q: want minutes from-to (to after from, within a day) and a percentage", part)
		}
		total += p
		out = append(out, Segment{From: minutes(f), To: minutes(t), Share: p / 100})
	}
	if math.Abs(total-100) > 0.5 {
		return nil, fmt.Errorf("arrival curve: the percentages add up to %.1f%%, want 100%%", total)
	}
	return out, nil
}

func minutes(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }

// Plan is what to simulate.
type Plan struct {
	Attendees   int
	Gates       int
	RatePerGate float64 // check-ins per minute per gate
	Curve       []Segment
	// Even spaces arrivals evenly inside each segment instead of at random:
	// the deterministic case, exact enough to check by hand.
	Even bool
	Seed uint64
	// Bucket is the reporting interval (default 5 minutes).
	Bucket time.Duration
	// TargetWait is the average wait the plan must keep (default 3 minutes).
	TargetWait time.Duration
}

// GatePoint is one gate in one reporting interval.
type GatePoint struct {
	Queue   float64       // average queue length over the interval's sample points
	MaxWait time.Duration // longest wait of those who arrived in the interval
	AvgWait time.Duration
	Arrived int
}

// Point is one reporting interval.
type Point struct {
	At    time.Duration
	Gates []GatePoint
}

// Result is the simulation's forecast.
type Result struct {
	Plan     Plan
	Timeline []Point
	AvgWait  time.Duration
	P95Wait  time.Duration
	MaxWait  time.Duration
	// PerGateAvg is each gate's average wait.
	PerGateAvg []time.Duration
	Done       time.Duration // when the last attendee is through
	// MeetsTarget reports whether the average wait is within TargetWait.
	MeetsTarget bool
}

// Run simulates the plan.
func Run(p Plan) (*Result, error) {
	if p.Attendees <= 0 || p.Gates <= 0 || !(p.RatePerGate > 0) || len(p.Curve) == 0 {
		return nil, fmt.Errorf("simulate: need attendees, gates, a rate per gate and an arrival curve (each above zero)")
	}
	if p.Attendees > 10_000_000 || p.Gates > 10_000 {
		return nil, fmt.Errorf("simulate: at most 10,000,000 attendees and 10,000 gates")
	}
	if p.RatePerGate < 0.01 || p.RatePerGate > 6000 {
		return nil, fmt.Errorf("simulate: the rate per gate must be 0.01 to 6,000 check-ins per minute")
	}
	if p.Bucket <= 0 {
		p.Bucket = 5 * time.Minute
	}
	if p.Bucket < time.Second {
		return nil, fmt.Errorf("simulate: the reporting interval must be at least 1s")
	}
	if p.TargetWait <= 0 {
		p.TargetWait = 3 * time.Minute
	}
	arrivals := Arrivals(p)
	service := time.Duration(float64(time.Minute) / p.RatePerGate)
	type visit struct{ arrive, start time.Duration }
	perGate := make([][]visit, p.Gates)
	// free holds the lanes by the time they free up (then by number): the
	// next attendee joins the first, as a person picks the shortest line.
	free := make(lanes, p.Gates)
	for g := range free {
		free[g] = lane{g: g}
	}
	waits := make([]time.Duration, 0, len(arrivals))
	var done time.Duration
	for _, a := range arrivals {
		g := free[0].g
		start := max(a, free[0].free)
		free[0].free = start + service
		heap.Fix(&free, 0)
		done = max(done, start+service)
		perGate[g] = append(perGate[g], visit{a, start})
		waits = append(waits, start-a)
	}
	if rows := int64(done/p.Bucket) + 1; rows*int64(p.Gates) > 1_000_000 {
		return nil, fmt.Errorf("simulate: the forecast would have %d rows of %d gates; use a longer --interval", rows, p.Gates)
	}
	r := &Result{Plan: p, Done: done, PerGateAvg: make([]time.Duration, p.Gates)}
	var sum time.Duration
	for _, w := range waits {
		sum += w
	}
	r.AvgWait = sum / time.Duration(len(waits))
	sorted := slices.Clone(waits)
	slices.Sort(sorted)
	r.P95Wait = sorted[int(math.Ceil(0.95*float64(len(sorted))))-1]
	r.MaxWait = sorted[len(sorted)-1]
	for g, vs := range perGate {
		var s time.Duration
		for _, v := range vs {
			s += v.start - v.arrive
		}
		if len(vs) > 0 {
			r.PerGateAvg[g] = s / time.Duration(len(vs))
		}
	}
	const samples = 10
	// Each lane's visits are in order of arrival and, first come first
	// served, of start too: one cursor per lane walks them once, and the
	// queue at t is those arrived by t minus those started by t.
	next := make([]int, p.Gates)
	for at := time.Duration(0); at < done; at += p.Bucket {
		pt := Point{At: at, Gates: make([]GatePoint, p.Gates)}
		for g, vs := range perGate {
			gp := &pt.Gates[g]
			var ws time.Duration
			for ; next[g] < len(vs) && vs[next[g]].arrive < at+p.Bucket; next[g]++ {
				v := vs[next[g]]
				gp.Arrived++
				w := v.start - v.arrive
				ws += w
				gp.MaxWait = max(gp.MaxWait, w)
			}
			if gp.Arrived > 0 {
				gp.AvgWait = ws / time.Duration(gp.Arrived)
			}
			q := 0
			for k := 0; k < samples; k++ {
				t := at + p.Bucket*time.Duration(k)/samples
				arrived, _ := slices.BinarySearchFunc(vs, t, func(v visit, t time.Duration) int { return cmpLE(v.arrive, t) })
				started, _ := slices.BinarySearchFunc(vs, t, func(v visit, t time.Duration) int { return cmpLE(v.start, t) })
				q += arrived - started
			}
			gp.Queue = float64(q) / samples
		}
		r.Timeline = append(r.Timeline, pt)
	}
	r.MeetsTarget = r.AvgWait <= p.TargetWait
	return r, nil
}

// cmpLE orders a visit's time against t so that a binary search finds how
// many visits have that time at or before t.
func cmpLE(v, t time.Duration) int {
	if v <= t {
		return -1
	}
	return 1
}

// lane is one gate lane in the simulation's heap.
type lane struct {
	free time.Duration
	g    int
}

// lanes is a min-heap of lanes by free time, then gate number.
type lanes []lane

func (l lanes) Len() int { return len(l) }
func (l lanes) Less(i, j int) bool {
	return l[i].free < l[j].free || (l[i].free == l[j].free && l[i].g < l[j].g)
}
func (l lanes) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l *lanes) Push(x any)   { *l = append(*l, x.(lane)) }
func (l *lanes) Pop() any {
	old := *l
	x := old[len(old)-1]
	*l = old[:len(old)-1]
	return x
}

// Arrivals returns the arrival times of the plan's attendees, sorted.
func Arrivals(p Plan) []time.Duration {
	rng := rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15))
	out := make([]time.Duration, 0, p.Attendees)
	assigned := 0
	for i, s := range p.Curve {
		n := int(math.Round(s.Share * float64(p.Attendees)))
		if i == len(p.Curve)-1 {
			n = p.Attendees - assigned
		}
		n = max(0, min(n, p.Attendees-assigned))
		assigned += n
		span := s.To - s.From
		for k := 0; k < n; k++ {
			if p.Even {
				out = append(out, s.From+span*time.Duration(k)/time.Duration(n))
			} else {
				out = append(out, s.From+time.Duration(rng.Int64N(int64(span))))
			}
		}
	}
	slices.Sort(out)
	return out
}

// Print writes the forecast as a table, one row per interval, and the verdict.
func (r *Result) Print(w io.Writer) {
	p := r.Plan
	fmt.Fprintf(w, "Gate simulation: %d attendees, %d gates at %.1f/min each (capacity %.0f/min)\n",
		p.Attendees, p.Gates, p.RatePerGate, p.RatePerGate*float64(p.Gates))
	fmt.Fprintf(w, "%-8s", "minute")
	for g := range p.Gates {
		fmt.Fprintf(w, "  gate %-2d queue  wait", g+1)
	}
	fmt.Fprintln(w)
	for _, pt := range r.Timeline {
		fmt.Fprintf(w, "%-8s", fmt.Sprintf("%3.0f", pt.At.Minutes()))
		for _, gp := range pt.Gates {
			fmt.Fprintf(w, "  %13.1f %5s", gp.Queue, short(gp.AvgWait))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "average wait %s, 95th percentile %s, longest %s; last attendee through at minute %.0f\n",
		short(r.AvgWait), short(r.P95Wait), short(r.MaxWait), r.Done.Minutes())
	verdict := "HOLDS"
	if !r.MeetsTarget {
		verdict = "MISSED"
	}
	fmt.Fprintf(w, "target: average wait ≤ %s — %s\n", short(p.TargetWait), verdict)
}

func short(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.0fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fm", d.Minutes())
}
