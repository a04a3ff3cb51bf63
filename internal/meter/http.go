package meter

import (
	"context"
	"slices"
)

// StatementRequest asks for a month's statement.
type StatementRequest struct {
	Period string `query:"period" maxLength:"7" doc:"The month, as 2026-12 (UTC); default the current one."`
}

// StatementResponse answers GET /v1/usage.
type StatementResponse struct{ Body *Statement }

// HandleStatement returns a month's usage and statement.
func (s *Service) HandleStatement(ctx context.Context, in *StatementRequest) (*StatementResponse, error) {
	st, err := s.Statement(ctx, in.Period)
	if err != nil {
		return nil, err
	}
	return &StatementResponse{Body: st}, nil
}

// HistoryResponse answers GET /v1/usage/statements.
type HistoryResponse struct {
	Body struct {
		Data []Summary `json:"data" doc:"Months with usage, the newest first."`
	}
}

// HandleHistory lists the months with usage and their totals.
func (s *Service) HandleHistory(ctx context.Context, _ *struct{}) (*HistoryResponse, error) {
	h, err := s.History(ctx)
	if err != nil {
		return nil, err
	}
	out := &HistoryResponse{}
	out.Body.Data = h
	return out, nil
}

// TiersResponse answers GET /v1/tiers.
type TiersResponse struct {
	Body struct {
		Data    []Tier   `json:"data" doc:"The tiers, from the smallest."`
		Metrics []string `json:"metrics" doc:"The metrics usage is counted in."`
	}
}

// HandleTiers lists the tiers with their limits and prices.
func (s *Service) HandleTiers(context.Context, *struct{}) (*TiersResponse, error) {
	out := &TiersResponse{}
	for _, n := range TierNames {
		out.Body.Data = append(out.Body.Data, Tiers[n])
	}
	out.Body.Metrics = slices.Clone(Metrics)
	return out, nil
}

// BudgetResponse answers GET and PUT /v1/settings/budget.
type BudgetResponse struct{ Body *Budget }

// BudgetRequest is the body of PUT /v1/settings/budget.
type BudgetRequest struct {
	Body struct {
		MonthlyBudget int64 `json:"monthly_budget" minimum:"0" doc:"In KRW; 0 removes the budget. Alerts are raised at 80 % and 100 % of it, once each per month."`
	}
}

// HandleGetBudget returns the budget and its alerts.
func (s *Service) HandleGetBudget(ctx context.Context, _ *struct{}) (*BudgetResponse, error) {
	b, err := s.Budget(ctx)
	if err != nil {
		return nil, err
	}
	return &BudgetResponse{Body: b}, nil
}

// HandlePutBudget sets the budget.
func (s *Service) HandlePutBudget(ctx context.Context, in *BudgetRequest) (*BudgetResponse, error) {
	b, err := s.SetBudget(ctx, in.Body.MonthlyBudget)
	if err != nil {
		return nil, err
	}
	return &BudgetResponse{Body: b}, nil
}
