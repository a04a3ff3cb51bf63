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
	Successes    int       `json:"successes" doc:"Games won, less those whose participation staff rejected."`
	Failures     int       `json:"failures" doc:"Games lost, and games won whose participation staff rejected; successes + failures is the games played."`
	GiftsSent    int       `json:"gifts_sent" doc:"Gifts won and approved or handed out."`
	BySchool     []Group   `json:"by_school"`
	ByDepartment []Group   `json:"by_department"`
	ByChannel    []Group   `json:"by_channel"`
	ByHour       []Group   `json:"by_hour" doc:"Key is the hour's start, RFC 3339 UTC."`
	GeneratedAt  time.Time `json:"generated_at"`
}

// Each breakdown is one GROUP BY answered from a covering index (see
// migration 00005); the totals are summed from the channel breakdown, which
// also carries the gift state, so they cost no query of their own. They
// count games by their result; rejectedWins then moves the wins staff
// rejected to the failures.
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

// A rejected win is a participation whose game succeeded and that staff
// then rejected. The reports and the live counts count it as a failure,
// not a success: the organizer turned the win down, its gift went back to
// the stock and no draw takes it. successes + failures stays the number of
// games played; a game not played yet is neither. The covering indexes do
// not hold the approval status, so rejected wins are found in one pass over
// the campaign's rows, grouped by every breakdown's key at once, rather
// than four passes of the breakdowns themselves.
const rejectedWinsWhere = `tenant_id = @tenant AND campaign_id = ? AND result = 'success' AND status = 'rejected'`

// rejectedWin is a count of rejected wins with the keys of each breakdown.
type rejectedWin struct {
	Channel      string `db:"channel"`
	SchoolID     string `db:"school_id"`
	DepartmentID string `db:"department_id"`
	Hour         int64  `db:"created_hour"`
	N            int    `db:"n"`
}

func rejectedWins(tx *db.Tx, campaignID string) ([]rejectedWin, error) {
	var out []rejectedWin
	err := tx.Select(&out, `SELECT channel, school_id, department_id, created_hour, COUNT(*) AS n FROM participations
		WHERE `+rejectedWinsWhere+` GROUP BY channel, school_id, department_id, created_hour`, campaignID)
	return out, err
}

// countRejected moves n rejected wins of the group with the key from its
// successes to its failures. The queries are not one snapshot (see
// db.Read): a win played and rejected after its breakdown was counted is
// left out, as the breakdown left it out.
func countRejected(groups []Group, key string, n int) {
	for i := range groups {
		if groups[i].Key == key {
			n = min(n, groups[i].Successes)
			groups[i].Successes -= n
			groups[i].Failures += n
			return
		}
	}
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
			out.ByHour[i] = Group{Key: hourKey(h.Hour), Name: hourKey(h.Hour), Participants: h.Participants, Successes: h.Successes, Failures: h.Failures}
		}
		rejected, err := rejectedWins(tx, c.ID)
		if err != nil {
			return err
		}
		for _, r := range rejected {
			countRejected(out.ByChannel, r.Channel, r.N)
			countRejected(out.BySchool, r.SchoolID, r.N)
			countRejected(out.ByDepartment, r.DepartmentID, r.N)
			countRejected(out.ByHour, hourKey(r.Hour), r.N)
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

// hourKey is the key of an hour in the report: its start, RFC 3339 UTC.
func hourKey(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

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
