package privacy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Retention limits: a period is 0 (keep until erased by hand) or between
// these, in days.
const (
	MinRetentionDays = 30
	MaxRetentionDays = 3650
)

// purgeBatch bounds the records one purge transaction changes, so that the
// purge never holds the single writer for long.
const purgeBatch = 200

// Purger is a Holder whose records are erased when the tenant's retention
// period is over.
type Purger interface {
	// Purge erases in tx up to limit of the tenant's records whose time
	// ended before cutoff (and that are not erased yet). It reports how many
	// it erased and whether more may be left.
	Purge(tx *db.Tx, cutoff time.Time, limit int) (n int, more bool, err error)
}

// Settings are a tenant's privacy settings.
type Settings struct {
	RetentionDays int        `json:"retention_days" db:"retention_days" minimum:"0" maximum:"3650" doc:"Days after an event or campaign ends (and after a message, job, outbox event or webhook delivery was written) that its personal data is erased. 0 keeps it until erased by hand; otherwise at least 30."`
	UpdatedAt     *time.Time `json:"updated_at,omitempty" db:"updated_at" doc:"When the setting was last changed; absent while never set."`
	PurgedAt      *time.Time `json:"purged_at,omitempty" db:"purged_at" doc:"When the hourly purge last finished for the organization."`
}

// Settings returns the tenant's settings (retention 0 when never set).
func (s *Service) Settings(ctx context.Context) (*Settings, error) {
	out := &Settings{}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		err := tx.Get(out, `SELECT retention_days, updated_at, purged_at FROM privacy_settings WHERE tenant_id = @tenant`)
		if fault.Is(err, fault.NotFound) {
			*out = Settings{}
			return nil
		}
		return err
	})
	return out, err
}

// SetRetention sets the tenant's retention period in days.
func (s *Service) SetRetention(ctx context.Context, days int) (*Settings, error) {
	if days != 0 && (days < MinRetentionDays || days > MaxRetentionDays) {
		return nil, fault.Field("retention_days", fmt.Sprintf("must be 0 (keep) or between %d and %d days", MinRetentionDays, MaxRetentionDays))
	}
	now := s.now()
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO privacy_settings (tenant_id, retention_days, updated_at) VALUES (@tenant, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET retention_days = excluded.retention_days, updated_at = excluded.updated_at`, days, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, "privacy-settings")
	return s.Settings(ctx)
}

// PurgeReport says what one purge erased, per tenant and holder section.
type PurgeReport map[string]map[string]int

// Purge erases, for every tenant with a retention period, the personal data
// whose time is up, in transactions of at most purgeBatch records per
// holder.
func (s *Service) Purge(ctx context.Context) (PurgeReport, error) {
	now := s.now()
	var tenants []struct {
		ID   string `db:"tenant_id"`
		Days int    `db:"retention_days"`
	}
	if err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Select(&tenants, `SELECT tenant_id, retention_days FROM privacy_settings WHERE retention_days > 0 ORDER BY tenant_id`)
	}); err != nil {
		return nil, err
	}
	report := PurgeReport{}
	var errs []error
	for _, t := range tenants {
		tctx := db.WithTenant(ctx, t.ID)
		cutoff := now.AddDate(0, 0, -t.Days)
		erased, err := s.purgeTenant(tctx, cutoff)
		if len(erased) > 0 {
			report[t.ID] = erased
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("privacy: purge %s: %w", t.ID, err))
			continue
		}
		if err := s.db.Write(tctx, func(tx *db.Tx) error {
			_, err := tx.Exec(`UPDATE privacy_settings SET purged_at = ? WHERE tenant_id = @tenant`, now)
			return err
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return report, errors.Join(errs...)
}

func (s *Service) purgeTenant(ctx context.Context, cutoff time.Time) (map[string]int, error) {
	erased := map[string]int{}
	for _, h := range s.holders {
		pg, ok := h.(Purger)
		if !ok {
			continue
		}
		for more := true; more; {
			if err := ctx.Err(); err != nil {
				return erased, err
			}
			var n int
			err := s.db.Write(ctx, func(tx *db.Tx) error {
				var err error
				n, more, err = pg.Purge(tx, cutoff, purgeBatch)
				return err
			})
			if err != nil {
				return erased, err
			}
			if n > 0 {
				erased[h.Section()] += n
			}
		}
	}
	return erased, nil
}

// PurgeRows runs "UPDATE table SET set" on the tenant's rows of up to limit
// keys (values of the key column) whose rows satisfy where (whose arguments
// are args), and reports how many it changed and whether more may be left. The
// domain that owns table calls it from its Purge; where must leave out rows
// already purged, or the purge would never end.
func PurgeRows(tx *db.Tx, table, key, set, where string, limit int, args ...any) (int, bool, error) {
	res, err := tx.Exec(`UPDATE `+table+` SET `+set+` WHERE tenant_id = @tenant AND `+where+` AND `+key+` IN (
		SELECT `+key+` FROM `+table+` WHERE tenant_id = @tenant AND `+where+` LIMIT ?)`, slices.Concat(args, args, []any{limit})...)
	if err != nil {
		return 0, false, err
	}
	// A key may name several rows (a delivery's attempts): at least limit
	// changed means there may be more.
	n, err := res.RowsAffected()
	return int(n), int(n) >= limit, err
}

// PurgeRecords erases the records of kind with the given ids (at most limit
// of them, found by the caller's Purge) the way h erases a person's, and
// answers as a Purge does.
func PurgeRecords(tx *db.Tx, h Holder, kind string, ids []string, limit int) (int, bool, error) {
	if len(ids) == 0 {
		return 0, false, nil
	}
	if _, err := h.Erase(tx, Records(map[string][]string{kind: ids})); err != nil {
		return 0, false, err
	}
	return len(ids), len(ids) == limit, nil
}
