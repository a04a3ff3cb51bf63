package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/outbox"
)

// Results of a game.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Approval states of a participation.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
)

// States of the gift a participation won.
const (
	GiftReserved  = "reserved"
	GiftConfirmed = "confirmed"
	GiftHandedOut = "handed_out"
	GiftReturned  = "returned"
)

// Sources of a participation.
const (
	SourceForm     = "form"
	SourceExternal = "external"
)

// Participation is one person's entry in a campaign.
type Participation struct {
	ID             string     `json:"id" db:"id"`
	CampaignID     string     `json:"campaign_id" db:"campaign_id"`
	Number         int        `json:"participation_number" db:"number"`
	Name           string     `json:"name" db:"name"`
	Phone          string     `json:"phone" db:"phone" doc:"E.164."`
	Channel        string     `json:"channel" db:"channel"`
	SchoolID       string     `json:"school_id,omitempty" db:"school_id"`
	DepartmentID   string     `json:"department_id,omitempty" db:"department_id"`
	ConsentVersion string     `json:"consent_version" db:"consent_version"`
	Source         string     `json:"source" db:"source" enum:"form,external"`
	UserAgent      string     `json:"user_agent,omitempty" db:"user_agent"`
	IP             string     `json:"ip,omitempty" db:"ip"`
	CreatedAt      time.Time  `json:"created_at" db:"created_at"`
	Result         string     `json:"result,omitempty" db:"result" enum:"success,failure"`
	PlayedAt       *time.Time `json:"played_at,omitempty" db:"played_at"`
	GiftID         string     `json:"gift_id,omitempty" db:"gift_id"`
	GiftStatus     string     `json:"gift_status,omitempty" db:"gift_status" enum:"reserved,confirmed,handed_out,returned"`
	Status         string     `json:"status" db:"status" enum:"pending,approved,rejected"`
	DecidedAt      *time.Time `json:"decided_at,omitempty" db:"decided_at"`
	// Segment and GiftName are what the game showed when it was played,
	// read from the stored play detail: the organizer may change the wheel
	// later, and the result must not change with it.
	Segment    string `json:"segment,omitempty" db:"-" doc:"The roulette segment that came up, as it was labelled when the game was played."`
	GiftName   string `json:"gift_name,omitempty" db:"-" doc:"The name of the gift won, as it was when the game was played."`
	PlayDetail string `json:"-" db:"play_detail"`
	TenantID   string `json:"-" db:"tenant_id"`
}

const participationColumns = `tenant_id, id, campaign_id, number, name, phone, channel, school_id, department_id, consent_version, source,
	user_agent, ip, created_at, result, played_at, gift_id, gift_status, status, decided_at, play_detail`

// ParticipateInput is what a participant submits.
type ParticipateInput struct {
	Name       string `json:"name" maxLength:"100"`
	Phone      string `json:"phone" maxLength:"32" doc:"Any spelling; Korea is the default region."`
	Channel    string `json:"channel,omitempty" maxLength:"40" doc:"The ch= of the link; an unknown or missing channel is recorded as direct."`
	School     string `json:"school,omitempty" maxLength:"200" doc:"A school's id or exact name."`
	Department string `json:"department,omitempty" maxLength:"200" doc:"A department's id or exact name, within the school."`
	Consent    *bool  `json:"consent" doc:"Must be true: agreement to the consent text of the campaign's consent_version."`
	// Website is a honeypot: a field people never see and bots fill in.
	Website string `json:"website,omitempty" maxLength:"500" doc:"Leave empty."`
}

// Meta is what the server knows about a submission besides its body.
type Meta struct {
	UserAgent string
	IP        string
	// At overrides the participation time (external records carry their own).
	At time.Time
}

// participant is validated, normalized input.
type participant struct {
	name, phone, channel, school, department string
}

