package web

// The usage settings page (/app/settings/usage): a month's usage and what
// it costs under the organization's tier, the months to choose from, the
// monthly budget with the alerts it raised, and the tiers side by side.
// Like the API's statements and budget, it is for owners and admins only.

import (
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/meter"
)

const usagePath = "/app/settings/usage"

// usageNotices are the success notes of the page's redirects (?done=).
var usageNotices = map[string]string{
	"budget_saved":   "usage.done.budget_saved",
	"budget_removed": "usage.done.budget_removed",
}

// The parts of the page a message is shown next to.
const (
	atPeriod = "period"
	atBudget = "budget"
)

// usagePage is the content of the usage page.
type usagePage struct {
	// Statement is the month shown; Current is this month's, which the
	// budget and the tiers are about (the same one by default).
	Statement, Current *meter.Statement
	Lines              []usageLine
	// Charges are the shown month's amounts beyond the monthly fee.
	Charges int64
	// Months are the choices of the month selector, the newest first.
	Months []usageMonth

	Budget *meter.Budget
	// BudgetBar is the share of the budget this month's total takes; nil
	// without a budget.
	BudgetBar  *usageBar
	Thresholds []int
	// AlertKind is the webhook event of an alert.
	AlertKind string

	Tiers    []meter.Tier
	TierRows []tierRow
	// TierSpan is the comparison's number of columns.
	TierSpan int

	// ErrAt names the part of the page the error is about (atPeriod, …).
	ErrAt string
}

// usageLine is one metric of the statement as the table shows it.
type usageLine struct {
	meter.Line
	// Bar is the share of the included units used; nil when the tier
	// includes none.
	Bar *usageBar
}

// usageBar is a share in percent for a <meter>: Percent as it is, Value
// capped at the bar's end.
type usageBar struct {
	Percent int64
	Value   int64
}

// shareOf is part's share of whole, which must be positive.
func shareOf(part, whole int64) *usageBar {
	pct := part / whole * 100 // coarser, where part * 100 would overflow
	if part <= math.MaxInt64/100 {
		pct = part * 100 / whole
	}
	return &usageBar{Percent: pct, Value: min(pct, 100)}
}

// usageMonth is one month of the selector.
type usageMonth struct {
	Period string
	Total  int64
}

// tierRow is one metric of the tiers' comparison: what each tier includes,
// in meter.TierNames order.
type tierRow struct {
	Metric string
	Cells  []tierCell
}

type tierCell struct {
	Tier     string
	Included int64
}

// usageTierRows compare the units the tiers include, for the metrics some
// tier includes: the price list is fixed, so it is worked out once.
var usageTierRows = tierRowsOf()

func tierRowsOf() []tierRow {
	var rows []tierRow
	for _, m := range meter.Metrics {
		row := tierRow{Metric: m}
		some := false
		for _, name := range meter.TierNames {
			n := meter.Tiers[name].Included[m]
			row.Cells = append(row.Cells, tierCell{Tier: name, Included: n})
			some = some || n > 0
		}
		if some {
			rows = append(rows, row)
		}
	}
	return rows
}

func init() {
	// num shows a count grouped by thousands: 100000 is "100,000".
	funcs["num"] = func(v any) string {
		switch n := v.(type) {
		case int:
			return grouped(int64(n))
		case int64:
			return grouped(n)
		}
		return ""
	}
}

// grouped writes n with its thousands separated by commas.
func grouped(n int64) string {
	if n < 0 {
		return "−" + group(strconv.FormatInt(-n, 10))
	}
	return group(strconv.FormatInt(n, 10))
}

// MonthName shows a period ("2026-12") as a month in the page's language;
// anything else as it is.
func (vw *view) MonthName(period string) string {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return period
	}
	return vw.T("usage.month", t.Year(), int(t.Month()), t.Month().String())
}

// UsageSettings shows a month's statement (?period=2026-12; the current
// month by default), the budget with its alerts, and the tiers.
func (p *Pages) UsageSettings(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		vw, err := p.usageView(v, strings.TrimSpace(r.URL.Query().Get("period")))
		if fault.Is(err, fault.Validation) {
			// Only the period can be invalid: say so, over this month.
			return p.usageFailed(v, atPeriod, nil, err)
		}
		if err != nil {
			return err
		}
		vw.Notice = usageNotices[r.URL.Query().Get("done")]
		return p.render(v, http.StatusOK, "usage", vw)
	})
}

