package web

import (
	"testing"

	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
)

// TestEventKeysBuiltFromValues checks the message keys the events and
// tickets templates build from values (statuses, kinds, methods), which
// the literal-key test cannot see.
func TestEventKeysBuiltFromValues(t *testing.T) {
	var keys []string
	for _, s := range []string{event.StatusDraft, event.StatusPublished, event.StatusSalesClosed, event.StatusFinished, event.StatusCancelled} {
		keys = append(keys, "evstatus."+s)
	}
	for _, s := range []string{event.StatusDraft, event.StatusPublished, event.StatusSalesClosed} {
		keys = append(keys, "events.status.hint."+s)
	}
	for _, tr := range []event.Transition{event.Publish, event.CloseSales, event.ReopenSales, event.Finish, event.Cancel} {
		keys = append(keys, "events.move."+string(tr))
	}
	for _, s := range orderStatuses {
		keys = append(keys, "ostatus."+s)
	}
	for _, m := range []string{"wallet", "manual", "import"} {
		keys = append(keys, "pay."+m)
	}
	for _, k := range templateKinds {
		keys = append(keys, "kind."+k, "kind."+k+".when")
	}
	for _, s := range []string{"sending", "sent", "outbox", "failed"} {
		keys = append(keys, "mstatus."+s)
	}
	for _, ty := range []string{event.FieldText, event.FieldEmail, event.FieldPhone, event.FieldURL, event.FieldChoice, event.FieldMultiChoice} {
		keys = append(keys, "form.type."+ty)
	}
	for _, n := range eventNotices {
		keys = append(keys, n)
	}
	for _, k := range keys {
		if !hasKey(k) {
			t.Errorf("message %q is missing", k)
		}
	}
	// The codes the group's forms can meet have messages of their own.
	for _, code := range []fault.Code{fault.SoldOut, fault.HoldExpired, fault.InsufficientPoints, fault.InvalidTransition,
		fault.SalesNotOpen, fault.SessionFull, fault.QueueTokenRequired, fault.QueueTokenInvalid, fault.InvalidCredentials} {
		if errorKey(fault.New(code, "x")) == "err.generic" {
			t.Errorf("no message for %s", code)
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{99000, "KRW", "₩99,000"}, {0, "KRW", "₩0"}, {1250, "USD", "$12.50"}, {100000000, "JPY", "¥100,000,000"},
		{5, "EUR", "€0.05"}, {1234567, "CHF", "12,345.67 CHF"}, {1000, "KWD", "1.000 KWD"},
	} {
		if got := formatMoney(tc.minor, tc.currency); got != tc.want {
			t.Errorf("formatMoney(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in       string
		currency string
		want     int64
		ok       bool
	}{
		{"99,000", "KRW", 99000, true}, {"12.5", "USD", 1250, true}, {"12.50", "USD", 1250, true}, {"1.5", "KRW", 0, false},
		{"12.345", "USD", 0, false}, {"-1", "KRW", 0, false}, {"abc", "KRW", 0, false}, {"", "KRW", 0, false},
		{"99999999999999999999", "KRW", 0, false},
	} {
		got, ok := parseMoney(tc.in, tc.currency)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseMoney(%q, %s) = %d, %v", tc.in, tc.currency, got, ok)
		}
	}
}
