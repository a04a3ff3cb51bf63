package order

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// Public orders: a buyer without an account registers on the event's page.
// The order is made in the event owner's tenant, and the buyer gets a
// random access key with it (the "my tickets" link carries it); only its
// hash is stored. Whoever has the order id and the key may see the order
// and pay it; without the key the order does not exist for them. Paying
// with points needs a customer wallet, which the buyer proves is theirs
// with its access code (see wallet.IssueAccessCode).

// accessKeyBytes is the randomness of an order's access key.
const accessKeyBytes = 16

// PublicCreateInput is a registration from the public event page: an order
// without a customer (the wallet is named when paying).
type PublicCreateInput struct {
	Buyer Buyer       `json:"buyer"`
	Items []ItemInput `json:"items,omitempty" maxItems:"20" doc:"Quantities of ticket types; needed unless seat_ids or best_available names seats."`
	// SeatIDs are seats to hold, all of them or none; each is one ticket of
	// the seat's ticket type.
	SeatIDs []string `json:"seat_ids,omitempty" maxItems:"20"`
	// BestAvailable asks the server to pick the best adjacent seats.
	BestAvailable *BestAvailableInput `json:"best_available,omitempty"`
	Answers       map[string]any      `json:"answers,omitempty"`
	Sessions      []string            `json:"sessions,omitempty" maxItems:"50"`
	Consents      map[string]bool     `json:"consents,omitempty"`
	Locale        string              `json:"locale,omitempty" enum:"ko,en"`
	QueueToken    string              `json:"queue_token,omitempty" maxLength:"200" doc:"The active waiting-room token, while the event's room is on."`
}

// PublicOrder is an order as its buyer sees it, with the access key when
// it was just made.
type PublicOrder struct {
	*Order
	AccessKey string `json:"access_key,omitempty" doc:"Shown once, at creation: the key of the order's page and of public payment."`
}

// CreatePublic holds tickets for a buyer on the public pages. Drafts and
// unknown events are not found; the waiting room is enforced as for any
// order.
func (s *Service) CreatePublic(ctx context.Context, eventID string, in PublicCreateInput) (*PublicOrder, error) {
	ctx, err := s.eventOwner(ctx, eventID)
	if err != nil {
		return nil, err
	}
	e, err := s.events.Get(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if e.Status == event.StatusDraft {
		return nil, fault.New(fault.NotFound, "no event %q", eventID)
	}
	if s.queue != nil {
		if err := s.queue.CheckActive(ctx, eventID, in.QueueToken); err != nil {
			return nil, err
		}
	}
	key := "oak_" + id.Secret(accessKeyBytes)
	create := CreateInput{
		Buyer: in.Buyer, Items: in.Items, Answers: in.Answers, Sessions: in.Sessions,
		Consents: in.Consents, Locale: in.Locale, QueueToken: in.QueueToken,
		SeatIDs: in.SeatIDs, BestAvailable: in.BestAvailable, accessHash: hashKey(key),
	}
	var out *Order
	if in.BestAvailable != nil {
		out, err = s.createBest(ctx, eventID, create)
	} else {
		out, err = s.write(ctx, eventID, create)
	}
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, out.ID)
	return &PublicOrder{Order: out, AccessKey: key}, nil
}

// GetPublic returns an order to whoever holds its access key; any other
// key (or none) is not found. A revoked ticket's code is left out (see
// forBuyer).
func (s *Service) GetPublic(ctx context.Context, orderID, key string) (*Order, error) {
	ctx, err := s.orderOwner(ctx, orderID, key)
	if err != nil {
		return nil, err
	}
	return forBuyer(s.Get(ctx, orderID))
}

// forBuyer blanks the codes of an order's revoked tickets (a cancelled or
// refunded order's): the gates refuse them, and the buyer's answers hand
// out no code that looks like an entry. Staff still see them.
func forBuyer(o *Order, err error) (*Order, error) {
	if err != nil {
		return nil, err
	}
	for i := range o.Tickets {
		if o.Tickets[i].RevokedAt != nil {
			o.Tickets[i].Code = ""
		}
	}
	return o, nil
}

