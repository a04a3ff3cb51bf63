package campaign

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// UpdateCampaign replaces a campaign's settings with in, validated as for a
// new campaign. Once someone has played, the game keeps its type: results
// already decided would otherwise belong to a game that no longer exists.
// Channels can be added but not removed, since participations and printed
// QR codes point at them.
func (s *Service) UpdateCampaign(ctx context.Context, campaignID string, in CreateCampaignInput) (*Campaign, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Campaign
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		c, err := s.getCampaign(tx, campaignID)
		if err != nil {
			return err
		}
		if in.Game.Type != c.Game.Type {
			var played int
			if err := tx.Get(&played, `SELECT COUNT(*) FROM participations WHERE tenant_id = @tenant AND campaign_id = ? AND result <> ''`, c.ID); err != nil {
				return err
			}
			if played > 0 {
				return fault.Field("game.type", "cannot change once participants have played")
			}
		}
		game := in.Game
		if game.Type == GameOX {
			for i := range game.Questions {
				game.Questions[i].Answer = strings.ToUpper(strings.TrimSpace(game.Questions[i].Answer))
			}
		}
		chans := slices.Clone(c.Channels)
		for _, ch := range in.Channels {
			if !slices.Contains(chans, ch) {
				chans = append(chans, ch)
			}
		}
		schools := []string{}
		for _, sid := range in.SchoolIDs {
			if !slices.Contains(schools, sid) {
				schools = append(schools, sid)
			}
		}
		if len(schools) > 0 {
			args := make([]any, len(schools))
			for i, v := range schools {
				args[i] = v
			}
			var n int
			if err := tx.Get(&n, `SELECT COUNT(*) FROM schools WHERE tenant_id = @tenant AND id IN (`+db.Placeholders(len(args))+`)`, args...); err != nil {
				return err
			}
			if n != len(schools) {
				return fault.Field("school_ids", "lists a school that does not exist")
			}
		}
		consent := in.ConsentVersion
		if consent == "" {
			consent = c.ConsentVersion
		}
		g, _ := json.Marshal(game)
		ch, _ := json.Marshal(chans)
		if err := tx.ExecOne(`UPDATE campaigns SET name = ?, starts_at = ?, ends_at = ?, game = ?, approval = ?, channels = ?, consent_version = ?, updated_at = ?
			WHERE id = ? AND tenant_id = @tenant`,
			strings.TrimSpace(in.Name), in.StartsAt.UTC().Truncate(time.Microsecond), in.EndsAt.UTC().Truncate(time.Microsecond),
			string(g), in.Approval, string(ch), consent, now, c.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM campaign_schools WHERE tenant_id = @tenant AND campaign_id = ?`, c.ID); err != nil {
			return err
		}
		for _, sid := range schools {
			if _, err := tx.Exec(`INSERT INTO campaign_schools (tenant_id, campaign_id, school_id) VALUES (@tenant, ?, ?)`, c.ID, sid); err != nil {
				return err
			}
		}
		out, err = s.getCampaign(tx, c.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, campaignID)
	return out, nil
}

// UpdateCampaignRequest is the body of PUT /v1/campaigns/{campaign_id}.
type UpdateCampaignRequest struct {
	CampaignPath
	Body CreateCampaignInput
}

// HandleUpdateCampaign replaces a campaign's settings.
func (s *Service) HandleUpdateCampaign(ctx context.Context, in *UpdateCampaignRequest) (*CampaignResponse, error) {
	c, err := s.UpdateCampaign(ctx, in.CampaignID, in.Body)
	if err != nil {
		return nil, err
	}
	return &CampaignResponse{Body: c}, nil
}

// DepartmentsOf lists the departments of several schools at once, for the
// landing page's department choice.
func (s *Service) DepartmentsOf(ctx context.Context, campaignID string) ([]Department, error) {
	out := []Department{}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		scoped, c, err := s.resolveCampaign(tx, campaignID)
		if err != nil {
			return err
		}
		q := `SELECT d.id, d.school_id, d.name, d.created_at FROM departments d WHERE d.tenant_id = @tenant`
		if len(c.SchoolIDs) > 0 {
			q += ` AND d.school_id IN (SELECT school_id FROM campaign_schools WHERE tenant_id = @tenant AND campaign_id = ?)`
			return scoped.Select(&out, q+` ORDER BY d.name`, c.ID)
		}
		return scoped.Select(&out, q+` ORDER BY d.name`)
	})
	return out, err
}
