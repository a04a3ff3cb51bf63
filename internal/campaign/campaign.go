// Package campaign owns promotional campaigns: schools and departments,
// campaigns with their channels and games, participations (one per person,
// by normalized phone), gifts with stock, approvals, verifiable winner draws
// and records pushed by outside systems. Its services are called by the API
// handlers here and by the pages.
package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/ratelimit"
)

// Prefixes of the campaign domain's identifiers.
const (
	prefixSchool        = "sch"
	prefixDepartment    = "dep"
	prefixCampaign      = "cmp"
	prefixGift          = "gft"
	prefixParticipation = "par"
	prefixDraw          = "drw"
	prefixCredential    = "xcr"
	prefixRecord        = "xrc"
)

// Campaign statuses, computed from the period and a manual close.
const (
	StatusScheduled = "scheduled"
	StatusActive    = "active"
	StatusClosed    = "closed"
)

// ChannelDirect is the channel of a participation that came without a
// known channel: links get shortened and copied, and losing a participant
// over a mangled "?ch=" would be worse than counting them as direct.
const ChannelDirect = "direct"

// DefaultChannels are a new campaign's channels when it names none.
var DefaultChannels = []string{"instagram", "kakaotalk", "naver_blog", "tv", "store_qr"}

// Config tunes the campaign service.
type Config struct {
	// PublicURL is the absolute base of the public pages, for channel links
	// and their QR codes, e.g. "https://events.example.com".
	PublicURL string
	// ParticipationLimit caps public participations per client address.
	ParticipationLimit ratelimit.Limit
}

// Service holds the campaign domain's rules.
type Service struct {
	db      *db.DB
	now     func() time.Time
	limiter ratelimit.Limiter
	cfg     Config
}

// NewService returns the campaign service. limiter may be nil (no limits).
func NewService(conn *db.DB, now func() time.Time, limiter ratelimit.Limiter, cfg Config) *Service {
	if cfg.ParticipationLimit.Rate == 0 {
		cfg.ParticipationLimit = ratelimit.Limit{Rate: 20, Period: time.Minute}
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Service{db: conn, now: now, limiter: limiter, cfg: cfg}
}

// School is a school that campaigns can be linked to.
type School struct {
	ID        string    `json:"id" db:"id"`
	Name      string    `json:"name" db:"name"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

// Department belongs to a school.
type Department struct {
	ID        string    `json:"id" db:"id"`
	SchoolID  string    `json:"school_id" db:"school_id"`
	Name      string    `json:"name" db:"name"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

// cleanText trims s and reports whether it is usable as a stored name:
// non-empty and free of control characters (PostgreSQL rejects NUL).
func cleanText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return s, false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return s, false
		}
	}
	return s, true
}

