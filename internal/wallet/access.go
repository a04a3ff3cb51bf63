package wallet

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// A public buyer (on the event's pages, without an account) proves that a
// wallet is theirs with its access code: a random secret the organizer
// makes for the customer and hands over (printed, mailed, texted). It is
// shown once and only its SHA-256 hash is kept; making a new one replaces
// the old. Together with the customer's email it lets the buyer pay an
// order with the wallet's points and nothing else: it does not show the
// balance's history or any other customer data.
//
// 16 random bytes make a code no one guesses, so a hash without a salt or
// a slow function is enough (the same reasoning as API keys).

// accessCodeBytes is the randomness of an access code.
const accessCodeBytes = 16

// AccessCode is a newly made wallet access code, shown only here.
type AccessCode struct {
	CustomerID string `json:"customer_id"`
	Code       string `json:"code" doc:"Give this to the customer; it is shown only once."`
}

// IssueAccessCode makes a new access code for a customer's wallet,
// replacing any earlier one.
func (s *Service) IssueAccessCode(ctx context.Context, customerID string) (*AccessCode, error) {
	code := "wac_" + id.Secret(accessCodeBytes)
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := s.CustomerTx(tx, customerID); err != nil {
			return err
		}
		return tx.ExecOne(`UPDATE customers SET access_code_hash = ? WHERE id = ? AND tenant_id = @tenant`, hashCode(code), customerID)
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, customerID)
	return &AccessCode{CustomerID: customerID, Code: code}, nil
}

// CustomerByAccessCodeTx finds the customer of tx's tenant with this email
// whose wallet the code opens. A wrong email or code is one answer,
// invalid_credentials, so that it does not tell which customers exist.
func (s *Service) CustomerByAccessCodeTx(tx *db.Tx, email, code string) (*Customer, error) {
	wrong := fault.New(fault.InvalidCredentials, "the email or wallet code is wrong")
	email, code = strings.ToLower(strings.TrimSpace(email)), strings.TrimSpace(code)
	if email == "" || code == "" {
		return nil, wrong
	}
	var found struct {
		ID   string `db:"id"`
		Hash string `db:"access_code_hash"`
	}
	err := tx.Get(&found, `SELECT id, access_code_hash FROM customers WHERE tenant_id = @tenant AND email = ?`, email)
	if fault.Is(err, fault.NotFound) {
		// Compare anyway, so that a missing customer takes as long.
		subtle.ConstantTimeCompare([]byte(hashCode(code)), []byte(hashCode("")))
		return nil, wrong
	}
	if err != nil {
		return nil, err
	}
	if found.Hash == "" || subtle.ConstantTimeCompare([]byte(hashCode(code)), []byte(found.Hash)) != 1 {
		return nil, wrong
	}
	return s.CustomerTx(tx, found.ID)
}

func hashCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// AccessCodeResponse answers with a new access code.
type AccessCodeResponse struct{ Body *AccessCode }

// HandleIssueAccessCode makes a wallet access code for a customer.
func (s *Service) HandleIssueAccessCode(ctx context.Context, in *CustomerPath) (*AccessCodeResponse, error) {
	c, err := s.IssueAccessCode(ctx, in.CustomerID)
	if err != nil {
		return nil, err
	}
	return &AccessCodeResponse{Body: c}, nil
}
