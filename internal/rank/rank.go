// Package rank keeps the top events by paid orders over a sliding 30-minute
// window, per tenant. It is fed from the outbox (order.paid), so a ranking
// never counts a payment that was rolled back, and it keeps its counts in
// the database in minute buckets, so every node reads the same ranking and
// a restart loses nothing. Reads are served from a per-node copy at most a
// second old: a popular ranking page costs one small query per second.
//
// The window slides by whole minutes: "the last 30 minutes" is the current
// minute and the 29 before it. A paid order that is cancelled later (a
// refund, or its whole event cancelled) leaves the ranking: it counts paid
// orders that still stand, so a cancelled event does not stay on top.
package rank

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/outbox"
)

// Window is how far back the ranking looks.
const Window = 30 * time.Minute

// Size is how many events a ranking lists.
const Size = 10

// cacheTTL is how long a node serves a tenant's ranking from memory.
const cacheTTL = time.Second

// maxCached bounds the tenants whose rankings a node keeps (the public
// endpoint names any tenant); past it, the cache starts again empty.
const maxCached = 10000

// Entry is one ranked event.
type Entry struct {
	EventID    string `json:"event_id" db:"event_id"`
	Name       string `json:"name" db:"name"`
	PaidOrders int    `json:"paid_orders" db:"paid_orders"`
}

// Service records paid orders and answers rankings.
type Service struct {
	db  *db.DB
	now func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	at      time.Time
	entries []Entry
}

// NewService returns the ranking service.
func NewService(conn *db.DB, now func() time.Time) *Service {
	return &Service{db: conn, now: now, cache: map[string]cached{}}
}

// Consumer is the outbox consumer that feeds the ranking; register it with
// the outbox dispatcher.
func (s *Service) Consumer() outbox.Consumer {
	return outbox.Consumer{Name: "rank", Kinds: []string{"order.paid", "order.cancelled"}, Apply: s.apply}
}

func (s *Service) apply(tx *db.Tx, e outbox.Event) error {
	if e.Kind == "order.cancelled" {
		return s.unrecord(tx, e)
	}
	return s.record(tx, e)
}