// CreateSchool adds a school to the tenant of ctx.
func (s *Service) CreateSchool(ctx context.Context, name string) (*School, error) {
	name, ok := cleanText(name)
	if !ok {
		return nil, fault.Field("name", "must not be empty or hold control characters")
	}
	sc := &School{ID: id.New(prefixSchool), Name: name, CreatedAt: s.now()}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO schools (tenant_id, id, name, created_at) VALUES (@tenant, ?, ?, ?)`, sc.ID, sc.Name, sc.CreatedAt)
		return err
	})
	if db.IsUnique(err) {
		return nil, fault.New(fault.Conflict, "a school named %q exists already", name)
	}
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, sc.ID)
	return sc, nil
}

// ListSchools lists the tenant's schools by name.
func (s *Service) ListSchools(ctx context.Context, page api.PageParams) (*api.List[School], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	var out []School
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&out, `SELECT id, name, created_at FROM schools WHERE tenant_id = @tenant AND name > ? ORDER BY name LIMIT ?`, after, page.Limit+1)
	})
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(x School) string { return x.Name }), nil
}

// CreateDepartment adds a department to one of the tenant's schools.
func (s *Service) CreateDepartment(ctx context.Context, schoolID, name string) (*Department, error) {
	name, ok := cleanText(name)
	if !ok {
		return nil, fault.Field("name", "must not be empty or hold control characters")
	}
	d := &Department{ID: id.New(prefixDepartment), SchoolID: schoolID, Name: name, CreatedAt: s.now()}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.Get(&n, `SELECT COUNT(*) FROM schools WHERE id = ? AND tenant_id = @tenant`, schoolID); err != nil {
			return err
		}
		if n == 0 {
			return fault.New(fault.NotFound, "no school %q", schoolID)
		}
		_, err := tx.Exec(`INSERT INTO departments (tenant_id, id, school_id, name, created_at) VALUES (@tenant, ?, ?, ?, ?)`,
			d.ID, d.SchoolID, d.Name, d.CreatedAt)
		return err
	})
	if db.IsUnique(err) {
		return nil, fault.New(fault.Conflict, "the school has a department named %q already", name)
	}
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, d.ID)
	return d, nil
}

// ListDepartments lists a school's departments by name.
func (s *Service) ListDepartments(ctx context.Context, schoolID string, page api.PageParams) (*api.List[Department], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	var out []Department
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.Get(&n, `SELECT COUNT(*) FROM schools WHERE id = ? AND tenant_id = @tenant`, schoolID); err != nil {
			return err
		}
		if n == 0 {
			return fault.New(fault.NotFound, "no school %q", schoolID)
		}
		return tx.Select(&out, `SELECT id, school_id, name, created_at FROM departments
			WHERE tenant_id = @tenant AND school_id = ? AND name > ? ORDER BY name LIMIT ?`, schoolID, after, page.Limit+1)
	})
	if err != nil {
		return nil, err
	}
	return api.NewList(out, page.Limit, func(x Department) string { return x.Name }), nil
}

// Campaign is a promotional campaign.
type Campaign struct {
	ID             string     `json:"id" db:"id"`
	Name           string     `json:"name" db:"name"`
	Status         string     `json:"status" db:"-" enum:"scheduled,active,closed"`
	StartsAt       time.Time  `json:"starts_at" db:"starts_at"`
	EndsAt         time.Time  `json:"ends_at" db:"ends_at"`
	ClosedAt       *time.Time `json:"closed_at,omitempty" db:"closed_at"`
	Game           Game       `json:"game" db:"-"`
	Approval       string     `json:"approval" db:"approval" enum:"auto,manual"`
	Channels       []string   `json:"channels" db:"-"`
	SchoolIDs      []string   `json:"school_ids" db:"-"`
	ConsentVersion string     `json:"consent_version" db:"consent_version"`
	Participants   int        `json:"participants" db:"last_number"`
	CreatedAt      time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at" db:"updated_at"`

	GameJSON     string `json:"-" db:"game"`
	ChannelsJSON string `json:"-" db:"channels"`
	TenantID     string `json:"-" db:"tenant_id"`
}

// StatusAt computes the campaign's status at a moment.
func (c *Campaign) StatusAt(now time.Time) string {
	switch {
	case c.ClosedAt != nil && !now.Before(*c.ClosedAt), !now.Before(c.EndsAt):
		return StatusClosed
	case now.Before(c.StartsAt):
		return StatusScheduled
	}
	return StatusActive
}

// CreateCampaignInput describes a new campaign.
type CreateCampaignInput struct {
	Name     string    `json:"name" maxLength:"200"`
	StartsAt time.Time `json:"starts_at" doc:"RFC 3339."`
	EndsAt   time.Time `json:"ends_at" doc:"RFC 3339; after starts_at."`
	Game     Game      `json:"game"`
	Approval string    `json:"approval" enum:"auto,manual" doc:"auto approves every success at once; manual waits for an organizer."`
	// Channels are the campaign's link channels besides "direct".
	Channels       []string `json:"channels,omitempty" maxItems:"50" doc:"Channel names (lower-case letters, digits, _ and -); default instagram, kakaotalk, naver_blog, tv, store_qr."`
	SchoolIDs      []string `json:"school_ids,omitempty" maxItems:"500" doc:"Schools the campaign is for; participants then pick one of them."`
	ConsentVersion string   `json:"consent_version,omitempty" maxLength:"50" doc:"Version of the consent text participants agree to; default \"1\"."`
}

var channelRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Validate checks the campaign's fields together, with per-field errors.
func (in *CreateCampaignInput) Validate() error {
	var c fault.Check
	_, ok := cleanText(in.Name)
	c.Add(!ok, "name", "must not be empty or hold control characters")
	c.Add(in.StartsAt.IsZero(), "starts_at", "is required")
	c.Add(!in.EndsAt.After(in.StartsAt), "ends_at", "must be after starts_at")
	c.Add(in.Approval != "auto" && in.Approval != "manual", "approval", `must be "auto" or "manual"`)
	for i, ch := range in.Channels {
		c.Add(!channelRe.MatchString(ch), "channels", "channel "+itoa(i)+" must be lower-case letters, digits, _ or -")
	}
	if in.ConsentVersion != "" {
		_, ok := cleanText(in.ConsentVersion)
		c.Add(!ok, "consent_version", "must not hold control characters")
	}
	in.Game.validate(&c)
	return c.Err()
}

