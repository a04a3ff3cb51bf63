package waitroom

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Once a room has opened and buyers have joined it, its opening cannot move:
// every place follows from it, so a new opening would send admitted buyers
// back to waiting and hand new arrivals places already used up (expired at
// once, never admitted). Before the opening, or with nobody queued, it may
// move; sending the same opening again is not a move.
func TestOpeningCannotMoveOnceBuyersJoined(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Service, c *clock) {
		ctx := db.WithTenant(context.Background(), "ten_test")
		ev := room(t)
		cfg := Config{Enabled: true, AdmitPerMinute: 60, MaxActive: 100, ActiveTTL: 600}
		configure(t, s, ev, cfg)
		var tokens []string
		for i := range 3 {
			st, err := s.Join(ctx, ev, fmt.Sprintf("buyer-%d", i))
			if err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, st.Token)
			c.add(time.Second)
		}
		for i, tok := range tokens {
			if st, err := s.Status(ctx, tok); err != nil || st.Status != StatusActive {
				t.Fatalf("buyer %d before: %+v, %v", i, st, err)
			}
		}

		opened, err := s.Room(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		later := cfg
		later.OpensAt = c.now().Add(time.Hour)
		if _, err := s.Configure(ctx, ev, later); !fault.Is(err, fault.InvalidTransition) {
			t.Fatalf("moving an opening that buyers joined after: %v, want invalid_transition", err)
		}
		// The same opening, or none, changes the rest of the room.
		same := cfg
		same.OpensAt, same.AdmitPerMinute = opened.OpensAt, 120
		if _, err := s.Configure(ctx, ev, same); err != nil {
			t.Fatalf("the same opening again: %v", err)
		}
		cfg.MaxActive = 200
		configure(t, s, ev, cfg)

		late, err := s.Join(ctx, ev, "late-buyer")
		if err != nil {
			t.Fatal(err)
		}
		c.add(2 * time.Second)
		for i, tok := range append(tokens, late.Token) {
			if st, err := s.Status(ctx, tok); err != nil || st.Status != StatusActive {
				t.Fatalf("buyer %d after the refused move: %+v, %v", i, st, err)
			}
		}

		// A room that has not opened yet may move, and so may an open one
		// nobody has joined.
		pending := room(t)
		cfg.OpensAt = c.now().Add(time.Hour)
		configure(t, s, pending, cfg)
		pre, err := s.Join(ctx, pending, "early")
		if err != nil {
			t.Fatal(err)
		}
		cfg.OpensAt = c.now().Add(2 * time.Hour)
		configure(t, s, pending, cfg)
		c.add(2*time.Hour + time.Second)
		if st, err := s.Status(ctx, pre.Token); err != nil || st.Status != StatusActive {
			t.Fatalf("an early arrival after the opening moved: %+v, %v", st, err)
		}
		empty := room(t)
		cfg.OpensAt = time.Time{}
		configure(t, s, empty, cfg)
		c.add(time.Minute)
		cfg.OpensAt = c.now().Add(time.Hour)
		configure(t, s, empty, cfg)
	})
}
