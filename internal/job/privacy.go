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
func PersonalData() privacy.Holder { return jobData{} }

type jobData struct{}

func (jobData) Section() string { return "jobs" }

func (jobData) Export(*db.Tx, *privacy.Person) (any, int, error) { return nil, 0, nil }

func (jobData) Erase(tx *db.Tx, p *privacy.Person, _ time.Time) (int, error) {
	return privacy.ScrubColumn(tx, "jobs", "id", "payload", p)
}

// Purge empties the payloads of jobs that ended before cutoff.
func (jobData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	return privacy.PurgeRows(tx, "jobs", "id", `payload = '{}'`,
		`status IN ('done', 'dead', 'cancelled') AND updated_at < ? AND payload <> '{}'`, limit, cutoff)
}
