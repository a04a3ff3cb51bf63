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
// new campaign. Questions, segments, their gifts and odds may change at any
// time: a result stores what the participant was shown when it was decided
// (see playDetail). The game's type may not, once anyone has played (409
// game_locked): the results decided would belong to a game that no longer
// exists, and a draw of successes would mix two games' winners. A change to
// or from no game is refused once anyone has taken part, since without a
// game taking part is the whole of it (approved at once under automatic
// approval) and those who entered would be left with a game half played.
// Channels can be added but not removed, since participations and printed
// QR codes point at them.
func (s *Service) UpdateCampaign(ctx context.Context, campaignID string, in CreateCampaignInput) (*Campaign, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	var out *Campaign
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		// Plays and new participations wait for the change (and the
		// change for those already running), so that none is decided
		// with the game read before it.
		if err := lockGame(tx, campaignID, true); err != nil {
			return err
		}
		c, err := s.getCampaign(tx, campaignID)
		if err != nil {
			return err
		}
		if in.Game.Type != c.Game.Type {
			q := `SELECT COUNT(*) FROM participations WHERE tenant_id = @tenant AND campaign_id = ? AND played_at IS NOT NULL`
			what := "played"
			if c.Game.Type == GameNone || in.Game.Type == GameNone {
				q, what = `SELECT COUNT(*) FROM participations WHERE tenant_id = @tenant AND campaign_id = ?`, "taken part"
			}
			var n int
			if err := tx.Get(&n, q, c.ID); err != nil {
				return err
			}
			if n > 0 {
				return fault.New(fault.GameLocked, "the game's type cannot change from %s to %s: %d participants have %s already", c.Game.Type, in.Game.Type, n, what)
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

// gameLockClass keeps the campaigns' advisory locks apart from any other
// advisory lock on the same PostgreSQL database ("USHC").
const gameLockClass = 0x55534843

// lockGame takes a campaign's game lock until the end of tx on PostgreSQL:
// shared by plays, exclusive (with the campaign's row, which new
// participations lock to take their number) by a change of the settings.
// It is an advisory lock rather than a row lock for the plays: a FOR SHARE
// on the row would queue them behind every new participation's number, and
// let a steady stream of them starve a change (see event.lockEvent). SQLite's
// single writer serializes without it.
func lockGame(tx *db.Tx, campaignID string, exclusive bool) error {
	if tx.Dialect() != db.Postgres {
		return nil
	}
	fn := "pg_advisory_xact_lock_shared"
	if exclusive {
		fn = "pg_advisory_xact_lock"
	}
	if _, err := tx.Global().Exec(`SELECT `+fn+`(?, hashtext(?))`, gameLockClass, campaignID); err != nil {
		return err
	}
	if !exclusive {
		return nil
	}
	_, err := tx.Exec(`SELECT id FROM campaigns WHERE id = ? AND tenant_id = @tenant FOR UPDATE`, campaignID)
	return err
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
