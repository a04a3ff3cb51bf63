package rank

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// The public endpoint may name any tenant: the node's cache of rankings
// stays bounded however many are asked for.
func TestCacheIsBounded(t *testing.T) {
	conn := dbtest.Open(t, db.SQLite)
	s := NewService(conn, func() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) })
	for i := range maxCached + 50 {
		if _, err := s.Top(context.Background(), fmt.Sprintf("ten_%026d", i)); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	n := len(s.cache)
	s.mu.Unlock()
	if n > maxCached {
		t.Fatalf("%d rankings cached, want at most %d", n, maxCached)
	}
	if n == 0 {
		t.Fatal("nothing cached")
	}
}
