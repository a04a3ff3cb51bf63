package sim

import (
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
