package campaign

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/outbox"
)

// Eligibility says who takes part in a draw, besides never a rejected
// participation.
type Eligibility struct {
	SuccessOnly  bool   `json:"success_only,omitempty" doc:"Only participations whose game succeeded."`
	ApprovedOnly bool   `json:"approved_only,omitempty" doc:"Only approved participations."`
	SchoolID     string `json:"school_id,omitempty" maxLength:"100" doc:"Only participations of this school."`
}

// Entry is one participation in a draw's frozen list, as published.
type Entry struct {
	Number int    `json:"participation_number"`
	Name   string `json:"name" doc:"Masked."`
	Phone  string `json:"phone" doc:"Masked: only the last four digits."`
	// ParticipationID is kept for notifying winners; it is not published.
	ParticipationID string `json:"-"`
}

type storedEntry struct {
	Number          int    `json:"n"`
	Name            string `json:"name"`
	Phone           string `json:"phone"`
	ParticipationID string `json:"p"`
}

// Draw is a verifiable winner draw. The commitment (SHA-256 of the seed) is
// published when the draw is created, before anyone knows the seed; the seed
// is revealed once the draw has run, so anyone can recompute the winners
// from it and the frozen list with Verify.
type Draw struct {
	ID          string      `json:"id"`
	CampaignID  string      `json:"campaign_id"`
	Campaign    string      `json:"campaign_name"`
	Count       int         `json:"count"`
	Eligibility Eligibility `json:"eligibility"`
	Status      string      `json:"status" enum:"created,run"`
	Commitment  string      `json:"commitment" doc:"Hex SHA-256 of the seed."`
	Seed        string      `json:"seed,omitempty" doc:"Hex seed, revealed after the run."`
	Frozen      []string    `json:"frozen" doc:"Participation numbers of the eligible list, in the order Verify takes them."`
	Entries     []Entry     `json:"entries"`
	Winners     []Entry     `json:"winners"`
	Algorithm   string      `json:"algorithm"`
	CreatedAt   time.Time   `json:"created_at"`
	RunAt       *time.Time  `json:"run_at,omitempty"`
}

// Algorithm describes how winners follow from the seed.
const Algorithm = "Fisher-Yates over the frozen list: for i = 0..count-1, swap item i with item i + r, " +
	"where r is uniform in [0, n-i) from HMAC-SHA256(key=seed, msg=uint64be(i) || uint64be(k)) read as a big-endian uint64 " +
	"(first 8 bytes), taking k = 0, 1, … until the value is below the largest multiple of n-i; the first count items win."

// Verify returns the winners of a draw from its seed and frozen list: anyone
// can run it to check a published draw.
func Verify(seed []byte, frozen []string, count int) []string {
	list := append([]string(nil), frozen...)
	n := len(list)
	k := min(max(count, 0), n)
	for i := 0; i < k; i++ {
		j := i + int(uniform(seed, uint64(i), uint64(n-i)))
		list[i], list[j] = list[j], list[i]
	}
	return list[:k]
}

type drawRow struct {
	ID          string     `db:"id"`
	CampaignID  string     `db:"campaign_id"`
	Count       int        `db:"count"`
	Eligibility string     `db:"eligibility"`
	Entries     string     `db:"entries"`
	Commitment  string     `db:"commitment"`
	Seed        string     `db:"seed"`
	Winners     string     `db:"winners"`
	CreatedAt   time.Time  `db:"created_at"`
	RunAt       *time.Time `db:"run_at"`
}

// CreateDrawInput describes a draw.
type CreateDrawInput struct {
	Count       int         `json:"count" minimum:"1" maximum:"100000"`
	Eligibility Eligibility `json:"eligibility,omitempty" doc:"Who takes part; empty means every participation that was not rejected."`
}