// CreateCampaign makes a campaign for the tenant of ctx.
func (s *Service) CreateCampaign(ctx context.Context, in CreateCampaignInput) (*Campaign, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	c := &Campaign{
		ID: id.New(prefixCampaign), Name: strings.TrimSpace(in.Name),
		StartsAt: in.StartsAt.UTC().Truncate(time.Microsecond), EndsAt: in.EndsAt.UTC().Truncate(time.Microsecond),
		Game: in.Game, Approval: in.Approval, ConsentVersion: in.ConsentVersion,
		CreatedAt: now, UpdatedAt: now,
	}
	if c.ConsentVersion == "" {
		c.ConsentVersion = "1"
	}
	if c.Game.Type == GameOX {
		for i := range c.Game.Questions {
			c.Game.Questions[i].Answer = strings.ToUpper(strings.TrimSpace(c.Game.Questions[i].Answer))
		}
	}
	c.Channels = []string{ChannelDirect}
	chans := in.Channels
	if len(chans) == 0 {
		chans = DefaultChannels
	}
	for _, ch := range chans {
		if !slices.Contains(c.Channels, ch) {
			c.Channels = append(c.Channels, ch)
		}
	}
	for _, sid := range in.SchoolIDs {
		if !slices.Contains(c.SchoolIDs, sid) {
			c.SchoolIDs = append(c.SchoolIDs, sid)
		}
	}
	if c.SchoolIDs == nil {
		c.SchoolIDs = []string{}
	}
	game, _ := json.Marshal(c.Game)
	chans2, _ := json.Marshal(c.Channels)
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if len(c.SchoolIDs) > 0 {
			args := make([]any, len(c.SchoolIDs))
			for i, v := range c.SchoolIDs {
				args[i] = v
			}
			var n int
			if err := tx.Get(&n, `SELECT COUNT(*) FROM schools WHERE tenant_id = @tenant AND id IN (`+db.Placeholders(len(args))+`)`, args...); err != nil {
				return err
			}
			if n != len(c.SchoolIDs) {
				return fault.Field("school_ids", "lists a school that does not exist")
			}
		}
		if _, err := tx.Exec(`INSERT INTO campaigns (tenant_id, id, name, starts_at, ends_at, game, approval, channels, consent_version, created_at, updated_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Name, c.StartsAt, c.EndsAt, string(game), c.Approval, string(chans2), c.ConsentVersion, c.CreatedAt, c.UpdatedAt); err != nil {
			return err
		}
		for _, sid := range c.SchoolIDs {
			if _, err := tx.Exec(`INSERT INTO campaign_schools (tenant_id, campaign_id, school_id) VALUES (@tenant, ?, ?)`, c.ID, sid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.Status = c.StatusAt(now)
	api.SetTarget(ctx, c.ID)
	return c, nil
}

const campaignColumns = `tenant_id, id, name, starts_at, ends_at, closed_at, game, approval, channels, consent_version, last_number, created_at, updated_at`

// getCampaign loads a campaign of tx's tenant, with its schools.
func (s *Service) getCampaign(tx *db.Tx, campaignID string) (*Campaign, error) {
	var c Campaign
	err := tx.Get(&c, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ? AND tenant_id = @tenant`, campaignID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no campaign %q", campaignID)
	}
	if err != nil {
		return nil, err
	}
	if err := c.decode(); err != nil {
		return nil, err
	}
	if err := tx.Select(&c.SchoolIDs, `SELECT school_id FROM campaign_schools WHERE tenant_id = @tenant AND campaign_id = ? ORDER BY school_id`, c.ID); err != nil {
		return nil, err
	}
	if c.SchoolIDs == nil {
		c.SchoolIDs = []string{}
	}
	c.Status = c.StatusAt(s.now())
	return &c, nil
}

func (c *Campaign) decode() error {
	if err := json.Unmarshal([]byte(c.GameJSON), &c.Game); err != nil {
		return err
	}
	return json.Unmarshal([]byte(c.ChannelsJSON), &c.Channels)
}

// GetCampaign returns one campaign of the tenant of ctx.
func (s *Service) GetCampaign(ctx context.Context, campaignID string) (*Campaign, error) {
	var c *Campaign
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var err error
		c, err = s.getCampaign(tx, campaignID)
		return err
	})
	return c, err
}

