package campaign_test

import (
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// A quiz played with one question and then given a second: the
// participant's page scores the play out of the one question it had.
func TestQuizScoreOutlivesItsQuestions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		one := campaign.Game{Type: campaign.GameQuiz, Questions: []campaign.Question{{Question: "2+2?", Choices: []string{"3", "4"}, Answer: "4"}}}
		c := f.campaign(t, one, "auto")
		p, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "참가자", Phone: "010-8300-0001", Consent: &yes}, campaign.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Play(f.ctx, p.ID, campaign.PlayInput{Answers: []string{"4"}}); err != nil {
			t.Fatal(err)
		}
		two := one
		two.Questions = append(two.Questions, campaign.Question{Question: "3+3?", Answer: "6"})
		if _, err := f.svc.UpdateCampaign(f.ctx, c.ID, campaign.CreateCampaignInput{Name: c.Name, StartsAt: c.StartsAt, EndsAt: c.EndsAt, Game: two, Approval: "auto"}); err != nil {
			t.Fatal(err)
		}
		v, err := f.svc.GetParticipantView(f.ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Result != campaign.ResultSuccess || v.Right != 1 || v.Questions != 1 {
			t.Errorf("after a question was added: %s, %d right of %d", v.Result, v.Right, v.Questions)
		}
	})
}

// Results stored before the segment's label was kept name it by its place
// in the wheel. They still read: while the segment at that place names the
// gift the spin noted, its label today; once another gift's segment has
// that place, no label rather than the wrong one. The gift's name comes
// from the gift itself.
func TestOlderRouletteResultsRead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		wheel := campaign.Game{Type: campaign.GameRoulette, Segments: []campaign.Segment{
			{Label: "꽝", Weight: 1}, {Label: "커피 당첨", Weight: 1, Gift: "커피"}}}
		c := f.campaign(t, wheel, "auto")
		gift, err := f.svc.CreateGift(f.ctx, c.ID, campaign.CreateGiftInput{Name: "커피", Stock: 3})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "참가자", Phone: "010-8300-0002", Consent: &yes}, campaign.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		// The detail as an earlier build stored it: a win at place 1.
		old := `{"seed":"00","spins":[{"attempt":0,"value":1,"segment":1,"gift":"커피","won":true}]}`
		err = f.db.Write(f.ctx, func(tx *db.Tx) error {
			return tx.ExecOne(`UPDATE participations SET result = 'success', played_at = ?, play_detail = ?, gift_id = ?, gift_status = 'confirmed', status = 'approved'
				WHERE id = ? AND tenant_id = @tenant`, f.now, old, gift.ID, p.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		check := func(when, segment string) {
			t.Helper()
			v, err := f.svc.GetParticipantView(f.ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.GetParticipation(f.ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if v.Segment != segment || got.Segment != segment || v.Gift != "커피" || got.GiftName != "커피" {
				t.Errorf("%s: the page shows %q and %q, staff %q and %q; want %q and 커피", when, v.Segment, v.Gift, got.Segment, got.GiftName, segment)
			}
		}
		check("the wheel as it was", "커피 당첨")
		update := func(g campaign.Game) {
			t.Helper()
			if _, err := f.svc.UpdateCampaign(f.ctx, c.ID, campaign.CreateCampaignInput{Name: c.Name, StartsAt: c.StartsAt, EndsAt: c.EndsAt, Game: g, Approval: "auto"}); err != nil {
				t.Fatal(err)
			}
		}
		update(campaign.Game{Type: campaign.GameRoulette, Segments: []campaign.Segment{
			{Label: "꽝", Weight: 1}, {Label: "아메리카노", Weight: 1, Gift: "커피"}}})
		check("the segment relabelled", "아메리카노")
		update(campaign.Game{Type: campaign.GameRoulette, Segments: []campaign.Segment{
			{Label: "커피 당첨", Weight: 1, Gift: "커피"}, {Label: "꽝", Weight: 1}}})
		check("another segment at its place", "")
	})
}

// A play and a change of the game's type at once: on PostgreSQL the play
// reads the roulette and waits (here for a gift's row) while the change
// to a quiz counts no one played yet. Either the change waits for the
// play and is refused, or the play comes after it and plays the quiz;
// never a roulette result in a campaign that is a quiz.
func TestGameTypeChangeDuringAPlay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameRoulette, Segments: []campaign.Segment{
			{Label: "커피 A", Weight: 1, Gift: "커피"}, {Label: "커피 B", Weight: 1, Gift: "커피"}}}, "auto")
		gift, err := f.svc.CreateGift(f.ctx, c.ID, campaign.CreateGiftInput{Name: "커피", Stock: 5})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "참가자", Phone: "010-8300-0003", Consent: &yes}, campaign.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		locked, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			held <- f.db.Write(f.ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`UPDATE gifts SET stock = stock WHERE id = ? AND tenant_id = @tenant`, gift.ID)
				close(locked)
				<-release
				return err
			})
		}()
		<-locked
		var wg sync.WaitGroup
		var played *campaign.PlayResult
		var playErr, updateErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			played, playErr = f.svc.Play(f.ctx, p.ID, campaign.PlayInput{})
		}()
		if d == db.Postgres {
			waitForLockWaits(t, f.db, 1)
		}
		quiz := campaign.Game{Type: campaign.GameQuiz, Questions: []campaign.Question{{Question: "2+2?", Answer: "4"}}}
		go func() {
			defer wg.Done()
			_, updateErr = f.svc.UpdateCampaign(f.ctx, c.ID, campaign.CreateCampaignInput{Name: c.Name, StartsAt: c.StartsAt, EndsAt: c.EndsAt, Game: quiz, Approval: "auto"})
		}()
		if d == db.Postgres {
			waitForStatement(t, f.db, "SELECT pg_advisory_xact_lock(", false)
		}
		close(release)
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if playErr != nil {
			t.Fatal(playErr)
		}
		now, err := f.svc.GetCampaign(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		roulette := played.Right == nil
		if roulette != (now.Game.Type == campaign.GameRoulette) {
			t.Fatalf("a %s result (segment %q) in a campaign that is a %s now; the change answered %v",
				map[bool]string{true: "roulette", false: "quiz"}[roulette], played.Segment, now.Game.Type, updateErr)
		}
		if roulette && updateErr == nil {
			t.Fatal("the change of type succeeded after the play")
		}
	})
}

