package job

import (
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/privacy"
)

// PersonalData is the job queue's part of a person's data: job payloads that
// carry their address or phone (a message waiting to be sent with its
// order). Erasure blanks the person in each payload; a message job whose
// recipient is blanked then has nobody to send to. Exports leave jobs out.
// Jobs of the kinds in keep are left alone: jobs that carry a person on
// purpose (the second erasure) and clear their payload themselves.
func PersonalData(keep ...string) privacy.Holder { return jobData{keep: keep} }

type jobData struct{ keep []string }

func (jobData) Section() string { return "jobs" }

func (jobData) Export(*db.Tx, *privacy.Person) (any, int, error) { return nil, 0, nil }

func (d jobData) Erase(tx *db.Tx, p *privacy.Person) (int, error) {
	return privacy.ScrubColumn(tx, "jobs", "id", "payload", p, d.keep...)
}

// Purge empties the payloads of jobs that ended before cutoff.
func (jobData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	return privacy.PurgeRows(tx, "jobs", "id", `payload = '{}'`,
		`status IN ('done', 'dead', 'cancelled') AND updated_at < ? AND payload <> '{}'`, limit, cutoff)
}
