package gate

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestLiveAcrossNodes: a scan noticed on one node reaches the streams of
// another through Redis; without Redis, the node's own streams.
func TestLiveAcrossNodes(t *testing.T) {
	ctx := db.WithTenant(context.Background(), "ten_test")
	local := NewLive(nil, nil)
	ch, stop := local.Subscribe(ctx, "evt_1")
	local.Notify(ctx, "evt_1")
	local.Notify(db.WithTenant(context.Background(), "ten_other"), "evt_1") // another tenant's event: no notice
	<-ch
	select {
	case <-ch:
		t.Fatal("a notice for another tenant arrived")
	default:
	}
	stop()

	url := dbtest.RedisURL()
	if url == "" {
		t.Skip("USHER_TEST_REDIS_URL is not set")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := redis.NewClient(opt), redis.NewClient(opt)
	t.Cleanup(func() { ra.Close(); rb.Close() })
	a, b := NewLive(ra, nil), NewLive(rb, nil)
	t.Cleanup(func() { a.Close(); b.Close() })
	sub, stop := b.Subscribe(ctx, "evt_2")
	defer stop()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	// The subscription starts asynchronously: notify until it arrives.
	for {
		a.Notify(ctx, "evt_2")
		select {
		case <-sub:
			return
		case <-tick.C:
		case <-deadline:
			t.Fatal("no notice through Redis")
		}
	}
}
