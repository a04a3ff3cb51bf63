package outbox

import (
	"strconv"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/privacy"
)

// PersonalData is the outbox's part of a person's data: the payloads of
// recorded events that carry their address or phone (an order's buyer, a
// participant). Erasure blanks the person in each payload (privacy.ScrubJSON);
// the events themselves stay. Exports leave the outbox out: its payloads
// repeat what the domains export.
func PersonalData() privacy.Holder { return eventData{} }

type eventData struct{}

func (eventData) Section() string { return "events" }

func (eventData) Export(*db.Tx, *privacy.Person) (any, int, error) { return nil, 0, nil }

func (eventData) Erase(tx *db.Tx, p *privacy.Person) (int, error) {
	return privacy.ScrubColumn(tx, "outbox", "id", "payload", p)
}

// purgeCursor names the outbox_cursors row that holds how far the tenant's
// purge has read. Consumer names have no "/", so it is never a consumer's.
func purgeCursor(tenant string) string { return "purge/" + tenant }

// Purge empties the payloads of the tenant's events recorded before cutoff
// that every consumer has read. The outbox has no index by tenant or time,
// so the purge reads it in sequence order from where its last pass stopped
// (kept in outbox_cursors), every tenant's rows alike, and stops at the
// first event too young or not yet read: each row is read once per tenant
// with a retention period, in batches of limit.
func (eventData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	g := tx.Global()
	var from, upTo int64
	if err := g.Get(&from, `SELECT COALESCE(MAX(seq), 0) FROM outbox_cursors WHERE consumer = ?`, purgeCursor(tx.Tenant())); err != nil {
		return 0, false, err
	}
	if err := g.Get(&upTo, `SELECT COALESCE(MIN(seq), 0) FROM outbox_cursors WHERE consumer NOT LIKE '%/%'`); err != nil {
		return 0, false, err
	}
	var rows []struct {
		Seq     int64     `db:"seq"`
		Tenant  string    `db:"tenant_id"`
		At      time.Time `db:"created_at"`
		Emptied bool      `db:"emptied"`
	}
	if err := g.Select(&rows, `SELECT seq, tenant_id, created_at, payload = '{}' AS emptied FROM outbox
		WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, from, upTo, limit); err != nil {
		return 0, false, err
	}
	last, more := from, len(rows) == limit
	var mine []string
	for _, r := range rows {
		if !r.At.Before(cutoff) {
			more = false
			break
		}
		last = r.Seq
		if r.Tenant == tx.Tenant() && !r.Emptied {
			mine = append(mine, strconv.FormatInt(r.Seq, 10))
		}
	}
	if last == from {
		return 0, false, nil
	}
	if len(mine) > 0 {
		if _, err := tx.Exec(`UPDATE outbox SET payload = '{}' WHERE tenant_id = @tenant AND seq IN (` + strings.Join(mine, ", ") + `)`); err != nil {
			return 0, false, err
		}
	}
	_, err := g.Exec(`INSERT INTO outbox_cursors (consumer, seq, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`, purgeCursor(tx.Tenant()), last, time.Now().UTC().Truncate(time.Microsecond))
	return len(mine), more, err
}
