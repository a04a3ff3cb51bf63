package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestKill9DuringSale builds the usher binary, serves a flash sale from a
// temporary SQLite folder (and from a fresh PostgreSQL schema, where one is
// configured), kills the server with SIGKILL while buyers hold and pay,
// restarts it on the same data and checks that every hold and payment
// answered 2xx is there with its status, then sells the rest and checks that
// exactly the quota was taken, never more.
func TestKill9DuringSale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "usher")
	build := exec.Command("go", "build", "-o", bin, "github.com/usher-events/usher/cmd/usher")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		killDuringSale(t, bin, dbtest.Config(t, d))
	})
}

func killDuringSale(t *testing.T, bin string, store db.Config) {
	data := store.DataDir
	if data == "" {
		data = t.TempDir() // the node's local keys; the orders are in PostgreSQL
	}
	ctx := context.Background()

	srv, base := startServer(t, bin, data, store.URL)
	c := NewClient(base, 32)
	const quota = 400
	sale, err := prepare(ctx, c, FlashSaleConfig{Quota: quota})
	if err != nil {
		t.Fatal(err)
	}

	// Buyers hold one ticket, and pay half of their holds, recording every
	// answer that was a success.
	var mu sync.Mutex
	acked := map[string]string{} // order id → status answered
	var ackCount atomic.Int64
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := 0; i < 200; i++ {
				select {
				case <-killed:
					return
				default:
				}
				var o struct {
					ID string `json:"id"`
				}
				st, err := c.Do(ctx, "POST", "/v1/events/"+sale.eventID+"/orders", map[string]any{
					"buyer": map[string]any{"name": "Crash", "email": fmt.Sprintf("crash%d@bench.example", w)},
					"items": []any{map[string]any{"ticket_type_id": sale.typeID, "quantity": 1}},
				}, &o)
				if err != nil || st != 201 {
					continue
				}
				mu.Lock()
				acked[o.ID] = "held"
				mu.Unlock()
				ackCount.Add(1)
				if rng.IntN(2) == 0 {
					st, err := c.Do(ctx, "POST", "/v1/orders/"+o.ID+"/pay", map[string]any{"method": "manual"}, nil)
					if err == nil && st == 200 {
						mu.Lock()
						acked[o.ID] = "paid"
						mu.Unlock()
					}
				}
			}
		}()
	}
	// Kill mid-way: once a good part of the quota is acknowledged.
	for ackCount.Load() < quota/2 {
		time.Sleep(2 * time.Millisecond)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
	close(killed)
	wg.Wait()

	_, base = startServer(t, bin, data, store.URL)
	c2 := NewClient(base, 8)
	c2.Token = c.Token // access tokens are signed with a key kept in the database
	held, paid := 0, 0
	for id, want := range acked {
		var o struct {
			Status string `json:"status"`
		}
		st, err := c2.Do(ctx, "GET", "/v1/orders/"+id, nil, &o)
		if err != nil || st != 200 {
			t.Fatalf("order %s answered %s before the kill: after restart %d %v", id, want, st, err)
		}
		switch {
		case want == "paid" && o.Status != "paid":
			t.Fatalf("order %s was answered paid, is %s after restart", id, o.Status)
		case want == "held" && o.Status != "held" && o.Status != "paid":
			t.Fatalf("order %s was answered held, is %s after restart", id, o.Status)
		}
		if o.Status == "paid" {
			paid++
		} else {
			held++
		}
	}
	// Sell the rest: exactly the quota, never more.
	extra := 0
	for i := 0; i < 2*quota; i++ {
		st, err := c2.Do(ctx, "POST", "/v1/events/"+sale.eventID+"/orders", map[string]any{
			"buyer": map[string]any{"name": "After", "email": "after@bench.example"},
			"items": []any{map[string]any{"ticket_type_id": sale.typeID, "quantity": 1}},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st == 409 {
			break
		}
		if st != 201 {
			t.Fatalf("hold after restart: %d", st)
		}
		extra++
	}
	var types struct {
		Data []struct {
			Held, Sold, Quota int
		} `json:"data"`
	}
	if err := c2.must(ctx, "GET", "/v1/events/"+sale.eventID+"/ticket-types", nil, &types); err != nil {
		t.Fatal(err)
	}
	tt := types.Data[0]
	if tt.Held+tt.Sold != quota {
		t.Fatalf("after the sale: held %d + sold %d, want exactly %d", tt.Held, tt.Sold, quota)
	}
	if len(acked)+extra > quota {
		t.Fatalf("oversold: %d acknowledged before the kill + %d after > %d", len(acked), extra, quota)
	}
	t.Logf("acknowledged before kill: %d (%d paid after restart), after restart: %d more", len(acked), paid, extra)
}

// server is a running `usher serve`; exited is closed once it has ended.
type server struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startServer runs `usher serve` on a free loopback port, on the data folder
// and the PostgreSQL URL when one is given, and waits until it answers; the
// process is killed when the test ends.
func startServer(t *testing.T, bin, data, databaseURL string) (*server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--log-level", "error", "serve", "--addr", addr, "--data-dir", data)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Env = append(os.Environ(), "USHER_DATABASE_URL="+databaseURL, "USHER_REDIS_URL=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	srv := &server{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(srv.exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-srv.exited })
	base := "http://" + addr
	c := NewClient(base, 1)
	// Generous: on PostgreSQL the start migrates a fresh schema, and the
	// migrations of every test running at once take turns on one lock.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if st, err := c.Do(context.Background(), "GET", "/healthz", nil, nil); err == nil && st == 200 {
			return srv, base
		}
		select {
		case <-srv.exited:
			t.Fatalf("the server at %s exited before answering (its log is above)", addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("the server at %s did not come up in 2 minutes", addr)
	return nil, ""
}
