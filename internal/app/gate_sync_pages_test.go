package app_test

import (
	"net/url"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestGateSyncPagesPresence: a node's pull carries the admissions page by
// page, each page those among its own stretch of tickets, so every
// admission arrives once and no page carries more admissions than tickets.
func TestGateSyncPagesPresence(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Sync Pages", "sync-pages@example.com")
		eid, _, _, tickets := b.gateEvent(own.Access, "Sync Pages Fest", 7)
		key := b.gateKey(own.Access)
		gateID := b.mainGate(own.Access, eid)
		admitted := map[string]bool{}
		for _, tk := range tickets[:6] {
			r := b.do("POST", "/v1/checkins", key, map[string]any{"code": tk.Code, "gate_id": gateID})
			b.want(r, 200, "")
			admitted[r.obj("ticket")["id"].(string)] = true
		}
		seen := map[string]int{}
		cursor, pages := "", 0
		for {
			q := url.Values{"limit": {"2"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			p := b.do("GET", "/v1/events/"+eid+"/gate-sync?"+q.Encode(), key, nil)
			b.want(p, 200, "")
			pages++
			ids := map[string]bool{}
			for _, tk := range p.Body["tickets"].([]any) {
				ids[tk.(map[string]any)["id"].(string)] = true
			}
			presence, _ := p.Body["presence"].([]any)
			if len(presence) > len(ids) {
				t.Errorf("page %d: %d admissions for %d tickets", pages, len(presence), len(ids))
			}
			for _, pr := range presence {
				id := pr.(map[string]any)["ticket_id"].(string)
				if !ids[id] {
					t.Errorf("page %d carries the admission of %s, not one of its tickets %v", pages, id, ids)
				}
				seen[id]++
			}
			cursor, _ = p.Body["next_cursor"].(string)
			if cursor == "" {
				break
			}
		}
		if pages < 4 {
			t.Fatalf("%d pages for 7 tickets at 2 a page", pages)
		}
		if len(seen) != len(admitted) {
			t.Fatalf("admissions pulled: %v, admitted: %v", seen, admitted)
		}
		for id := range admitted {
			if seen[id] != 1 {
				t.Errorf("admission of %s pulled %d times", id, seen[id])
			}
		}
	})
}
