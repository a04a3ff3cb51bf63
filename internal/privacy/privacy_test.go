package privacy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/fault"
)

func TestPersonFromRequest(t *testing.T) {
	p, err := person(Request{Email: "  Kim@Example.COM ", Phone: "010-1234-5678"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Email != "kim@example.com" || p.Phone != "+821012345678" {
		t.Errorf("person = %+v", p)
	}
	for _, in := range []Request{{}, {Email: "nobody"}, {Phone: "call me"}, {Email: "a b@c.d"}} {
		if _, err := person(in); !fault.Is(err, fault.Validation) {
			t.Errorf("person(%+v): %v, want validation_failed", in, err)
		}
	}
}

// ScrubJSON blanks the objects that are about the person and the person's
// email or phone anywhere else, and leaves everyone else alone.
func TestScrubJSON(t *testing.T) {
	p := &Person{Email: "kim@example.com", Phone: "+821012345678"}
	doc := `{"order_id":"ord_1","total":5000,
		"buyer":{"name":"김민지","email":"KIM@example.com","phone":"+821012345678"},
		"attendees":[{"name":"김민지","email":"kim@example.com"},{"name":"Lee","email":"lee@example.com"}],
		"note":"+821012345678","cc":["kim@example.com","lee@example.com"]}`
	out, changed := ScrubJSON([]byte(doc), p)
	if !changed {
		t.Fatal("nothing changed")
	}
	s := string(out)
	for _, gone := range []string{"김민지", "kim@example.com", "KIM@", "+821012345678"} {
		if strings.Contains(s, gone) {
			t.Errorf("%q is still in %s", gone, s)
		}
	}
	for _, kept := range []string{"Lee", "lee@example.com", "ord_1", "5000"} {
		if !strings.Contains(s, kept) {
			t.Errorf("%q was removed from %s", kept, s)
		}
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("not JSON after scrubbing: %v", err)
	}
	if _, changed := ScrubJSON([]byte(`{"buyer":{"name":"Lee","email":"lee@example.com"}}`), p); changed {
		t.Error("a document about someone else changed")
	}
	if out, changed := ScrubJSON([]byte("not json kim@example.com"), p); changed || string(out) != "not json kim@example.com" {
		t.Error("a document that is not JSON changed")
	}
}

// A document that names only one of the person's records is about them
// too: their names are blanked in it, and nowhere else.
func TestScrubJSONByRecordAndName(t *testing.T) {
	p := &Person{Email: "kim@example.com"}
	p.Note("order", "ord_1")
	p.NoteNames("김민지", "A", " 김민지 ")
	if len(p.Names) != 1 {
		t.Fatalf("names noted: %q (one-letter and repeated names are left out)", p.Names)
	}
	out, changed := ScrubJSON([]byte(`{"order_id":"ord_1","tickets":[{"id":"tkt_1","attendee_name":"김민지"},{"id":"tkt_2","attendee_name":"Lee"}]}`), p)
	if !changed || strings.Contains(string(out), "김민지") || !strings.Contains(string(out), "Lee") || !strings.Contains(string(out), "tkt_1") {
		t.Errorf("scrubbed by record: changed %v, %s", changed, out)
	}
	other := `{"order_id":"ord_2","tickets":[{"attendee_name":"김민지"}]}`
	if out, changed := ScrubJSON([]byte(other), p); changed || string(out) != other {
		t.Errorf("a namesake's document changed: %s", out)
	}
}

func TestLikeFindsAddressesAndRecords(t *testing.T) {
	p := &Person{Email: "a_b@example.com", Phone: "+821012345678"}
	p.Note("order", "ord_1")
	cond, args := Like("payload", p)
	if strings.Count(cond, "LIKE") != 3 || len(args) != 3 {
		t.Fatalf("Like = %s %v", cond, args)
	}
	if args[0] != `%a\_b@example.com%` {
		t.Errorf("the email's pattern %q does not escape _", args[0])
	}
}