// ListCampaigns lists the tenant's campaigns, newest first.
func (s *Service) ListCampaigns(ctx context.Context, page api.PageParams) (*api.List[Campaign], error) {
	after, err := api.DecodeCursor(page.Cursor)
	if err != nil {
		return nil, err
	}
	var out []Campaign
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		q := `SELECT ` + campaignColumns + ` FROM campaigns WHERE tenant_id = @tenant`
		args := []any{}
		if after != "" {
			q += ` AND id < ?`
			args = append(args, after)
		}
		q += ` ORDER BY id DESC LIMIT ?`
		if err := tx.Select(&out, q, append(args, page.Limit+1)...); err != nil || len(out) == 0 {
			return err
		}
		// The page's schools, with one query for all of its campaigns.
		ids := make([]any, len(out))
		for i := range out {
			ids[i] = out[i].ID
		}
		var links []struct {
			CampaignID string `db:"campaign_id"`
			SchoolID   string `db:"school_id"`
		}
		if err := tx.Select(&links, `SELECT campaign_id, school_id FROM campaign_schools WHERE tenant_id = @tenant AND campaign_id IN (`+
			db.Placeholders(len(ids))+`) ORDER BY campaign_id, school_id`, ids...); err != nil {
			return err
		}
		schools := map[string][]string{}
		for _, l := range links {
			schools[l.CampaignID] = append(schools[l.CampaignID], l.SchoolID)
		}
		for i := range out {
			out[i].SchoolIDs = schools[out[i].ID]
			if out[i].SchoolIDs == nil {
				out[i].SchoolIDs = []string{}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range out {
		if err := out[i].decode(); err != nil {
			return nil, err
		}
		out[i].Status = out[i].StatusAt(now)
	}
	return api.NewList(out, page.Limit, func(c Campaign) string { return c.ID }), nil
}

// CloseCampaign closes a campaign now, before its end.
func (s *Service) CloseCampaign(ctx context.Context, campaignID string) (*Campaign, error) {
	now := s.now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := s.getCampaign(tx, campaignID); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE campaigns SET closed_at = ?, updated_at = ? WHERE id = ? AND tenant_id = @tenant AND closed_at IS NULL`, now, now, campaignID)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, campaignID)
	return s.GetCampaign(ctx, campaignID)
}

// PublicCampaign is what a participant sees of a campaign.
type PublicCampaign struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Status         string     `json:"status" enum:"scheduled,active,closed"`
	StartsAt       time.Time  `json:"starts_at"`
	EndsAt         time.Time  `json:"ends_at"`
	Game           PublicGame `json:"game"`
	Channels       []string   `json:"channels"`
	Schools        []School   `json:"schools"`
	ConsentVersion string     `json:"consent_version"`
}

// resolveCampaign finds the owner of a public campaign id and returns a Tx
// scoped to it with the campaign.
func (s *Service) resolveCampaign(tx *db.Tx, campaignID string) (*db.Tx, *Campaign, error) {
	var owner string
	err := tx.Global().Get(&owner, `SELECT tenant_id FROM campaigns WHERE id = ?`, campaignID)
	if fault.Is(err, fault.NotFound) {
		return nil, nil, fault.New(fault.NotFound, "no campaign %q", campaignID)
	}
	if err != nil {
		return nil, nil, err
	}
	scoped := tx.Scope(owner)
	c, err := s.getCampaign(scoped, campaignID)
	return scoped, c, err
}

// GetPublicCampaign returns a campaign as participants see it, for the
// landing page.
func (s *Service) GetPublicCampaign(ctx context.Context, campaignID string) (*PublicCampaign, error) {
	var out *PublicCampaign
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		scoped, c, err := s.resolveCampaign(tx, campaignID)
		if err != nil {
			return err
		}
		out = &PublicCampaign{ID: c.ID, Name: c.Name, Status: c.Status, StartsAt: c.StartsAt, EndsAt: c.EndsAt,
			Game: c.Game.Public(), Channels: c.Channels, ConsentVersion: c.ConsentVersion, Schools: []School{}}
		if c.Game.Type == GameRoulette {
			gifts, err := campaignGifts(scoped, c.ID)
			if err != nil {
				return err
			}
			byName := giftsByName(gifts)
			for _, sg := range c.Game.Segments {
				out.Game.Available = append(out.Game.Available, segmentAvailable(sg, byName))
			}
		}
		if len(c.SchoolIDs) > 0 {
			return scoped.Select(&out.Schools, `SELECT s.id, s.name, s.created_at FROM schools s
				JOIN campaign_schools cs ON cs.school_id = s.id AND cs.tenant_id = s.tenant_id
				WHERE s.tenant_id = @tenant AND cs.campaign_id = ? ORDER BY s.name`, c.ID)
		}
		return nil
	})
	return out, err
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func errorsAs(err error, target **fault.Error) bool { return errors.As(err, target) }
