package campaign_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/db"
)

// BenchmarkStats1M times a campaign's report aggregates over 1,000,000
// participations in SQLite. Building the rows takes a while; run it alone:
// go test ./internal/campaign -run '^$' -bench Stats1M -benchtime 5x
func BenchmarkStats1M(b *testing.B) {
	f := setup(b, db.SQLite)
	c := f.campaign(b, campaign.Game{Type: campaign.GameOX, Questions: []campaign.Question{{Question: "q", Answer: "O"}}}, "auto")
	var schools, deps []string
	for i := range 20 {
		s, err := f.svc.CreateSchool(f.ctx, fmt.Sprintf("학교 %02d", i))
		if err != nil {
			b.Fatal(err)
		}
		schools = append(schools, s.ID)
		d, err := f.svc.CreateDepartment(f.ctx, s.ID, "학과")
		if err != nil {
			b.Fatal(err)
		}
		deps = append(deps, d.ID)
	}
	const total, batch = 1_000_000, 10_000
	chans := []string{"direct", "instagram", "kakaotalk", "tv", "store_qr"}
	start := time.Now()
	for base := 0; base < total; base += batch {
		err := f.db.Write(f.ctx, func(tx *db.Tx) error {
			for i := base; i < base+batch; i++ {
				at := f.now.Add(time.Duration(i%72) * time.Hour)
				result, gift := "failure", ""
				if i%3 == 0 {
					result, gift = "success", "confirmed"
				}
				if _, err := tx.Exec(`INSERT INTO participations (tenant_id, id, campaign_id, number, name, phone, channel, school_id, department_id,
					consent_version, source, created_at, created_hour, result, gift_status, status)
					VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?, ?, '1', 'form', ?, ?, ?, ?, 'approved')`,
					fmt.Sprintf("par_%08d", i), c.ID, i+1, "참가자", fmt.Sprintf("+82100%07d", i), chans[i%len(chans)],
					schools[i%len(schools)], deps[i%len(deps)], at, at.Truncate(time.Hour).Unix(), result, gift); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("inserted %d participations in %s", total, time.Since(start))
	if _, err := f.db.SQL().ExecContext(context.Background(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		st, err := f.svc.Stats(f.ctx, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		if st.Participants != total {
			b.Fatalf("participants = %d", st.Participants)
		}
	}
}