// PayPublic pays a held order with the points of the wallet that the email
// and wallet access code open, and issues its tickets. The wallet is
// attached to the order first (a buyer may try another wallet after one
// that had too few points); paying a paid order answers as the first
// payment did.
func (s *Service) PayPublic(ctx context.Context, orderID, key, email, walletCode string) (*Order, error) {
	ctx, err := s.orderOwner(ctx, orderID, key)
	if err != nil {
		return nil, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		c, err := s.wallets.CustomerByAccessCodeTx(tx, email, walletCode)
		if err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE orders SET customer_id = ?, updated_at = ? WHERE id = ? AND tenant_id = @tenant AND status = 'held'`,
			c.ID, s.now(), orderID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return forBuyer(s.Pay(ctx, orderID, MethodWallet))
}

// eventOwner scopes ctx to the tenant that owns the event.
func (s *Service) eventOwner(ctx context.Context, eventID string) (context.Context, error) {
	var owner string
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		owner, err = s.events.OwnerTx(tx, eventID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.WithTenant(ctx, owner), nil
}

// orderOwner checks an order's access key and scopes ctx to the order's
// tenant. A wrong key and a missing order are the same not_found.
func (s *Service) orderOwner(ctx context.Context, orderID, key string) (context.Context, error) {
	missing := fault.New(fault.NotFound, "no order %q", orderID)
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, missing
	}
	var found struct {
		TenantID string `db:"tenant_id"`
		Hash     string `db:"access_hash"`
	}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Get(&found, `SELECT tenant_id, access_hash FROM orders WHERE id = ?`, orderID)
	})
	if fault.Is(err, fault.NotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, err
	}
	if found.Hash == "" || subtle.ConstantTimeCompare([]byte(hashKey(key)), []byte(found.Hash)) != 1 {
		return nil, missing
	}
	return db.WithTenant(ctx, found.TenantID), nil
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// PublicCreateRequest is POST /v1/public/events/{event_id}/orders.
type PublicCreateRequest struct {
	EventPath
	Body PublicCreateInput
}

// PublicOrderResponse answers with an order as its buyer sees it.
type PublicOrderResponse struct {
	CacheControl string `header:"Cache-Control"`
	Body         *PublicOrder
}

// HandleCreatePublic holds tickets for a public buyer.
func (s *Service) HandleCreatePublic(ctx context.Context, in *PublicCreateRequest) (*PublicOrderResponse, error) {
	o, err := s.CreatePublic(ctx, in.EventID, in.Body)
	if err != nil {
		return nil, err
	}
	return &PublicOrderResponse{CacheControl: "no-store", Body: o}, nil
}

// PublicGetRequest is GET /v1/public/orders/{order_id}.
type PublicGetRequest struct {
	OrderPath
	Key string `query:"key" maxLength:"200" doc:"The order's access key."`
}

// HandleGetPublic returns an order to the holder of its key.
func (s *Service) HandleGetPublic(ctx context.Context, in *PublicGetRequest) (*PublicOrderResponse, error) {
	o, err := s.GetPublic(ctx, in.OrderID, in.Key)
	if err != nil {
		return nil, err
	}
	return &PublicOrderResponse{CacheControl: "no-store", Body: &PublicOrder{Order: o}}, nil
}

// PublicPayRequest is POST /v1/public/orders/{order_id}/pay.
type PublicPayRequest struct {
	OrderPath
	Body struct {
		Key        string `json:"key" minLength:"1" maxLength:"200" doc:"The order's access key."`
		Email      string `json:"email" maxLength:"254" doc:"The wallet owner's email."`
		WalletCode string `json:"wallet_code" minLength:"1" maxLength:"200" doc:"The wallet's access code from the organizer."`
	}
}

// HandlePayPublic pays an order with a wallet its buyer proves is theirs.
func (s *Service) HandlePayPublic(ctx context.Context, in *PublicPayRequest) (*PublicOrderResponse, error) {
	o, err := s.PayPublic(ctx, in.OrderID, in.Body.Key, in.Body.Email, in.Body.WalletCode)
	if err != nil {
		return nil, err
	}
	return &PublicOrderResponse{CacheControl: "no-store", Body: &PublicOrder{Order: o}}, nil
}
