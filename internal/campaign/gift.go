package campaign

import (
	"context"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// Gift is a prize with a stock. Reserved counts gifts won but not yet handed
// out (waiting for approval, or approved); what is left to win is
// Stock - Reserved - HandedOut, and it never goes below zero.
type Gift struct {
	ID         string    `json:"id" db:"id"`
	CampaignID string    `json:"campaign_id" db:"campaign_id"`
	Name       string    `json:"name" db:"name"`
	Stock      int       `json:"stock" db:"stock"`
	Reserved   int       `json:"reserved" db:"reserved"`
	HandedOut  int       `json:"handed_out" db:"handed_out"`
	Available  int       `json:"available" db:"-"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
}

// CreateGiftInput describes a new gift.
type CreateGiftInput struct {
	Name  string `json:"name" maxLength:"200"`
	Stock int    `json:"stock" minimum:"0" maximum:"100000000"`
}

// CreateGift adds a gift to a campaign of the tenant of ctx.
func (s *Service) CreateGift(ctx context.Context, campaignID string, in CreateGiftInput) (*Gift, error) {
	var c fault.Check
	name, ok := cleanText(in.Name)
	c.Add(!ok, "name", "must not be empty or hold control characters")
	c.Add(in.Stock < 0, "stock", "must not be negative")
	if err := c.Err(); err != nil {
		return nil, err
	}
	g := &Gift{ID: id.New(prefixGift), CampaignID: campaignID, Name: name, Stock: in.Stock, Available: in.Stock, CreatedAt: s.now()}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := s.getCampaign(tx, campaignID); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO gifts (tenant_id, id, campaign_id, name, stock, created_at) VALUES (@tenant, ?, ?, ?, ?, ?)`,
			g.ID, g.CampaignID, g.Name, g.Stock, g.CreatedAt)
		return err
	})
	if db.IsUnique(err) {
		return nil, fault.New(fault.Conflict, "the campaign has a gift named %q already", name)
	}
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, g.ID)
	return g, nil
}

const giftColumns = `id, campaign_id, name, stock, reserved, handed_out, created_at`

// ListGifts lists a campaign's gifts by name.
func (s *Service) ListGifts(ctx context.Context, campaignID string) ([]Gift, error) {
	var out []Gift
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.getCampaign(tx, campaignID); err != nil {
			return err
		}
		var err error
		out, err = campaignGifts(tx, campaignID)
		return err
	})
	return out, err
}

func campaignGifts(tx *db.Tx, campaignID string) ([]Gift, error) {
	out := []Gift{}
	err := tx.Select(&out, `SELECT `+giftColumns+` FROM gifts WHERE tenant_id = @tenant AND campaign_id = ? ORDER BY name`, campaignID)
	for i := range out {
		out[i].Available = out[i].Stock - out[i].Reserved - out[i].HandedOut
	}
	return out, err
}

// reserveGift takes one unit of a gift's stock in one conditional write, so
// that concurrent winners can never take more than the stock. It reports
// false when none is left.
func reserveGift(tx *db.Tx, giftID string) (bool, error) {
	res, err := tx.Exec(`UPDATE gifts SET reserved = reserved + 1
		WHERE id = ? AND tenant_id = @tenant AND stock - reserved - handed_out > 0`, giftID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// releaseGift returns a reserved unit to the stock.
func releaseGift(tx *db.Tx, giftID string) error {
	return tx.ExecOne(`UPDATE gifts SET reserved = reserved - 1 WHERE id = ? AND tenant_id = @tenant AND reserved > 0`, giftID)
}

// handOutGift moves a reserved unit to handed out.
func handOutGift(tx *db.Tx, giftID string) error {
	return tx.ExecOne(`UPDATE gifts SET reserved = reserved - 1, handed_out = handed_out + 1
		WHERE id = ? AND tenant_id = @tenant AND reserved > 0`, giftID)
}
