//go:build unix

package db_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// BenchmarkGroupCommit measures SQLite's writer with one client and with 64
// concurrent clients (the flash-sale load): each db.Write inserts one small
// row, and is answered once it is on disk (TempDir is a real file system).
// Besides ns/op it reports the process's CPU time per write and the mean
// number of writes per commit and per WAL sync.
func BenchmarkGroupCommit(b *testing.B) {
	for _, clients := range []int{1, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			benchmarkGroupCommit(b, clients)
		})
	}
}

func benchmarkGroupCommit(b *testing.B, clients int) {
	conn := dbtest.Open(b, db.SQLite)
	now := time.Now().UTC()
	b.ReportAllocs()
	commits0, syncs0 := db.CommitStats(conn)
	cpu0 := cpuTime()
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				id := fmt.Sprintf("ten_%d", i)
				err := conn.Write(context.Background(), func(tx *db.Tx) error {
					_, err := tx.Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, 'x', 'basic', ?)`, id, now)
					return err
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	commits, syncs := db.CommitStats(conn)
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	if commits > commits0 {
		b.ReportMetric(float64(b.N)/float64(commits-commits0), "writes/commit")
	}
	if syncs > syncs0 {
		b.ReportMetric(float64(b.N)/float64(syncs-syncs0), "writes/sync")
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