// paid is the part of an order.paid payload the ranking reads.
type paid struct {
	OrderID string `json:"order_id"`
	Event   struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"event"`
}

// record counts one paid order in the minute it was paid, inside the outbox
// dispatcher's write (or a retry job's). Delivery is at least once (a redo
// after a crash, a replayed dead letter), so the order id is recorded first
// and a second delivery counts nothing; nor does a delivery after the
// order's cancellation was recorded (a dead letter replayed late).
func (s *Service) record(tx *db.Tx, e outbox.Event) error {
	var p paid
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.OrderID == "" || p.Event.ID == "" {
		return fmt.Errorf("rank: bad order.paid payload for %s: %v", e.ID, err)
	}
	minute := e.CreatedAt.Unix() / 60
	res, err := tx.Exec(`INSERT INTO ranked_orders (tenant_id, order_id, event_id, paid_at) VALUES (@tenant, ?, ?, ?)
		ON CONFLICT (order_id) DO NOTHING`, p.OrderID, p.Event.ID, e.CreatedAt)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	_, err = tx.Exec(`INSERT INTO rank_minutes (tenant_id, event_id, minute, event_name, paid) VALUES (@tenant, ?, ?, ?, 1)
		ON CONFLICT (tenant_id, minute, event_id) DO UPDATE SET paid = rank_minutes.paid + 1, event_name = excluded.event_name`,
		p.Event.ID, minute, p.Event.Name)
	return err
}

// cancelled is the part of an order.cancelled payload the ranking reads: a
// cancelled order that was paid lists the tickets it revoked.
type cancelled struct {
	OrderID   string   `json:"order_id"`
	TicketIDs []string `json:"ticket_ids"`
}

// unrecord takes a cancelled paid order out of the minute it was counted
// in. Its ranked_orders row stays, with no event, as the mark that the
// cancellation was applied: a second delivery of either event counts
// nothing, in whichever order they come. An order cancelled before it was
// paid was never counted and leaves nothing.
func (s *Service) unrecord(tx *db.Tx, e outbox.Event) error {
	var c cancelled
	if err := json.Unmarshal(e.Payload, &c); err != nil || c.OrderID == "" {
		return fmt.Errorf("rank: bad order.cancelled payload for %s: %v", e.ID, err)
	}
	if len(c.TicketIDs) == 0 {
		return nil
	}
	var counted []struct {
		EventID string    `db:"event_id"`
		PaidAt  time.Time `db:"paid_at"`
	}
	if err := tx.Select(&counted, `SELECT event_id, paid_at FROM ranked_orders WHERE tenant_id = @tenant AND order_id = ?`, c.OrderID); err != nil {
		return err
	}
	if len(counted) == 0 {
		_, err := tx.Exec(`INSERT INTO ranked_orders (tenant_id, order_id, event_id, paid_at) VALUES (@tenant, ?, '', ?)
			ON CONFLICT (order_id) DO NOTHING`, c.OrderID, e.CreatedAt)
		return err
	}
	r := counted[0]
	if r.EventID == "" {
		return nil
	}
	res, err := tx.Exec(`UPDATE ranked_orders SET event_id = '' WHERE tenant_id = @tenant AND order_id = ? AND event_id = ?`, c.OrderID, r.EventID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	_, err = tx.Exec(`UPDATE rank_minutes SET paid = paid - 1 WHERE tenant_id = @tenant AND minute = ? AND event_id = ? AND paid > 0`,
		r.PaidAt.Unix()/60, r.EventID)
	return err
}

// Top returns the tenant's top events by paid orders over the last Window.
func (s *Service) Top(ctx context.Context, tenantID string) ([]Entry, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[tenantID]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < cacheTTL {
		return c.entries, nil
	}
	from := now.Add(-Window).Unix()/60 + 1
	entries := []Entry{}
	err := s.db.Read(db.WithTenant(ctx, tenantID), func(tx *db.Tx) error {
		// The name is the one the latest sale carried: an event renamed
		// during the window shows its new name.
		return tx.Select(&entries, `SELECT r.event_id,
				(SELECT n.event_name FROM rank_minutes n WHERE n.tenant_id = @tenant AND n.event_id = r.event_id
					ORDER BY n.minute DESC LIMIT 1) AS name,
				SUM(r.paid) AS paid_orders
			FROM rank_minutes r
			WHERE r.tenant_id = @tenant AND r.minute >= ? GROUP BY r.event_id HAVING SUM(r.paid) > 0
			ORDER BY SUM(r.paid) DESC, r.event_id LIMIT ?`, from, Size)
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.cache) >= maxCached {
		s.cache = map[string]cached{}
	}
	s.cache[tenantID] = cached{at: now, entries: entries}
	s.mu.Unlock()
	return entries, nil
}

// RankingsRequest asks for a tenant's ranking.
type RankingsRequest struct {
	Tenant string `query:"tenant" maxLength:"100" doc:"The organization whose events are ranked (its id, ten_…)."`
}

// RankingsResponse is a ranking.
type RankingsResponse struct {
	Body struct {
		Data []Entry `json:"data"`
	}
}

// HandleRankings answers GET /v1/public/rankings?tenant=….
func (s *Service) HandleRankings(ctx context.Context, in *RankingsRequest) (*RankingsResponse, error) {
	if in.Tenant == "" {
		return nil, fault.Field("tenant", "name the organization whose events to rank")
	}
	if !id.Valid(in.Tenant, id.Tenant) {
		return nil, fault.Field("tenant", "must be an organization id (ten_…)")
	}
	entries, err := s.Top(ctx, in.Tenant)
	if err != nil {
		return nil, err
	}
	out := &RankingsResponse{}
	out.Body.Data = entries
	return out, nil
}
