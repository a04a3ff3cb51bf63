package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-events/usher/internal/db"
)

// Group is one row of a report breakdown.
type Group struct {
	Key          string `json:"key" db:"k"`
	Name         string `json:"name" db:"-"`
	Participants int    `json:"participants" db:"participants"`
	Successes    int    `json:"successes" db:"successes"`
	Failures     int    `json:"failures" db:"failures"`
	GiftsSent    int    `json:"gifts_sent,omitempty" db:"gifts_sent"`
}

// Stats are a campaign's aggregates, for reports and live counts.
type Stats struct {
	CampaignID   string    `json:"campaign_id"`
	CampaignName string    `json:"campaign_name"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	Status       string    `json:"status"`
	Participants int       `json:"participants"`
	Successes    int       `json:"successes"`
	Failures     int       `json:"failures"`
	GiftsSent    int       `json:"gifts_sent" doc:"Gifts won and approved or handed out."`
	BySchool     []Group   `json:"by_school"`
	ByDepartment []Group   `json:"by_department"`
	ByChannel    []Group   `json:"by_channel"`
	ByHour       []Group   `json:"by_hour" doc:"Key is the hour's start, RFC 3339 UTC."`
	GeneratedAt  time.Time `json:"generated_at"`
}

// Each breakdown is one GROUP BY answered from a covering index (see
// migration 00005); the totals are summed from the channel breakdown, which
// also carries the gift state, so they cost no query of their own.
const statsSelect = `SELECT %s AS k, COUNT(*) AS participants,
	SUM(CASE WHEN result = 'success' THEN 1 ELSE 0 END) AS successes,
	SUM(CASE WHEN result = 'failure' THEN 1 ELSE 0 END) AS failures, %s AS gifts_sent
	FROM participations WHERE tenant_id = @tenant AND campaign_id = ? GROUP BY %s ORDER BY %s`

func statsQuery(col string, gifts bool) string {
	g := "0"
	if gifts {
		g = "SUM(CASE WHEN gift_status IN ('confirmed', 'handed_out') THEN 1 ELSE 0 END)"
	}
	return fmt.Sprintf(statsSelect, col, g, col, col)
}

// Stats computes a campaign's aggregates for the tenant of ctx.
func (s *Service) Stats(ctx context.Context, campaignID string) (*Stats, error) {
	out := &Stats{GeneratedAt: s.now()}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		c, err := s.getCampaign(tx, campaignID)
		if err != nil {
			return err
		}
		out.CampaignID, out.CampaignName, out.StartsAt, out.EndsAt, out.Status = c.ID, c.Name, c.StartsAt, c.EndsAt, c.Status
		if err := tx.Select(&out.ByChannel, statsQuery("channel", true), c.ID); err != nil {
			return err
		}
		if err := tx.Select(&out.BySchool, statsQuery("school_id", false), c.ID); err != nil {
			return err
		}
		if err := tx.Select(&out.ByDepartment, statsQuery("department_id", false), c.ID); err != nil {
			return err
		}
		var hours []struct {
			Hour         int64 `db:"k"`
			Participants int   `db:"participants"`
			Successes    int   `db:"successes"`
			Failures     int   `db:"failures"`
			GiftsSent    int   `db:"gifts_sent"`
		}
		if err := tx.Select(&hours, statsQuery("created_hour", false), c.ID); err != nil {
			return err
		}
		out.ByHour = make([]Group, len(hours))
		for i, h := range hours {
			k := time.Unix(h.Hour, 0).UTC().Format(time.RFC3339)
			out.ByHour[i] = Group{Key: k, Name: k, Participants: h.Participants, Successes: h.Successes, Failures: h.Failures}
		}
		if err := nameGroups(tx, out.BySchool, "schools"); err != nil {
			return err
		}
		return nameGroups(tx, out.ByDepartment, "departments")
	})
	if err != nil {
		return nil, err
	}
	for i, g := range out.ByChannel {
		out.ByChannel[i].Name = g.Key
		out.Participants += g.Participants
		out.Successes += g.Successes
		out.Failures += g.Failures
		out.GiftsSent += g.GiftsSent
	}
	for _, l := range []*[]Group{&out.BySchool, &out.ByDepartment, &out.ByChannel} {
		if *l == nil {
			*l = []Group{}
		}
	}
	return out, nil
}

// nameGroups fills in the names of schools or departments; the empty key is
// "(none)".
func nameGroups(tx *db.Tx, groups []Group, table string) error {
	var names []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := tx.Select(&names, `SELECT id, name FROM `+table+` WHERE tenant_id = @tenant`); err != nil {
		return err
	}
	byID := map[string]string{}
	for _, n := range names {
		byID[n.ID] = n.Name
	}
	for i, g := range groups {
		if g.Key == "" {
			groups[i].Name = "(none)"
		} else {
			groups[i].Name = byID[g.Key]
		}
	}
	return nil
}
