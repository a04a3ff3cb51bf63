package gate

import (
	"fmt"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/ticket"
)

func TestGateCheck(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	staff := Settings{Reentry: ReentrySingle, StaffTicketTypeIDs: []string{"tty_staff"}}
	none := DefaultSettings("evt_x")
	for _, tc := range []struct {
		name string
		g    Gate
		st   Settings
		typ  string
		want fault.Code
	}{
		{"any ticket at an open main gate", Gate{Kind: KindMain}, none, "tty_a", ""},
		{"listed type", Gate{Kind: KindVIP, TicketTypeIDs: []string{"tty_vip"}}, none, "tty_vip", ""},
		{"unlisted type", Gate{Kind: KindVIP, TicketTypeIDs: []string{"tty_vip"}}, none, "tty_a", fault.WrongGate},
		{"badge passes a VIP gate", Gate{Kind: KindVIP, TicketTypeIDs: []string{"tty_vip"}}, staff, "tty_staff", ""},
		{"staff gate refuses guests", Gate{Kind: KindStaff}, staff, "tty_a", fault.WrongGate},
		{"staff gate admits badges", Gate{Kind: KindStaff}, staff, "tty_staff", ""},
		{"staff gate without badge types", Gate{Kind: KindStaff}, none, "tty_a", ""},
		{"before opening", Gate{Kind: KindMain, OpensAt: &later}, none, "tty_a", fault.GateClosed},
		{"after closing", Gate{Kind: KindMain, ClosesAt: &earlier}, none, "tty_a", fault.GateClosed},
		{"within hours", Gate{Kind: KindMain, OpensAt: &earlier, ClosesAt: &later}, none, "tty_a", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fault.CodeOf(tc.g.Check(tc.st, tc.typ, now)); got != tc.want {
				t.Fatalf("Check = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	for err, want := range map[error]fault.Code{
		nil: "", ticket.ErrNotYetValid: fault.NotValidYet, ticket.ErrExpired: fault.InvalidTicket,
		ticket.ErrMalformed: fault.InvalidTicket, ticket.ErrUnknownKey: fault.InvalidTicket, ticket.ErrBadSignature: fault.InvalidTicket,
		fmt.Errorf("wrapped: %w", ticket.ErrMalformed): fault.InvalidTicket,
	} {
		if got := fault.CodeOf(Verdict(err)); got != want {
			t.Errorf("Verdict(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestEstimateQueue(t *testing.T) {
	// ρ = 0.5 at 15/min: Wq = 0.5 / (2·15·0.5) min = 2 s, Lq = 7.5·(1/30) = 0.25.
	q, w, sat := EstimateQueue(7.5, 15)
	if q != 0.25 || w != 2 || sat {
		t.Fatalf("EstimateQueue(7.5, 15) = %v, %v, %v", q, w, sat)
	}
	if _, _, sat := EstimateQueue(20, 15); !sat {
		t.Fatal("20/min at a 15/min gate is not saturated")
	}
	if q, w, _ := EstimateQueue(0, 15); q != 0 || w != 0 {
		t.Fatal("no arrivals, yet a queue")
	}
}