// A first participation in a campaign without a game and a change to a
// quiz at once: on PostgreSQL the participation has read the campaign (no
// game, automatic approval) and waits for its row to take a number, while
// the change counts no one in it yet. Either the change waits for the
// participation and is refused, or the participation comes after it and
// waits for the quiz; never a quiz with someone approved who never played.
func TestGameChangeDuringAFirstParticipation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		c := f.campaign(t, campaign.Game{Type: campaign.GameNone}, "auto")
		locked, release, held := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			held <- f.db.Write(f.ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`UPDATE campaigns SET updated_at = updated_at WHERE id = ? AND tenant_id = @tenant`, c.ID)
				close(locked)
				<-release
				return err
			})
		}()
		<-locked
		var wg sync.WaitGroup
		var joined *campaign.Participation
		var joinErr, updateErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			joined, joinErr = f.svc.Participate(f.ctx, c.ID, campaign.ParticipateInput{Name: "참가자", Phone: "010-8300-0004", Consent: &yes}, campaign.Meta{})
		}()
		if d == db.Postgres {
			waitForStatement(t, f.db, "UPDATE campaigns SET last_number", true)
		}
		quiz := campaign.Game{Type: campaign.GameQuiz, Questions: []campaign.Question{{Question: "2+2?", Answer: "4"}}}
		go func() {
			defer wg.Done()
			_, updateErr = f.svc.UpdateCampaign(f.ctx, c.ID, campaign.CreateCampaignInput{Name: c.Name, StartsAt: c.StartsAt, EndsAt: c.EndsAt, Game: quiz, Approval: "auto"})
		}()
		if d == db.Postgres {
			waitForStatement(t, f.db, "SELECT id FROM campaigns", false)
		}
		close(release)
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if joinErr != nil {
			t.Fatal(joinErr)
		}
		now, err := f.svc.GetCampaign(f.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if now.Game.Type != campaign.GameNone && joined.Status != campaign.StatusPending {
			t.Fatalf("a participation %s at once in a campaign that is a %s now; the change answered %v", joined.Status, now.Game.Type, updateErr)
		}
	})
}

// waitForStatement waits until a statement that starts with prefix waits
// for a lock on PostgreSQL. Unless it must, it gives up after a while: a
// statement that takes no lock never waits.
func waitForStatement(t *testing.T, conn *db.DB, prefix string, must bool) {
	t.Helper()
	for range 300 {
		var waiting int
		err := conn.SQL().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`, prefix+"%").Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	if must {
		t.Fatalf("no statement %q waits for a lock", prefix)
	}
}
