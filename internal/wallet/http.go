package wallet

import (
	"context"

	"github.com/usher-events/usher/internal/api"
)

// CreateCustomerRequest is the body of POST /v1/customers.
type CreateCustomerRequest struct{ Body CustomerInput }

// CustomerResponse answers with one customer.
type CustomerResponse struct{ Body *Customer }

// HandleCreateCustomer creates a customer with an empty wallet.
func (s *Service) HandleCreateCustomer(ctx context.Context, in *CreateCustomerRequest) (*CustomerResponse, error) {
	c, err := s.CreateCustomer(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &CustomerResponse{Body: c}, nil
}

// CustomerPath names a customer in a path.
type CustomerPath struct {
	CustomerID string `path:"customer_id" maxLength:"100"`
}

// HandleGetCustomer returns a customer.
func (s *Service) HandleGetCustomer(ctx context.Context, in *CustomerPath) (*CustomerResponse, error) {
	c, err := s.GetCustomer(ctx, in.CustomerID)
	if err != nil {
		return nil, err
	}
	return &CustomerResponse{Body: c}, nil
}

// ListCustomersRequest is the query of GET /v1/customers.
type ListCustomersRequest struct {
	api.PageParams
	Q string `query:"q" maxLength:"200" doc:"Only customers whose name or email contains this."`
}

// HandleListCustomers lists customers.
func (s *Service) HandleListCustomers(ctx context.Context, in *ListCustomersRequest) (*api.List[Customer], error) {
	return s.ListCustomers(ctx, in.Q, in.PageParams)
}

// ChargeRequest is the body of POST /v1/customers/{customer_id}/wallet/charge.
type ChargeRequest struct {
	CustomerPath
	Body struct {
		Amount int64 `json:"amount" minimum:"1" maximum:"1000000000000" doc:"Points to add."`
	}
}

// BalanceResponse answers with a wallet's balance.
type BalanceResponse struct {
	Body struct {
		Balance int64 `json:"balance"`
	}
}

// HandleCharge adds points to a wallet.
func (s *Service) HandleCharge(ctx context.Context, in *ChargeRequest) (*BalanceResponse, error) {
	b, err := s.Charge(ctx, in.CustomerID, in.Body.Amount)
	if err != nil {
		return nil, err
	}
	out := &BalanceResponse{}
	out.Body.Balance = b
	return out, nil
}

// GetWalletRequest is the path and query of GET /v1/customers/{customer_id}/wallet.
type GetWalletRequest struct {
	CustomerPath
	api.PageParams
}

// WalletResponse answers with a wallet.
type WalletResponse struct{ Body *Wallet }

// HandleGetWallet returns a wallet's balance and history.
func (s *Service) HandleGetWallet(ctx context.Context, in *GetWalletRequest) (*WalletResponse, error) {
	w, err := s.Get(ctx, in.CustomerID, in.PageParams)
	if err != nil {
		return nil, err
	}
	return &WalletResponse{Body: w}, nil
}
