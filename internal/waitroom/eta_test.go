package waitroom

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// While every active slot is taken, admission waits for slots to free, not
// for the configured rate: the estimate follows the slots' turnover (each
// frees within active_ttl_seconds of its admission), before a minute of
// history exists and after a minute without any admission alike, instead
// of promising the next place within a second. With slots free it follows
// the configured rate.
func TestETAWhileTheSlotsAreFull(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := context.Background()
		ev := room(t)
		// Ten a second may come in, but only two at a time, for ten minutes each.
		configure(t, s, ev, Config{Enabled: true, AdmitPerMinute: 600, MaxActive: 2, ActiveTTL: 600, OpensAt: c.now()})
		var tokens []string
		for i := range 4 {
			st, err := s.Join(ctx, ev, fmt.Sprintf("client-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, st.Token)
		}
		c.add(time.Second)
		eta := func(when string, tok string) int64 {
			t.Helper()
			st, err := s.Status(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != StatusWaiting {
				t.Fatalf("%s: %+v, want waiting", when, st)
			}
			return st.ETASeconds
		}
		// Slots turn over at 2 per 600 s at worst: the third buyer (first in
		// line) may wait up to 300 s, the fourth 600 s.
		for _, when := range []string{"in the first minute", "after two minutes without an admission"} {
			if got := eta(when, tokens[2]); got < 60 {
				t.Errorf("%s the first in line is told %d s", when, got)
			}
			if a, b := eta(when, tokens[2]), eta(when, tokens[3]); b <= a {
				t.Errorf("%s the second in line is told %d s, the first %d s", when, b, a)
			}
			c.add(2 * time.Minute)
		}

		// A room with free slots admits at its rate: the estimate says so.
		free := room(t)
		configure(t, s, free, Config{Enabled: true, AdmitPerMinute: 60, MaxActive: 100, ActiveTTL: 600, OpensAt: c.now()})
		for i := range 5 {
			st, err := s.Join(ctx, free, fmt.Sprintf("client-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if i == 4 && (st.Status != StatusWaiting || st.ETASeconds != st.Position) {
				t.Fatalf("the fifth at one a second: %+v", st)
			}
		}
	})
}
