package meter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/outbox"
)

// Line is one metric of a statement.
type Line struct {
	Metric   string `json:"metric"`
	Quantity int64  `json:"quantity" doc:"Units used in the month."`
	Included int64  `json:"included" doc:"Units the tier includes."`
	Billable int64  `json:"billable" doc:"Units beyond those included."`
	Price    *Price `json:"price,omitempty" doc:"The price of billable units; absent when the metric is not charged."`
	Amount   int64  `json:"amount" doc:"What the billable units cost, in KRW (rounded up to whole price units)."`
}

// Statement is a tenant's usage in one month and what it costs.
type Statement struct {
	Period     string `json:"period" doc:"The month, as 2026-12 (UTC)."`
	Tier       string `json:"tier"`
	Currency   string `json:"currency"`
	MonthlyFee int64  `json:"monthly_fee"`
	Lines      []Line `json:"lines"`
	Total      int64  `json:"total" doc:"The fee plus every line's amount."`
	// Budget is the tenant's monthly budget (0: none) and Used the share
	// of it the total takes, in percent.
	Budget int64 `json:"budget"`
	Used   int   `json:"used_percent"`
	// Final is true for a month that has ended.
	Final     bool      `json:"final"`
	UpdatedAt time.Time `json:"updated_at" doc:"When the statement was computed."`
}

// price works out a line.
func (t Tier) line(metric string, quantity int64) Line {
	l := Line{Metric: metric, Quantity: quantity, Included: t.Included[metric]}
	l.Billable = max(0, quantity-l.Included)
	if p, ok := t.Prices[metric]; ok && p.Per > 0 {
		l.Price = &p
		l.Amount = (l.Billable + p.Per - 1) / p.Per * p.Amount
	}
	return l
}

// statement prices usage under tier.
func statement(period string, t Tier, usage map[string]int64, budget int64) *Statement {
	st := &Statement{Period: period, Tier: t.Name, Currency: Currency, MonthlyFee: t.MonthlyFee, Total: t.MonthlyFee, Budget: budget}
	for _, m := range Metrics {
		l := t.line(m, usage[m])
		st.Lines = append(st.Lines, l)
		st.Total += l.Amount
	}
	if budget > 0 {
		st.Used = int(st.Total * 100 / budget)
	}
	return st
}

// parsePeriod checks a "2026-12" month; empty is the current one.
func (s *Service) parsePeriod(p string) (string, error) {
	if p == "" {
		return Period(s.now()), nil
	}
	t, err := time.Parse("2006-01", p)
	if err != nil || t.Year() < 2000 || t.Year() > 9999 {
		return "", fault.Field("period", "must be a month as YYYY-MM, such as 2026-12")
	}
	return Period(t), nil
}

// Statement returns the tenant's statement for a month ("2026-12"; empty is
// the current month). This node's API calls not yet flushed are added first.
func (s *Service) Statement(ctx context.Context, period string) (*Statement, error) {
	period, err := s.parsePeriod(period)
	if err != nil {
		return nil, err
	}
	tier, err := s.currentTier(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	var st *Statement
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		st, err = s.readStatement(tx, tier, period)
		return err
	})
	return st, err
}

// currentTier reads the tier of ctx's tenant (not from the cache: a
// statement shows the tier as it is).
func (s *Service) currentTier(ctx context.Context) (Tier, error) {
	tenant, _ := db.TenantFrom(ctx)
	name, err := s.tiers.TierOf(ctx, tenant)
	if err != nil {
		return Tier{}, err
	}
	s.known.Store(tenant, knownTier{name: name, at: time.Now()})
	return Tiers[name], nil
}

// readStatement computes the statement of tx's tenant, on tier, inside tx.
func (s *Service) readStatement(tx *db.Tx, tier Tier, period string) (*Statement, error) {
	var rows []struct {
		Metric   string `db:"metric"`
		Quantity int64  `db:"quantity"`
	}
	if err := tx.Select(&rows, `SELECT metric, quantity FROM usage_counts WHERE tenant_id = @tenant AND period = ?`, period); err != nil {
		return nil, err
	}
	usage := map[string]int64{}
	for _, r := range rows {
		usage[r.Metric] = r.Quantity
	}
	budget, err := readBudget(tx)
	if err != nil {
		return nil, err
	}
	st := statement(period, tier, usage, budget)
	now := s.now()
	st.UpdatedAt = now
	st.Final = period < Period(now)
	return st, nil
}

func readBudget(tx *db.Tx) (int64, error) {
	var b int64
	err := tx.Get(&b, `SELECT monthly_budget FROM usage_budgets WHERE tenant_id = @tenant`)
	if fault.Is(err, fault.NotFound) {
		return 0, nil
	}
	return b, err
}

