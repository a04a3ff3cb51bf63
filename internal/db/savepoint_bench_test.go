package db

import (
	"context"
	"testing"
)

// BenchmarkSavepoint compares running the batch's SAVEPOINT/RELEASE pair
// unprepared and prepared (as the committer does).
func BenchmarkSavepoint(b *testing.B) {
	conn, err := Open(context.Background(), Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := conn.commit
	for _, prepared := range []bool{false, true} {
		name := "exec"
		if prepared {
			name = "prepared"
		}
		b.Run(name, func(b *testing.B) {
			tx, err := conn.write.BeginTxx(context.Background(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer tx.Rollback()
			sp, rel := c.stmts.prepared(savepointSQL), c.stmts.prepared(releaseSQL)
			if !prepared {
				sp, rel = nil, nil
			} else {
				sp, rel = tx.Stmtx(sp), tx.Stmtx(rel)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := execStmt(tx, sp, savepointSQL); err != nil {
					b.Fatal(err)
				}
				if err := execStmt(tx, rel, releaseSQL); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
