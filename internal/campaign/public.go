package campaign

import (
	"context"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// CheckParticipationLimit spends one unit of the per-address budget of
// public participations, so that the API and the landing page share one
// limit. It answers rate_limited with a retry time when the budget is spent.
func (s *Service) CheckParticipationLimit(ctx context.Context, ip string) error {
	if s.limiter == nil {
		return nil
	}
	res, err := s.limiter.AllowN(ctx, "campaign-participate:ip:"+ip, s.cfg.ParticipationLimit, 1)
	if err != nil {
		return err
	}
	if !res.Allowed {
		secs := int(res.RetryAfter.Seconds()) + 1
		return &fault.Error{Code: fault.RateLimited, Message: "too many participations from this address; try again later", RetryAfter: secs}
	}
	return nil
}

// ParticipantView is what the participant's own page shows about their
// entry: no personal data, since the participation id in its address is
// the only thing that guards it. What the game showed is as it was when it
// was played, whatever its settings became since.
type ParticipantView struct {
	ID         string
	CampaignID string
	Number     int
	Status     string
	// Result is empty until the game is played.
	Result string
	Gift   string
	// Segment is the roulette segment that came up, if any.
	Segment string
	Right   int
	// GiftGone is true for a success whose gift had run out.
	GiftGone bool
	// Questions is how many questions the game had when it was played
	// (ox, quiz); zero for results stored before it was kept.
	Questions int
	Played    bool
	PlayedAt  *time.Time
}

// GetParticipantView returns a participation as its participant sees it.
func (s *Service) GetParticipantView(ctx context.Context, participationID string) (*ParticipantView, error) {
	var out *ParticipantView
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		tx, err := participationScope(tx, participationID)
		if err != nil {
			return err
		}
		p, err := getParticipation(tx, participationID)
		if err != nil {
			return err
		}
		d := readPlayDetail(p.PlayDetail)
		out = &ParticipantView{ID: p.ID, CampaignID: p.CampaignID, Number: p.Number, Status: p.Status,
			Result: p.Result, Segment: p.Segment, Right: d.Right, GiftGone: d.NoStock, Questions: d.Questions, Played: p.PlayedAt != nil, PlayedAt: p.PlayedAt}
		if p.GiftStatus != GiftReturned {
			out.Gift = p.GiftName
		}
		return nil
	})
	return out, err
}

// LiveCounts are the numbers the organizer's campaign page keeps current.
type LiveCounts struct {
	Participants int `json:"participants" db:"participants"`
	Played       int `json:"played" db:"played"`
	Successes    int `json:"successes" db:"successes"`
	Failures     int `json:"failures" db:"failures"`
	GiftsSent    int `json:"gifts_sent" db:"gifts_sent"`
}

// LiveCounts computes a campaign's live numbers in one query: the
// aggregate is answered from the participations_by_channel index (result
// and gift state are in it), and the rejected wins that it moves from the
// successes to the failures, as the report does (see rejectedWinsWhere),
// are counted in the same statement, so that both are of one moment.
func (s *Service) LiveCounts(ctx context.Context, campaignID string) (*LiveCounts, error) {
	var out struct {
		LiveCounts
		Rejected int `db:"rejected"`
	}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.getCampaign(tx, campaignID); err != nil {
			return err
		}
		return tx.Get(&out, `SELECT COUNT(*) AS participants,
			COALESCE(SUM(CASE WHEN result IS NOT NULL AND result <> '' THEN 1 ELSE 0 END), 0) AS played,
			COALESCE(SUM(CASE WHEN result = 'success' THEN 1 ELSE 0 END), 0) AS successes,
			COALESCE(SUM(CASE WHEN result = 'failure' THEN 1 ELSE 0 END), 0) AS failures,
			COALESCE(SUM(CASE WHEN gift_status IN ('confirmed', 'handed_out') THEN 1 ELSE 0 END), 0) AS gifts_sent,
			(SELECT COUNT(*) FROM participations WHERE `+rejectedWinsWhere+`) AS rejected
			FROM participations WHERE tenant_id = @tenant AND campaign_id = ?`, campaignID, campaignID)
	})
	if err != nil {
		return nil, err
	}
	c := out.LiveCounts
	c.Successes -= out.Rejected
	c.Failures += out.Rejected
	return &c, nil
}

// DrawSummary is one draw in a campaign's list of draws.
type DrawSummary struct {
	ID         string     `json:"id" db:"id"`
	Count      int        `json:"count" db:"count"`
	Commitment string     `json:"commitment" db:"commitment"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	RunAt      *time.Time `json:"run_at,omitempty" db:"run_at"`
}

// ListDraws lists a campaign's draws, newest first.
func (s *Service) ListDraws(ctx context.Context, campaignID string, page api.PageParams) (*api.List[DrawSummary], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	var out []DrawSummary
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.getCampaign(tx, campaignID); err != nil {
			return err
		}
		q := `SELECT id, count, commitment, created_at, run_at FROM draws WHERE tenant_id = @tenant AND campaign_id = ?`
		args := []any{campaignID}
		if after != "" {
			q += ` AND id < ?`
			args = append(args, after)
		}
		return tx.Select(&out, q+` ORDER BY id DESC LIMIT ?`, append(args, page.Limit+1)...)
	})
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(d DrawSummary) string { return d.ID }), nil
}