// CreateDraw freezes the eligible list of a campaign and commits to a secret
// seed.
func (s *Service) CreateDraw(ctx context.Context, campaignID string, in CreateDrawInput) (*Draw, error) {
	if in.Count < 1 {
		return nil, fault.Field("count", "must be at least 1")
	}
	seed := make([]byte, 32)
	rand.Read(seed)
	sum := sha256.Sum256(seed)
	row := drawRow{ID: id.New(prefixDraw), CampaignID: campaignID, Count: in.Count,
		Commitment: hex.EncodeToString(sum[:]), Seed: hex.EncodeToString(seed), CreatedAt: s.now()}
	var c *Campaign
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var err error
		if c, err = s.getCampaign(tx, campaignID); err != nil {
			return err
		}
		// A rejected participation never takes part: the organizer turned
		// it down, so it must not come back as a winner.
		q := `SELECT number, name, phone, id FROM participations WHERE tenant_id = @tenant AND campaign_id = ? AND status <> 'rejected'`
		args := []any{campaignID}
		if in.Eligibility.SuccessOnly {
			q += ` AND result = 'success'`
		}
		if in.Eligibility.ApprovedOnly {
			q += ` AND status = 'approved'`
		}
		if in.Eligibility.SchoolID != "" {
			q += ` AND school_id = ?`
			args = append(args, in.Eligibility.SchoolID)
		}
		var ps []struct {
			Number int    `db:"number"`
			Name   string `db:"name"`
			Phone  string `db:"phone"`
			ID     string `db:"id"`
		}
		// Ordered by participation number, so the frozen list is the same
		// for anyone who rebuilds it.
		if err := tx.Select(&ps, q+` ORDER BY number`, args...); err != nil {
			return err
		}
		entries := make([]storedEntry, len(ps))
		for i, p := range ps {
			entries[i] = storedEntry{Number: p.Number, Name: MaskName(p.Name), Phone: MaskPhone(p.Phone), ParticipationID: p.ID}
		}
		e, _ := json.Marshal(entries)
		el, _ := json.Marshal(in.Eligibility)
		row.Entries, row.Eligibility = string(e), string(el)
		_, err = tx.Exec(`INSERT INTO draws (tenant_id, id, campaign_id, count, eligibility, entries, commitment, seed, created_at)
			VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?)`,
			row.ID, row.CampaignID, row.Count, row.Eligibility, row.Entries, row.Commitment, row.Seed, row.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, row.ID)
	return row.view(c.Name)
}

// RunDraw picks the winners from the committed seed and reveals it. A draw
// runs once.
func (s *Service) RunDraw(ctx context.Context, campaignID, drawID string) (*Draw, error) {
	var out *Draw
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		c, err := s.getCampaign(tx, campaignID)
		if err != nil {
			return err
		}
		row, err := getDraw(tx, drawID)
		if err != nil || row.CampaignID != campaignID {
			return fault.New(fault.NotFound, "no draw %q in campaign %q", drawID, campaignID)
		}
		if row.RunAt != nil {
			return errDrawRun()
		}
		seed, err := hex.DecodeString(row.Seed)
		if err != nil {
			return err
		}
		var entries []storedEntry
		if err := json.Unmarshal([]byte(row.Entries), &entries); err != nil {
			return err
		}
		winners := Verify(seed, frozenOf(entries), row.Count)
		w, _ := json.Marshal(winners)
		now := s.now()
		// On PostgreSQL a concurrent run read the draw unrun too and waits
		// here for the first one's row lock; then it finds run_at set and
		// updates nothing, which is the same conflict as a later run.
		if err := tx.ExecOne(`UPDATE draws SET winners = ?, run_at = ? WHERE id = ? AND tenant_id = @tenant AND run_at IS NULL`, string(w), now, drawID); err != nil {
			if fault.Is(err, fault.NotFound) {
				return errDrawRun()
			}
			return err
		}
		byNumber := map[string]storedEntry{}
		for _, e := range entries {
			byNumber[strconv.Itoa(e.Number)] = e
		}
		for _, num := range winners {
			p, err := getParticipation(tx, byNumber[num].ParticipationID)
			if err != nil {
				return err
			}
			m := s.message(c, p, "")
			m.DrawID = drawID
			if _, err := outbox.Emit(tx, "draw.winner", p.ID, m, now); err != nil {
				return err
			}
		}
		row.Winners, row.RunAt = string(w), &now
		out, err = row.view(c.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, drawID)
	return out, nil
}