// Summary is one month of a tenant's statements list.
type Summary struct {
	Period string `json:"period"`
	Total  int64  `json:"total" doc:"In KRW, under the tenant's current tier."`
}

// History returns the totals of the tenant's last months with usage, the
// newest first (at most 24), priced under its current tier.
func (s *Service) History(ctx context.Context) ([]Summary, error) {
	tier, err := s.currentTier(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	var out []Summary
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		var periods []string
		if err := tx.Select(&periods, `SELECT DISTINCT period FROM usage_counts WHERE tenant_id = @tenant ORDER BY period DESC LIMIT 24`); err != nil {
			return err
		}
		out = out[:0]
		for _, p := range periods {
			st, err := s.readStatement(tx, tier, p)
			if err != nil {
				return err
			}
			out = append(out, Summary{Period: p, Total: st.Total})
		}
		return nil
	})
	return out, err
}

// Budget is a tenant's monthly budget and the alerts it raised.
type Budget struct {
	MonthlyBudget int64   `json:"monthly_budget" doc:"In KRW; 0 is no budget."`
	Currency      string  `json:"currency"`
	Alerts        []Alert `json:"alerts" doc:"Alerts raised, the newest first."`
}

// Alert is a budget threshold the month's total reached.
type Alert struct {
	Period    string    `json:"period" db:"period"`
	Threshold int       `json:"threshold_percent" db:"threshold"`
	Total     int64     `json:"total" db:"total" doc:"The month's total when the alert was raised."`
	At        time.Time `json:"at" db:"at"`
}

// Thresholds are the shares of the budget that raise an alert, once each per
// month.
var Thresholds = []int{80, 100}

// MaxBudget bounds a monthly budget (KRW).
const MaxBudget = 1_000_000_000_000

// Budget returns the tenant's budget and alerts.
func (s *Service) Budget(ctx context.Context) (*Budget, error) {
	out := &Budget{Currency: Currency}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		if out.MonthlyBudget, err = readBudget(tx); err != nil {
			return err
		}
		out.Alerts = []Alert{}
		return tx.Select(&out.Alerts, `SELECT period, threshold, total, at FROM usage_alerts WHERE tenant_id = @tenant ORDER BY at DESC, threshold DESC LIMIT 50`)
	})
	return out, err
}

// SetBudget sets the tenant's monthly budget (0 removes it), and raises at
// once the alerts the current month already deserves.
func (s *Service) SetBudget(ctx context.Context, amount int64) (*Budget, error) {
	if amount < 0 || amount > MaxBudget {
		return nil, fault.Field("monthly_budget", fmt.Sprintf("must be between 0 (no budget) and %d KRW", int64(MaxBudget)))
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO usage_budgets (tenant_id, monthly_budget, updated_at) VALUES (@tenant, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET monthly_budget = excluded.monthly_budget, updated_at = excluded.updated_at`, amount, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, "budget")
	if err := s.checkBudget(ctx); err != nil {
		return nil, err
	}
	return s.Budget(ctx)
}

// AlertKind is the domain event of a budget alert; webhooks send it.
const AlertKind = "usage.budget_alert"

// CheckBudgets raises the budget alerts that every tenant's current month
// deserves and has not raised yet: an outbox event (usage.budget_alert) and
// a row in the tenant's alerts, once per threshold and month.
func (s *Service) CheckBudgets(ctx context.Context) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	var tenants []string
	if err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Select(&tenants, `SELECT tenant_id FROM usage_budgets WHERE monthly_budget > 0 ORDER BY tenant_id`)
	}); err != nil {
		return err
	}
	var errs []error
	for _, t := range tenants {
		if err := s.checkBudget(db.WithTenant(ctx, t)); err != nil {
			errs = append(errs, fmt.Errorf("meter: budget of %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) checkBudget(ctx context.Context) error {
	tier, err := s.currentTier(ctx)
	if err != nil {
		return err
	}
	tenant, _ := db.TenantFrom(ctx)
	now := s.now()
	period := Period(now)
	return s.db.Write(ctx, func(tx *db.Tx) error {
		st, err := s.readStatement(tx, tier, period)
		if err != nil || st.Budget <= 0 {
			return err
		}
		for _, th := range Thresholds {
			if st.Used < th {
				continue
			}
			res, err := tx.Exec(`INSERT INTO usage_alerts (tenant_id, period, threshold, total, at) VALUES (@tenant, ?, ?, ?, ?)
				ON CONFLICT (tenant_id, period, threshold) DO NOTHING`, period, th, st.Total, now)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return err
				}
				continue
			}
			if _, err := outbox.Emit(tx, AlertKind, tenant+"/"+period, map[string]any{
				"period": period, "threshold_percent": th, "total": st.Total, "budget": st.Budget,
				"currency": Currency, "tier": st.Tier,
			}, now); err != nil {
				return err
			}
		}
		return nil
	})
}
