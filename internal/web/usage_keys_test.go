package web

import (
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/meter"
)

// TestUsageKeysBuiltFromValues checks the message keys the usage page
// builds from values (metrics, tiers, notices), which the literal-key test
// cannot see, and the messages of its fields.
func TestUsageKeysBuiltFromValues(t *testing.T) {
	var keys []string
	for _, m := range meter.Metrics {
		keys = append(keys, "usage.metric."+m, "usage.metric."+m+".hint")
	}
	for _, name := range meter.TierNames {
		keys = append(keys, "usage.tier."+name)
	}
	for _, n := range usageNotices {
		keys = append(keys, n)
	}
	for _, k := range keys {
		if !hasKey(k) {
			t.Errorf("message %q is missing", k)
		}
	}
	for _, field := range []string{"period", "monthly_budget"} {
		if k := errorKey(scoped(fault.Field(field, "x"), "usage.")); k != "err.field.usage."+field {
			t.Errorf("field %s: key %s", field, k)
		}
	}
	// The budget's message names the service's bound.
	for lang, msgs := range catalogs {
		if m := msgs["err.field.usage.monthly_budget"]; !strings.Contains(m, grouped(meter.MaxBudget)) {
			t.Errorf("%s: the budget's message %q does not name %d", lang, m, int64(meter.MaxBudget))
		}
	}
	// The page shows two thresholds.
	if len(meter.Thresholds) != 2 {
		t.Errorf("the page explains two thresholds, the meter has %v", meter.Thresholds)
	}
}

func TestUsageFormatting(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 2_000_000: "2,000,000", -1500: "−1,500"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q, want %q", n, got, want)
		}
	}
	for _, tc := range []struct {
		lang, period, want string
	}{
		{"en", "2026-07", "July 2026"},
		{"ko", "2026-07", "2026년 7월"},
		{"ko", "2026-12", "2026년 12월"},
		{"en", "nonsense", "nonsense"},
	} {
		vw := &view{msgs: catalogs[tc.lang]}
		if got := vw.MonthName(tc.period); got != tc.want {
			t.Errorf("%s MonthName(%q) = %q, want %q", tc.lang, tc.period, got, tc.want)
		}
	}
	for _, tc := range []struct {
		part, whole, percent, value int64
	}{
		{0, 100, 0, 0}, {1, 3, 33, 33}, {99_000, 100_000, 99, 99}, {250, 100, 250, 100}, {1 << 62, 1 << 40, 100 << 22, 100},
	} {
		if b := shareOf(tc.part, tc.whole); b.Percent != tc.percent || b.Value != tc.value {
			t.Errorf("shareOf(%d, %d) = %+v", tc.part, tc.whole, *b)
		}
	}
	for in, want := range map[string]int64{"100000": 100_000, "100,000": 100_000, " ₩ 5,000 ": 5_000, "0": 0, "-1": -1} {
		if got, ok := wholeWon(in); !ok || got != want {
			t.Errorf("wholeWon(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "ten", "1.5", "99999999999999999999"} {
		if _, ok := wholeWon(in); ok {
			t.Errorf("wholeWon(%q) is accepted", in)
		}
	}
}
