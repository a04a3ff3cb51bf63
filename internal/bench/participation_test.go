package bench

import (
	"testing"

	"github.com/usher-events/usher/internal/campaign"
)

// Every spelling the bench sends is one person to the server's phone
// normalization, and different people never collide.
func TestSpellingsAreOnePerson(t *testing.T) {
	seen := map[string]int{}
	for _, n := range []int{0, 1, 9999, 10000, 123456, 79_999_999} {
		var first string
		for i, s := range spellings(n) {
			e, ok := campaign.NormalizePhone(s)
			if !ok {
				t.Fatalf("person %d: %q is not a phone number", n, s)
			}
			if i == 0 {
				first = e
			} else if e != first {
				t.Fatalf("person %d: %q is %s, not %s", n, s, e, first)
			}
		}
		if other, dup := seen[first]; dup {
			t.Fatalf("persons %d and %d share %s", other, n, first)
		}
		seen[first] = n
	}
}

// A small in-process rehearsal: every person is accepted once, however
// many spellings of their number race each other.
func TestParticipationRehearsal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	res, err := Participation(t.Context(), ParticipationConfig{Participants: 400, Concurrency: 16, DuplicatePct: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Accepted != int64(res.People) || res.Duplicates != int64(res.Participants-res.People) || res.Limited != 0 {
		t.Fatalf("accepted %d of %d people, %d duplicates, %d limited, %d errors, %d twice, %d stored",
			res.Accepted, res.People, res.Duplicates, res.Limited, res.Errors, res.TwiceAccepted, res.Stored)
	}
}