func (in *ParticipateInput) validate() (participant, error) {
	var c fault.Check
	name, ok := cleanText(in.Name)
	c.Add(!ok, "name", "must not be empty or hold control characters")
	phone, ok := NormalizePhone(in.Phone)
	c.Add(!ok, "phone", "must be a valid phone number")
	c.Add(in.Consent == nil || !*in.Consent, "consent", "must be true: participation needs consent")
	for _, f := range []struct{ name, v string }{{"school", in.School}, {"department", in.Department}, {"channel", in.Channel}} {
		if f.v != "" {
			_, ok := cleanText(f.v)
			c.Add(!ok, f.name, "must not hold control characters")
		}
	}
	return participant{name: name, phone: phone, channel: strings.ToLower(strings.TrimSpace(in.Channel)),
		school: strings.TrimSpace(in.School), department: strings.TrimSpace(in.Department)}, c.Err()
}

// Participate records a participation in a public campaign. A filled-in
// honeypot gets an answer that looks like success but stores nothing, so a
// bot learns nothing from the status code.
func (s *Service) Participate(ctx context.Context, campaignID string, in ParticipateInput, meta Meta) (*Participation, error) {
	p, err := in.validate()
	if err != nil {
		return nil, err
	}
	if in.Website != "" {
		n, _ := rand.Int(rand.Reader, big.NewInt(5000))
		return &Participation{ID: id.New(prefixParticipation), CampaignID: campaignID, Number: int(n.Int64()) + 1,
			Channel: ChannelDirect, Status: StatusPending, CreatedAt: s.now(), Source: SourceForm}, nil
	}
	var out *Participation
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		scoped, c, err := s.resolveCampaign(tx, campaignID)
		if err != nil {
			return err
		}
		out, err = s.insertParticipation(scoped, c, p, SourceForm, meta)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// insertParticipation checks the campaign is open, takes the next number and
// inserts the participation; the unique index on the normalized phone turns
// a second entry of the same person into duplicate_participation, however
// many arrive at once.
func (s *Service) insertParticipation(tx *db.Tx, c *Campaign, p participant, source string, meta Meta) (*Participation, error) {
	now := s.now()
	at := now
	if !meta.At.IsZero() {
		at = meta.At.UTC().Truncate(time.Microsecond)
	}
	if c.StatusAt(at) != StatusActive || (source == SourceExternal && c.StatusAt(now) == StatusScheduled) {
		return nil, fault.New(fault.CampaignNotActive, "the campaign %q is not open for participation", c.ID)
	}
	out := &Participation{
		ID: id.New(prefixParticipation), CampaignID: c.ID, Name: p.name, Phone: p.phone, Channel: p.channel,
		ConsentVersion: c.ConsentVersion, Source: source, UserAgent: truncate(meta.UserAgent, 500), IP: meta.IP,
		CreatedAt: at, Status: StatusPending, TenantID: tx.Tenant(),
	}
	if !slices.Contains(c.Channels, out.Channel) && source == SourceForm {
		out.Channel = ChannelDirect
	}
	if err := s.placeSchool(tx, c, p, out); err != nil {
		return nil, err
	}
	// The number comes with the game and approval as they are once the
	// campaign's row is locked: on PostgreSQL a change of the game that
	// committed since c was read is seen here (UpdateCampaign locks the
	// row before it counts the participations).
	var taken struct {
		Number   int    `db:"last_number"`
		Game     string `db:"game"`
		Approval string `db:"approval"`
	}
	if err := tx.Get(&taken, `UPDATE campaigns SET last_number = last_number + 1 WHERE id = ? AND tenant_id = @tenant
		RETURNING last_number, game, approval`, c.ID); err != nil {
		return nil, err
	}
	out.Number = taken.Number
	var game struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(taken.Game), &game); err != nil {
		return nil, err
	}
	if game.Type == GameNone && taken.Approval == "auto" {
		out.Status, out.DecidedAt = StatusApproved, &now
	}
	_, err := tx.Exec(`INSERT INTO participations (tenant_id, id, campaign_id, number, name, phone, channel, school_id, department_id,
		consent_version, source, user_agent, ip, created_at, created_hour, status, decided_at)
		VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		out.ID, out.CampaignID, out.Number, out.Name, out.Phone, out.Channel, out.SchoolID, out.DepartmentID,
		out.ConsentVersion, out.Source, out.UserAgent, out.IP, out.CreatedAt, out.CreatedAt.Truncate(time.Hour).Unix(), out.Status, out.DecidedAt)
	if db.IsUnique(err) {
		return nil, fault.New(fault.DuplicateParticipation, "this phone number has already entered the campaign")
	}
	if err != nil {
		return nil, err
	}
	if _, err := outbox.Emit(tx, "participation.created", out.ID, s.message(c, out, ""), now); err != nil {
		return nil, err
	}
	if out.Status == StatusApproved {
		if _, err := outbox.Emit(tx, "participation.approved", out.ID, s.message(c, out, ""), now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// placeSchool resolves the school and department (by id or exact name) and
// checks them against the campaign's schools.
func (s *Service) placeSchool(tx *db.Tx, c *Campaign, p participant, out *Participation) error {
	if p.school == "" {
		if p.department != "" {
			return fault.Field("department", "needs a school")
		}
		return nil
	}
	var schoolID string
	err := tx.Get(&schoolID, `SELECT id FROM schools WHERE tenant_id = @tenant AND (id = ? OR name = ?) ORDER BY id LIMIT 1`, p.school, p.school)
	if fault.Is(err, fault.NotFound) || (err == nil && len(c.SchoolIDs) > 0 && !slices.Contains(c.SchoolIDs, schoolID)) {
		return fault.Field("school", "is not one of the campaign's schools")
	}
	if err != nil {
		return err
	}
	out.SchoolID = schoolID
	if p.department == "" {
		return nil
	}
	err = tx.Get(&out.DepartmentID, `SELECT id FROM departments WHERE tenant_id = @tenant AND school_id = ? AND (id = ? OR name = ?) ORDER BY id LIMIT 1`,
		schoolID, p.department, p.department)
	if fault.Is(err, fault.NotFound) {
		return fault.Field("department", "is not a department of the school")
	}
	return err
}

// Message is the payload of the campaign's domain events: what a message to
// the participant needs.
type Message struct {
	ParticipationID string `json:"participation_id"`
	CampaignID      string `json:"campaign_id"`
	CampaignName    string `json:"campaign_name"`
	Number          int    `json:"participation_number"`
	Name            string `json:"name"`
	Phone           string `json:"phone"`
	Channel         string `json:"channel"`
	Result          string `json:"result,omitempty"`
	Status          string `json:"status"`
	GiftName        string `json:"gift_name,omitempty"`
	DrawID          string `json:"draw_id,omitempty"`
}

func (s *Service) message(c *Campaign, p *Participation, gift string) Message {
	return Message{ParticipationID: p.ID, CampaignID: c.ID, CampaignName: c.Name, Number: p.Number, Name: p.Name,
		Phone: p.Phone, Channel: p.Channel, Result: p.Result, Status: p.Status, GiftName: gift}
}

// PlayInput carries a participant's answers.
type PlayInput struct {
	Answers []string `json:"answers,omitempty" maxItems:"100" doc:"One answer per question, in order: \"O\"/\"X\" for ox, the choice text for quiz. Empty for roulette."`
}

// GiftRef names a gift.
type GiftRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PlayResult is the decided outcome of a game.
type PlayResult struct {
	ParticipationID string   `json:"participation_id"`
	Result          string   `json:"result" enum:"success,failure"`
	Gift            *GiftRef `json:"gift,omitempty"`
	Right           *int     `json:"right,omitempty" doc:"Right answers (ox, quiz)."`
	Segment         string   `json:"segment,omitempty" doc:"The roulette segment that came up."`
	SegmentIndex    *int     `json:"segment_index,omitempty" doc:"Its place in the game's segments, from 0 (labels may repeat)."`
	Status          string   `json:"status" enum:"pending,approved,rejected"`
}

// Play decides a participation's game on the server, once.
func (s *Service) Play(ctx context.Context, participationID string, in PlayInput) (*PlayResult, error) {
	var out *PlayResult
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		tx, err := participationScope(tx, participationID)
		if err != nil {
			return err
		}
		out, err = s.play(tx, participationID, in)
		return err
	})
	return out, err
}

func (s *Service) play(tx *db.Tx, participationID string, in PlayInput) (*PlayResult, error) {
	p, err := getParticipation(tx, participationID)
	if err != nil {
		return nil, err
	}
	// The game is read under its lock, so that its type cannot change
	// between this read and the result (see UpdateCampaign).
	if err := lockGame(tx, p.CampaignID, false); err != nil {
		return nil, err
	}
	c, err := s.getCampaign(tx, p.CampaignID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case c.Game.Type == GameNone:
		return nil, fault.New(fault.Validation, "the campaign has no game to play")
	case p.PlayedAt != nil:
		return nil, fault.New(fault.AlreadyPlayed, "this participation has played already")
	case c.StatusAt(now) != StatusActive:
		return nil, fault.New(fault.CampaignNotActive, "the campaign %q is not open", c.ID)
	case p.Status == StatusRejected:
		return nil, fault.New(fault.Conflict, "this participation was rejected")
	}
	// Claim the play first: on PostgreSQL the row lock makes a concurrent
	// second play wait here and then find played_at set.
	res, err := tx.Exec(`UPDATE participations SET played_at = ? WHERE id = ? AND tenant_id = @tenant AND played_at IS NULL`, now, p.ID)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fault.New(fault.AlreadyPlayed, "this participation has played already")
	}
	// Read the row again now that it is claimed: an approval or rejection
	// that committed while the claim waited for it (PostgreSQL) is seen
	// here, instead of being written over with the state read before.
	if p, err = getParticipation(tx, participationID); err != nil {
		return nil, err
	}
	if p.Status == StatusRejected {
		return nil, fault.New(fault.Conflict, "this participation was rejected")
	}
	gifts, err := campaignGifts(tx, c.ID)
	if err != nil {
		return nil, err
	}
	byName := giftsByName(gifts)
	out := &PlayResult{ParticipationID: p.ID, Result: ResultFailure}
	var won *Gift
	detail := playDetail{}
	switch c.Game.Type {
	case GameOX, GameQuiz:
		right, pass := c.Game.score(in.Answers)
		detail.Answers, detail.Right, detail.PassMark, detail.Questions = in.Answers, right, c.Game.PassMark, len(c.Game.Questions)
		out.Right = &right
		if pass {
			out.Result = ResultSuccess
			if g, ok := byName[c.Game.Gift]; ok && c.Game.Gift != "" {
				ok, err := reserveGift(tx, g.ID)
				if err != nil {
					return nil, err
				}
				if ok {
					won = &g
				} else {
					detail.NoStock = true
				}
			}
		}
	case GameRoulette:
		seed := make([]byte, 32)
		rand.Read(seed)
		detail.Seed = hex.EncodeToString(seed)
		exhausted := map[string]bool{}
		allowed := func(sg Segment) bool {
			return segmentAvailable(sg, byName) && !exhausted[sg.Gift]
		}
		// A gift can run out between reading the stock and reserving it;
		// then that gift's segments are struck and the wheel spins again.
		for attempt := uint64(0); ; attempt++ {
			i, v := c.Game.spin(seed, attempt, allowed)
			note := spinNote{Attempt: attempt, Value: v, Segment: i}
			if i < 0 {
				// Nothing can come up (any more): the loss names no
				// segment, not the sold-out one of the spin before.
				out.Segment, out.SegmentIndex = "", nil
				detail.Spins = append(detail.Spins, note)
				break
			}
			sg := c.Game.Segments[i]
			out.Segment, out.SegmentIndex = sg.Label, &i
			note.Label, note.Gift = sg.Label, sg.Gift
			if sg.Gift == "" {
				detail.Spins = append(detail.Spins, note)
				break
			}
			g := byName[sg.Gift]
			ok, err := reserveGift(tx, g.ID)
			if err != nil {
				return nil, err
			}
			note.Won = ok
			detail.Spins = append(detail.Spins, note)
			if ok {
				out.Result, won = ResultSuccess, &g
				break
			}
			exhausted[sg.Gift] = true
		}
	}
	p.Result = out.Result
	detail.Segment = out.Segment
	giftName := ""
	if won != nil {
		p.GiftID, p.GiftStatus, giftName = won.ID, GiftReserved, won.Name
		detail.GiftName = won.Name
		out.Gift = &GiftRef{ID: won.ID, Name: won.Name}
		// An organizer may approve before the game is played: the gift is
		// then confirmed at once, as Approve would have done, or it would
		// stay reserved with no way left to confirm or hand it out.
		if p.Status == StatusApproved {
			p.GiftStatus = GiftConfirmed
		}
	}
	approvedNow := out.Result == ResultSuccess && c.Approval == "auto" && p.Status == StatusPending
	if approvedNow {
		p.Status, p.DecidedAt = StatusApproved, &now
		if won != nil {
			p.GiftStatus = GiftConfirmed
		}
	}
	raw, _ := json.Marshal(detail)
	if _, err := tx.Exec(`UPDATE participations SET result = ?, play_detail = ?, gift_id = ?, gift_status = ?, status = ?, decided_at = ?
		WHERE id = ? AND tenant_id = @tenant`, p.Result, string(raw), p.GiftID, p.GiftStatus, p.Status, p.DecidedAt, p.ID); err != nil {
		return nil, err
	}
	out.Status = p.Status
	if _, err := outbox.Emit(tx, "participation.result", p.ID, s.message(c, p, giftName), now); err != nil {
		return nil, err
	}
	if approvedNow {
		if _, err := outbox.Emit(tx, "participation.approved", p.ID, s.message(c, p, giftName), now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func getParticipation(tx *db.Tx, participationID string) (*Participation, error) {
	var p Participation
	err := tx.Get(&p, `SELECT `+participationColumns+` FROM participations WHERE id = ? AND tenant_id = @tenant`, participationID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no participation %q", participationID)
	}
	if err != nil {
		return nil, err
	}
	one := []Participation{p}
	if err := describePlayed(tx, one); err != nil {
		return nil, err
	}
	return &one[0], nil
}

// GetParticipation returns one participation of the tenant of ctx.
func (s *Service) GetParticipation(ctx context.Context, participationID string) (*Participation, error) {
	var p *Participation
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		p, err = getParticipation(tx, participationID)
		return err
	})
	return p, err
}

// Approve confirms a participation (and the gift it won). Approving an
// approved participation changes nothing.
func (s *Service) Approve(ctx context.Context, participationID string) (*Participation, error) {
	return s.decide(ctx, participationID, func(tx *db.Tx, p *Participation) (string, error) {
		switch p.Status {
		case StatusApproved:
			return "", nil
		case StatusRejected:
			return "", fault.New(fault.Conflict, "the participation was rejected; it cannot be approved")
		}
		p.Status = StatusApproved
		if p.GiftStatus == GiftReserved {
			p.GiftStatus = GiftConfirmed
		}
		return "participation.approved", nil
	})
}

// Reject turns a participation down and returns its gift to the stock.
// Rejecting a rejected participation changes nothing.
func (s *Service) Reject(ctx context.Context, participationID string) (*Participation, error) {
	return s.decide(ctx, participationID, func(tx *db.Tx, p *Participation) (string, error) {
		switch {
		case p.Status == StatusRejected:
			return "", nil
		case p.GiftStatus == GiftHandedOut:
			return "", fault.New(fault.Conflict, "the gift was handed out; the participation cannot be rejected")
		}
		p.Status = StatusRejected
		if p.GiftStatus == GiftReserved || p.GiftStatus == GiftConfirmed {
			if err := releaseGift(tx, p.GiftID); err != nil {
				return "", err
			}
			p.GiftStatus = GiftReturned
		}
		return "participation.rejected", nil
	})
}

// HandOut records that an approved participation's gift was handed over.
func (s *Service) HandOut(ctx context.Context, participationID string) (*Participation, error) {
	return s.decide(ctx, participationID, func(tx *db.Tx, p *Participation) (string, error) {
		switch {
		case p.GiftStatus == GiftHandedOut:
			return "", nil
		case p.Status != StatusApproved || p.GiftStatus != GiftConfirmed:
			return "", fault.New(fault.Conflict, "only an approved participation with a gift can be handed out")
		}
		if err := handOutGift(tx, p.GiftID); err != nil {
			return "", err
		}
		p.GiftStatus = GiftHandedOut
		return "participation.handed_out", nil
	})
}

// decide runs a state change on a participation of the tenant of ctx. The
// update is conditional on the state it was read in, so two concurrent
// decisions cannot both apply.
func (s *Service) decide(ctx context.Context, participationID string, change func(*db.Tx, *Participation) (string, error)) (*Participation, error) {
	var out *Participation
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		p, err := getParticipation(tx, participationID)
		if err != nil {
			return err
		}
		before, beforeGift := p.Status, p.GiftStatus
		kind, err := change(tx, p)
		if err != nil || kind == "" {
			out = p
			return err
		}
		now := s.now()
		p.DecidedAt = &now
		if err := tx.ExecOne(`UPDATE participations SET status = ?, gift_status = ?, decided_at = ?
			WHERE id = ? AND tenant_id = @tenant AND status = ? AND gift_status = ?`,
			p.Status, p.GiftStatus, now, p.ID, before, beforeGift); err != nil {
			if fault.Is(err, fault.NotFound) {
				return fault.New(fault.Conflict, "the participation changed meanwhile; try again")
			}
			return err
		}
		c, err := s.getCampaign(tx, p.CampaignID)
		if err != nil {
			return err
		}
		gift := ""
		if p.GiftID != "" {
			if err := tx.Get(&gift, `SELECT name FROM gifts WHERE id = ? AND tenant_id = @tenant`, p.GiftID); err != nil {
				return err
			}
		}
		if _, err := outbox.Emit(tx, kind, p.ID, s.message(c, p, gift), now); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, participationID)
	return out, nil
}

// ParticipationFilter narrows a list of participations.
type ParticipationFilter struct {
	Status string
	Result string
	// Phone matches one person (any spelling).
	Phone    string
	SchoolID string
	Channel  string
	// Query is a participation number, or a part of a name.
	Query string
}

// ListParticipations lists a campaign's participations by number.
func (s *Service) ListParticipations(ctx context.Context, campaignID string, f ParticipationFilter, page api.PageParams) (*api.List[Participation], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	afterN := 0
	if after != "" {
		if err := json.Unmarshal([]byte(after), &afterN); err != nil {
			return nil, fault.Field("cursor", "is not a cursor returned by this API")
		}
	}
	var out []Participation
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		if _, err := s.getCampaign(tx, campaignID); err != nil {
			return err
		}
		q := `SELECT ` + participationColumns + ` FROM participations WHERE tenant_id = @tenant AND campaign_id = ? AND number > ?`
		args := []any{campaignID, afterN}
		if f.Status != "" {
			q += ` AND status = ?`
			args = append(args, f.Status)
		}
		if f.Result != "" {
			q += ` AND result = ?`
			args = append(args, f.Result)
		}
		if f.Phone != "" {
			phone, ok := NormalizePhone(f.Phone)
			if !ok {
				return fault.Field("phone", "must be a valid phone number")
			}
			q += ` AND phone = ?`
			args = append(args, phone)
		}
		if f.SchoolID != "" {
			q += ` AND school_id = ?`
			args = append(args, f.SchoolID)
		}
		if f.Channel != "" {
			q += ` AND channel = ?`
			args = append(args, f.Channel)
		}
		if q2 := strings.TrimSpace(f.Query); q2 != "" {
			if n, err := strconv.Atoi(strings.TrimPrefix(q2, "#")); err == nil {
				q += ` AND number = ?`
				args = append(args, n)
			} else {
				q += ` AND name LIKE ? ESCAPE '\'`
				args = append(args, db.Contains(q2))
			}
		}
		q += ` ORDER BY number LIMIT ?`
		if err := tx.Select(&out, q, append(args, page.Limit+1)...); err != nil {
			return err
		}
		return describePlayed(tx, out)
	})
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(p Participation) string { return itoa(p.Number) }), nil
}

// truncate cuts s to at most n bytes of valid UTF-8 (PostgreSQL rejects
// anything else in a TEXT column).
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}

// participationScope narrows a public Tx to the tenant that owns the
// participation, so the public endpoints (play, the participant's page)
// go on with tenant-scoped queries.
func participationScope(tx *db.Tx, participationID string) (*db.Tx, error) {
	var owner string
	err := tx.Global().Get(&owner, `SELECT tenant_id FROM participations WHERE id = ?`, participationID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no participation %q", participationID)
	}
	if err != nil {
		return nil, err
	}
	return tx.Scope(owner), nil
}
