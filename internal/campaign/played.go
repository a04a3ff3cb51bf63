package campaign

import (
	"encoding/json"

	"github.com/usher-events/usher/internal/db"
)

// playDetail is stored with a result: what decided it, and what the
// participant was shown. The game's settings may change after the play (a
// wheel relabelled, a question added), so what a result page shows is read
// from here, never from the settings of today.
type playDetail struct {
	Answers  []string `json:"answers,omitempty"`
	Right    int      `json:"right,omitempty"`
	PassMark int      `json:"pass_mark,omitempty"`
	// Questions is how many questions the game had (ox, quiz).
	Questions int        `json:"questions,omitempty"`
	Seed      string     `json:"seed,omitempty"`
	Spins     []spinNote `json:"spins,omitempty"`
	NoStock   bool       `json:"gift_out_of_stock,omitempty"`
	// Segment is the label of the roulette segment that came up.
	Segment string `json:"segment,omitempty"`
	// GiftName is the name of the gift won.
	GiftName string `json:"gift_name,omitempty"`
}

type spinNote struct {
	Attempt uint64 `json:"attempt"`
	Value   uint64 `json:"value"`
	Segment int    `json:"segment"`
	Label   string `json:"label,omitempty"`
	Gift    string `json:"gift,omitempty"`
	Won     bool   `json:"won"`
}

// readPlayDetail decodes a stored play detail; an empty or unreadable one
// is an empty detail.
func readPlayDetail(raw string) playDetail {
	var d playDetail
	if raw != "" && json.Unmarshal([]byte(raw), &d) != nil {
		return playDetail{}
	}
	return d
}

// segmentLabel is the label of the segment that came up. Results stored
// before the label was kept name the segment by its place only; such a
// place is read in today's wheel only while the segment there still names
// the gift the spin noted, since otherwise the wheel was changed and the
// label of today would be another segment's.
func (d playDetail) segmentLabel(today []Segment) string {
	if d.Segment != "" || len(d.Spins) == 0 {
		return d.Segment
	}
	last := d.Spins[len(d.Spins)-1]
	if last.Label != "" || last.Segment < 0 || last.Segment >= len(today) || today[last.Segment].Gift != last.Gift {
		return last.Label
	}
	return today[last.Segment].Label
}

// keptLabel reports whether the detail names its segment by label, or
// names none; only older results need today's wheel to be read.
func (d playDetail) keptLabel() bool {
	return d.Segment != "" || len(d.Spins) == 0 || d.Spins[len(d.Spins)-1].Label != "" || d.Spins[len(d.Spins)-1].Segment < 0
}

// describePlayed fills in what the games of participations showed, from
// their stored details. Older results, stored before the segment's label
// and the gift's name were kept, are read with today's wheel (see
// segmentLabel) and the gift's name, which never changes.
func describePlayed(tx *db.Tx, ps []Participation) error {
	wheels := map[string][]Segment{}
	gifts := map[string]map[string]string{}
	for i := range ps {
		p := &ps[i]
		d := readPlayDetail(p.PlayDetail)
		if _, ok := wheels[p.CampaignID]; !ok && !d.keptLabel() {
			var raw string
			if err := tx.Get(&raw, `SELECT game FROM campaigns WHERE id = ? AND tenant_id = @tenant`, p.CampaignID); err != nil {
				return err
			}
			var g Game
			if err := json.Unmarshal([]byte(raw), &g); err != nil {
				return err
			}
			wheels[p.CampaignID] = g.Segments
		}
		p.Segment = d.segmentLabel(wheels[p.CampaignID])
		if p.GiftID == "" {
			continue
		}
		p.GiftName = d.GiftName
		if p.GiftName != "" {
			continue
		}
		if _, ok := gifts[p.CampaignID]; !ok {
			all, err := campaignGifts(tx, p.CampaignID)
			if err != nil {
				return err
			}
			gifts[p.CampaignID] = map[string]string{}
			for _, g := range all {
				gifts[p.CampaignID][g.ID] = g.Name
			}
		}
		p.GiftName = gifts[p.CampaignID][p.GiftID]
	}
	return nil
}
