package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/app"
	"github.com/usher-events/usher/internal/bench"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestThreeNodeFlashSale starts three servers against one PostgreSQL schema
// and one Redis, as `usher serve --database-url … --redis-url …` on three
// machines would be, and sells a quota and a seat map from all three at
// once: exactly the quota is taken, and no seat is held or sold twice.
func TestThreeNodeFlashSale(t *testing.T) {
	if dbtest.PostgresURL() == "" || dbtest.RedisURL() == "" {
		t.Skip("needs USHER_TEST_POSTGRES_URL and USHER_TEST_REDIS_URL")
	}
	nodes := startNodes(t, 3)
	n0 := nodes[0]
	tok := n0.signup("Cluster Org", "owner@cluster.example").Access
	ev := n0.do("POST", "/v1/events", tok, validEvent("Three Node Concert"))
	n0.want(ev, 201, "")
	eid := ev.str("id")
	const quota, seats = 120, 60
	general := n0.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "General", "price": 0, "currency": "KRW", "quota": quota})
	n0.want(general, 201, "")
	seated := n0.do("POST", "/v1/events/"+eid+"/ticket-types", tok, map[string]any{"name": "Seated", "price": 0, "currency": "KRW", "quota": seats})
	n0.want(seated, 201, "")
	var seatList []any
	for i := range seats {
		seatList = append(seatList, map[string]any{"section": "A", "row": fmt.Sprint(i / 10), "number": i%10 + 1, "ticket_type_id": seated.str("id")})
	}
	n0.want(n0.do("POST", "/v1/events/"+eid+"/seats", tok, map[string]any{"seats": seatList}), 201, "")
	n0.want(n0.do("POST", "/v1/events/"+eid+"/publish", tok, nil), 200, "")
	list := nodes[1].do("GET", "/v1/public/events/"+eid+"/seats", "", nil)
	nodes[1].want(list, 200, "")
	var seatIDs []string
	for _, s := range list.Body["data"].([]any) {
		seatIDs = append(seatIDs, s.(map[string]any)["id"].(string))
	}

	// 48 buyers, 16 per node, each trying many times: quantities, then
	// seats (two at a time, overlapping on purpose), paying every other.
	var mu sync.Mutex
	quantityHolds := 0
	seatOwners := map[string][]string{}
	var wg sync.WaitGroup
	for w := range 48 {
		b := nodes[w%3]
		wg.Add(1)
		go func() {
			defer wg.Done()
			buyer := map[string]any{"name": "Buyer", "email": fmt.Sprintf("b%d@cluster.example", w)}
			for i := 0; i < 6; i++ {
				r := b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{
					"buyer": buyer, "items": []any{map[string]any{"ticket_type_id": general.str("id"), "quantity": 1}}})
				if r.Status == 201 {
					mu.Lock()
					quantityHolds++
					mu.Unlock()
					if i%2 == 0 {
						b.want(b.do("POST", "/v1/orders/"+r.str("id")+"/pay", tok, map[string]any{"method": "manual"}), 200, "")
					}
				} else {
					b.want(r, 409, "sold_out")
				}
				k := (w*7 + i*3) % (seats - 1)
				r = b.do("POST", "/v1/events/"+eid+"/orders", tok, map[string]any{"buyer": buyer, "seat_ids": []string{seatIDs[k], seatIDs[k+1]}})
				if r.Status == 201 {
					mu.Lock()
					for _, s := range r.Body["seat_ids"].([]any) {
						seatOwners[s.(string)] = append(seatOwners[s.(string)], r.str("id"))
					}
					mu.Unlock()
					if i%2 == 1 {
						b.want(b.do("POST", "/v1/orders/"+r.str("id")+"/pay", tok, map[string]any{"method": "manual"}), 200, "")
					}
				} else {
					b.want(r, 409, "seat_unavailable")
				}
			}
		}()
	}
	wg.Wait()
	if quantityHolds != quota {
		t.Fatalf("%d quantity holds answered 201 across three nodes, want exactly %d", quantityHolds, quota)
	}
	for s, owners := range seatOwners {
		if len(owners) > 1 {
			t.Fatalf("seat %s held by %v", s, owners)
		}
	}
	types := nodes[2].do("GET", "/v1/events/"+eid+"/ticket-types", tok, nil)
	nodes[2].want(types, 200, "")
	for _, x := range types.Body["data"].([]any) {
		m := x.(map[string]any)
		if m["held"].(float64)+m["sold"].(float64) > m["quota"].(float64) {
			t.Fatalf("oversold: %v", m)
		}
		if m["name"] == "General" && m["held"].(float64)+m["sold"].(float64) != quota {
			t.Fatalf("General: %v", m)
		}
	}
	t.Logf("seats held or sold: %d of %d", len(seatOwners), seats)
}

// TestBenchAcrossThreeNodes runs `usher bench flash-sale --target a,b,c`
// against three nodes on one PostgreSQL and one Redis: buyers spread over
// the nodes (where holds of one event are written in groups) take exactly
// the stock, and nothing is oversold by the answers or by the server's count.
func TestBenchAcrossThreeNodes(t *testing.T) {
	if dbtest.PostgresURL() == "" || dbtest.RedisURL() == "" {
		t.Skip("needs USHER_TEST_POSTGRES_URL and USHER_TEST_REDIS_URL")
	}
	var urls []string
	for _, n := range startNodes(t, 3) {
		urls = append(urls, n.srv.URL)
	}
	res, err := bench.FlashSale(context.Background(), bench.FlashSaleConfig{
		Target: strings.Join(urls, ","), Quota: 600, Concurrency: 48, Duration: time.Minute, Compare: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Holds != 600 || res.Oversold != 0 || res.Errors != 0 {
		t.Fatalf("%d holds of 600, oversold %d, errors %d", res.Holds, res.Oversold, res.Errors)
	}
	t.Logf("%.0f holds/s across three nodes, p99 %s", res.HoldsPerSec, res.P99)
}

// startNodes starts n servers against one fresh PostgreSQL schema and the
// test Redis, as `usher serve --database-url … --redis-url …` on n machines.
func startNodes(t *testing.T, n int) []*bundle {
	t.Helper()
	dc := dbtest.Config(t, db.Postgres)
	log := slog.New(slog.DiscardHandler)
	var nodes []*bundle
	for range n {
		a, err := app.New(context.Background(), app.Config{Addr: "127.0.0.1:0", DatabaseURL: dc.URL, RedisURL: dbtest.RedisURL()}, log)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Handler())
		t.Cleanup(func() { srv.Close(); a.Close(context.Background()) })
		nodes = append(nodes, &bundle{t: t, app: a, srv: srv})
	}
	return nodes
}
