package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/outbox"
)

// BenchmarkDrain emits order.created-like events and drains them through a
// consumer shaped like notify's (each event schedules one send job under a
// dedupe key; the send job does nothing), with dispatch passes and job runs
// until no work is left. "apply" delivers inline, "handle" through one
// outbox job per event. The emits are not timed; ns/event is the drain's
// wall time, cpu-ns/event the process's CPU time (user and system, all
// goroutines) over the drain, steadier on a busy machine.
//
// The "+partial" variants first swap the jobs table's indexes on status for
// partial ones (see partialJobIndexes), to measure that schema change.
func BenchmarkDrain(b *testing.B) {
	const perIter = 500
	for _, d := range dbtest.Dialects() {
		for _, mode := range []string{"apply", "handle", "apply+partial", "handle+partial"} {
			b.Run(string(d)+"/"+mode, func(b *testing.B) {
				conn := dbtest.Open(b, d)
				if strings.HasSuffix(mode, "+partial") {
					partialJobIndexes(b, conn)
				}
				r := job.NewRunner(conn, job.Config{})
				disp := outbox.NewDispatcher(conn, r, outbox.DispatcherConfig{})
				schedule := func(tx *db.Tx, e outbox.Event) error {
					_, _, err := job.Enqueue(tx, "bench.send", map[string]string{"order_id": e.Subject, "kind": "confirmation"},
						job.Opts{DedupeKey: "msg:" + e.Subject + ":confirmation"})
					return err
				}
				c := outbox.Consumer{Name: "bench", Kinds: []string{"order.created"}}
				if strings.HasPrefix(mode, "apply") {
					c.Apply = schedule
				} else {
					c.Handle = func(ctx context.Context, e outbox.Event) error {
						return conn.Write(ctx, func(tx *db.Tx) error { return schedule(tx, e) })
					}
				}
				disp.Register(c)
				r.Handle("bench.send", func(context.Context, *job.Job) error { return nil })
				ctx := context.Background()
				seq := 0
				var cpu time.Duration
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					emitOrders(b, conn, &seq, perIter)
					b.StartTimer()
					cpu0 := cpuTime()
					for {
						n, err := disp.DispatchOnce(ctx)
						if err != nil {
							b.Fatal(err)
						}
						m, err := r.RunDue(ctx)
						if err != nil {
							b.Fatal(err)
						}
						if n == 0 && m == 0 {
							break
						}
					}
					cpu += cpuTime() - cpu0
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perIter), "ns/event")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*perIter), "cpu-ns/event")
			})
		}
	}
}

// emitOrders records n order.created events of a few tenants, a hundred per
// transaction.
func emitOrders(b *testing.B, conn *db.DB, seq *int, n int) {
	b.Helper()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for n > 0 {
		k := min(n, 100)
		tenant := fmt.Sprintf("ten_%d", *seq%4)
		err := conn.Write(db.WithTenant(context.Background(), tenant), func(tx *db.Tx) error {
			for i := range k {
				order := fmt.Sprintf("ord_%08d", *seq+i)
				payload := map[string]any{
					"order_id": order, "locale": "ko", "total": 99000, "currency": "KRW",
					"event": map[string]any{"id": "evt_1", "name": "Usher Conf", "starts_at": at.Add(240 * time.Hour), "venue": "COEX"},
					"buyer": map[string]any{"name": "Kim Minji", "email": "minji@example.com", "phone": "+821012345678"},
				}
				if _, err := outbox.Emit(tx, "order.created", order, payload, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		*seq += k
		n -= k
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// partialJobIndexes replaces the jobs indexes that hold status with partial
// indexes on the statuses each query reads: claims read pending jobs, the
// reaper running ones, the dead-letter list dead ones. A job finishing then
// touches no secondary index but the running one, and done jobs (the bulk of
// the table) sit in none of them. A measurement only; not a migration.
func partialJobIndexes(b *testing.B, conn *db.DB) {
	b.Helper()
	err := conn.Write(context.Background(), func(tx *db.Tx) error {
		for _, q := range []string{
			`DROP INDEX jobs_due_order`,
			`DROP INDEX jobs_tenant_status`,
			`CREATE INDEX jobs_pending ON jobs (run_at, id) WHERE status = 'pending'`,
			`CREATE INDEX jobs_running ON jobs (locked_until) WHERE status = 'running'`,
			`CREATE INDEX jobs_dead ON jobs (tenant_id, id) WHERE status = 'dead'`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