// errDrawRun refuses to run a draw a second time.
func errDrawRun() error { return fault.New(fault.Conflict, "the draw has run already") }

func frozenOf(entries []storedEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = strconv.Itoa(e.Number)
	}
	return out
}

func getDraw(tx *db.Tx, drawID string) (*drawRow, error) {
	var r drawRow
	err := tx.Get(&r, `SELECT id, campaign_id, count, eligibility, entries, commitment, seed, winners, created_at, run_at
		FROM draws WHERE id = ? AND tenant_id = @tenant`, drawID)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no draw %q", drawID)
	}
	return &r, err
}

// view is the published form of a draw: the seed only after the run.
func (r *drawRow) view(campaignName string) (*Draw, error) {
	d := &Draw{ID: r.ID, CampaignID: r.CampaignID, Campaign: campaignName, Count: r.Count, Status: "created",
		Commitment: r.Commitment, Algorithm: Algorithm, CreatedAt: r.CreatedAt, RunAt: r.RunAt,
		Entries: []Entry{}, Winners: []Entry{}}
	if err := json.Unmarshal([]byte(r.Eligibility), &d.Eligibility); err != nil {
		return nil, err
	}
	var entries []storedEntry
	if err := json.Unmarshal([]byte(r.Entries), &entries); err != nil {
		return nil, err
	}
	d.Frozen = frozenOf(entries)
	byNumber := map[string]Entry{}
	for _, e := range entries {
		en := Entry{Number: e.Number, Name: e.Name, Phone: e.Phone, ParticipationID: e.ParticipationID}
		d.Entries = append(d.Entries, en)
		byNumber[strconv.Itoa(e.Number)] = en
	}
	if r.RunAt != nil {
		d.Status, d.Seed = "run", r.Seed
		var winners []string
		if err := json.Unmarshal([]byte(r.Winners), &winners); err != nil {
			return nil, err
		}
		for _, w := range winners {
			d.Winners = append(d.Winners, byNumber[w])
		}
	}
	return d, nil
}

// GetDraw returns a draw of a campaign of the tenant of ctx.
func (s *Service) GetDraw(ctx context.Context, campaignID, drawID string) (*Draw, error) {
	var out *Draw
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		c, err := s.getCampaign(tx, campaignID)
		if err != nil {
			return err
		}
		row, err := getDraw(tx, drawID)
		if err != nil || row.CampaignID != campaignID {
			return fault.New(fault.NotFound, "no draw %q in campaign %q", drawID, campaignID)
		}
		out, err = row.view(c.Name)
		return err
	})
	return out, err
}

// GetPublicDraw returns a draw for anyone to check.
func (s *Service) GetPublicDraw(ctx context.Context, drawID string) (*Draw, error) {
	var out *Draw
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		var owner string
		err := tx.Global().Get(&owner, `SELECT tenant_id FROM draws WHERE id = ?`, drawID)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.NotFound, "no draw %q", drawID)
		}
		if err != nil {
			return err
		}
		tx = tx.Scope(owner)
		row, err := getDraw(tx, drawID)
		if err != nil {
			return err
		}
		c, err := s.getCampaign(tx, row.CampaignID)
		if err != nil {
			return err
		}
		out, err = row.view(c.Name)
		return err
	})
	return out, err
}

// CheckCommitment reports whether a revealed seed matches its commitment.
func CheckCommitment(seed []byte, commitment string) bool {
	want, err := hex.DecodeString(commitment)
	sum := sha256.Sum256(seed)
	return err == nil && bytes.Equal(sum[:], want)
}
