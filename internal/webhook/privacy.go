package webhook

import (
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/privacy"
)

// PersonalData is the webhooks' part of a person's data: delivery bodies
// that carry their address or phone, and receivers' answers that echo them.
// Erasure blanks the person in each body and empties such answers (what was
// already sent is the receiver's to erase); exports leave the deliveries
// out, since they repeat what the domains export.
func (s *Service) PersonalData() privacy.Holder { return deliveryData{} }

type deliveryData struct{}

func (deliveryData) Section() string { return "webhook_deliveries" }

func (deliveryData) Export(*db.Tx, *privacy.Person) (any, int, error) { return nil, 0, nil }

func (deliveryData) Erase(tx *db.Tx, p *privacy.Person) (int, error) {
	n, err := privacy.ScrubColumn(tx, "webhook_deliveries", "id", "body", p)
	if err != nil {
		return n, err
	}
	// An answer is the receiver's text, JSON or not: one that mentions the
	// person is emptied whole.
	like, args := privacy.Like("response_body", p)
	res, err := tx.Exec(`UPDATE webhook_attempts SET response_body = '' WHERE tenant_id = @tenant AND `+like, args...)
	if err != nil {
		return n, err
	}
	answers, err := res.RowsAffected()
	return n + int(answers), err
}

// Purge empties the bodies of finished deliveries made before cutoff (those
// whose job died among them, see gaveUp), and the receivers' answers to
// them.
func (deliveryData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	_, moreAnswers, err := privacy.PurgeRows(tx, "webhook_attempts", "delivery_id", `response_body = ''`,
		`at < ? AND response_body <> ''`, limit, cutoff)
	if err != nil {
		return 0, false, err
	}
	n, more, err := privacy.PurgeRows(tx, "webhook_deliveries", "id", `body = '{}'`,
		`(status IN ('succeeded', 'failed', 'cancelled') OR (status IN ('pending', 'retrying') AND `+gaveUp+`)) AND created_at < ? AND body <> '{}'`, limit, cutoff)
	return n, more || moreAnswers, err
}