// SaveBudget sets the monthly budget; 0 removes it.
func (p *Pages) SaveBudget(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		raw := strings.TrimSpace(v.r.PostForm.Get("monthly_budget"))
		amount, ok := wholeWon(raw)
		var err error
		if !ok {
			err = fault.Field("monthly_budget", "must be a whole number of won")
		} else {
			_, err = p.deps.Meter.SetBudget(v.ctx(), amount)
		}
		if err != nil {
			return p.usageFailed(v, atBudget, map[string]string{"monthly_budget": raw}, err)
		}
		done := "budget_saved"
		if amount == 0 {
			done = "budget_removed"
		}
		http.Redirect(v.w, v.r, usagePath+"?done="+done, http.StatusSeeOther)
		return nil
	})
}

// wholeWon reads an amount of won as typed, with or without thousands
// separators ("100,000"). A minus sign is read, for the service to refuse
// with its own message.
func wholeWon(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", " ", "", "₩", "").Replace(s)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// usageView loads the statement of period (empty: this month), this
// month's for the budget, the months with usage and the budget.
func (p *Pages) usageView(v *visit, period string) (*view, error) {
	m := p.deps.Meter
	cur, err := m.Statement(v.ctx(), "")
	if err != nil {
		return nil, err
	}
	shown, path := cur, usagePath
	if period != "" && period != cur.Period {
		if shown, err = m.Statement(v.ctx(), period); err != nil {
			return nil, err
		}
		path += "?period=" + shown.Period
	}
	history, err := m.History(v.ctx())
	if err != nil {
		return nil, err
	}
	budget, err := m.Budget(v.ctx())
	if err != nil {
		return nil, err
	}
	data := &usagePage{Statement: shown, Current: cur, Budget: budget, Thresholds: meter.Thresholds, AlertKind: meter.AlertKind,
		TierRows: usageTierRows, Months: usageMonths(history, cur, shown), Charges: shown.Total - shown.MonthlyFee}
	for _, l := range shown.Lines {
		ul := usageLine{Line: l}
		if l.Included > 0 {
			ul.Bar = shareOf(l.Quantity, l.Included)
		}
		data.Lines = append(data.Lines, ul)
	}
	if cur.Budget > 0 {
		data.BudgetBar = shareOf(cur.Total, cur.Budget)
	}
	for _, name := range meter.TierNames {
		data.Tiers = append(data.Tiers, meter.Tiers[name])
	}
	data.TierSpan = len(data.Tiers) + 1
	form := map[string]string{"monthly_budget": moneyInput(budget.MonthlyBudget, meter.Currency)}
	return &view{Title: "usage.title", Nav: "settings", Data: data, Form: form, Path: path}, nil
}

// usageMonths are the months with usage, this month and the month shown,
// each once, the newest first.
func usageMonths(history []meter.Summary, statements ...*meter.Statement) []usageMonth {
	byPeriod := map[string]int64{}
	for _, s := range history {
		byPeriod[s.Period] = s.Total
	}
	for _, st := range statements {
		byPeriod[st.Period] = st.Total
	}
	periods := slices.Sorted(maps.Keys(byPeriod))
	slices.Reverse(periods)
	out := make([]usageMonth, len(periods))
	for i, period := range periods {
		out[i] = usageMonth{Period: period, Total: byPeriod[period]}
	}
	return out
}

// usageFailed shows this month's page again with a message for err next
// to the part at (field errors get the messages err.field.usage.<field>)
// and the values entered.
func (p *Pages) usageFailed(v *visit, at string, entered map[string]string, err error) error {
	vw, verr := p.usageView(v, "")
	if verr != nil {
		return verr
	}
	maps.Copy(vw.Form, entered)
	vw.Data.(*usagePage).ErrAt = at
	return p.formFailed(v, "usage", vw, scoped(err, "usage."))
}
