package campaign

import (
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/privacy"
)

// PersonalData is the campaign domain's part of a person's data: their
// participations (by phone, the key campaigns know people by) and the
// external records that created them. Erasure blanks the name, the client
// address and browser, replaces the phone with a placeholder unique to the
// participation and empties the external record's body; the number, result,
// gift and status stay, so counts, reports and published draws still add up
// (a draw's frozen list holds only masked names and phones). An erased
// person may take part again: the campaign no longer knows their phone.
func (s *Service) PersonalData() privacy.Holder { return participationData{} }

type participationData struct{}

func (participationData) Section() string { return "participations" }

type personParticipation struct {
	ID             string    `json:"id" db:"id"`
	CampaignID     string    `json:"campaign_id" db:"campaign_id"`
	CampaignName   string    `json:"campaign_name" db:"campaign_name"`
	Number         int       `json:"number" db:"number"`
	Name           string    `json:"name" db:"name"`
	Phone          string    `json:"phone" db:"phone"`
	Channel        string    `json:"channel" db:"channel"`
	SchoolID       string    `json:"school_id,omitempty" db:"school_id"`
	DepartmentID   string    `json:"department_id,omitempty" db:"department_id"`
	ConsentVersion string    `json:"consent_version" db:"consent_version"`
	Result         string    `json:"result,omitempty" db:"result"`
	Segment        string    `json:"segment,omitempty" db:"-"`
	GiftID         string    `json:"gift_id,omitempty" db:"gift_id"`
	GiftName       string    `json:"gift_name,omitempty" db:"-"`
	PlayDetail     string    `json:"-" db:"play_detail"`
	Status         string    `json:"status" db:"status"`
	IP             string    `json:"ip,omitempty" db:"ip"`
	UserAgent      string    `json:"user_agent,omitempty" db:"user_agent"`
	CreatedAt      time.Time `json:"created_at" db:"created_at"`
}

// entered selects the person's participations: by phone, or given by id.
func entered(p *privacy.Person, alias string) (string, []any) {
	byID, args := privacy.In(alias+"id", p.Refs["participation"])
	return alias + `tenant_id = @tenant AND ((` + alias + `phone = ? AND ? <> '') OR ` + byID + `)`, append([]any{p.Phone, p.Phone}, args...)
}

func (participationData) Export(tx *db.Tx, p *privacy.Person) (any, int, error) {
	where, args := entered(p, "p.")
	var out []personParticipation
	err := tx.Select(&out, `SELECT p.id, p.campaign_id, c.name AS campaign_name, p.number, p.name, p.phone, p.channel, p.school_id, p.department_id,
			p.consent_version, p.result, p.gift_id, p.status, p.ip, p.user_agent, p.created_at, p.play_detail
		FROM participations p JOIN campaigns c ON c.id = p.campaign_id AND c.tenant_id = p.tenant_id
		WHERE `+where+` ORDER BY p.id`, args...)
	if err != nil {
		return nil, 0, err
	}
	// What the game showed, as the participant saw it (see describePlayed).
	played := make([]Participation, len(out))
	for i, r := range out {
		played[i] = Participation{CampaignID: r.CampaignID, GiftID: r.GiftID, PlayDetail: r.PlayDetail}
	}
	if err := describePlayed(tx, played); err != nil {
		return nil, 0, err
	}
	for i, r := range out {
		out[i].Segment, out[i].GiftName = played[i].Segment, played[i].GiftName
		p.Note("participation", r.ID)
	}
	return out, len(out), nil
}

func (participationData) Erase(tx *db.Tx, p *privacy.Person) (int, error) {
	where, args := entered(p, "")
	var found []struct {
		ID    string `db:"id"`
		Name  string `db:"name"`
		Phone string `db:"phone"`
	}
	if err := tx.Select(&found, `SELECT id, name, phone FROM participations WHERE `+where+` ORDER BY id`, args...); err != nil {
		return 0, err
	}
	ids := make([]string, len(found))
	for i, r := range found {
		id := r.ID
		ids[i] = id
		p.NoteNames(r.Name)
		p.NoteAddresses(r.Phone)
		if _, err := tx.Exec(`UPDATE participations SET name = '', phone = ?, ip = '', user_agent = '' WHERE tenant_id = @tenant AND id = ?`,
			"erased:"+id, id); err != nil {
			return 0, err
		}
	}
	p.Note("participation", ids...)
	in, args := privacy.In("participation_id", ids)
	if _, err := tx.Exec(`UPDATE external_records SET raw_body = ? WHERE tenant_id = @tenant AND `+in, append([]any{[]byte("{}")}, args...)...); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// Purge erases the participations of campaigns that ended before cutoff, as
// Erase erases a person's.
func (d participationData) Purge(tx *db.Tx, cutoff time.Time, limit int) (int, bool, error) {
	var ids []string
	if err := tx.Select(&ids, `SELECT id FROM participations WHERE tenant_id = @tenant AND phone NOT LIKE 'erased:%'
		AND campaign_id IN (SELECT id FROM campaigns WHERE tenant_id = @tenant AND ends_at < ?) ORDER BY id LIMIT ?`, cutoff, limit); err != nil {
		return 0, false, err
	}
	return privacy.PurgeRecords(tx, d, "participation", ids, limit)
}
