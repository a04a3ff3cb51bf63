package db

import "context"

// SetSyncWAL replaces the WAL sync of an SQLite database's committer, so that
// tests can hold or fail it. Call it before the first Write.
func SetSyncWAL(conn *DB, f func() error) { conn.commit.syncWAL = f }

// CommitStats returns how many batches SQLite's committer has committed and
// how many WAL syncs it has run.
func CommitStats(conn *DB) (commits, syncs int64) {
	return conn.commit.commits.Load(), conn.commit.syncs.Load()
}

// MigrateTo migrates up to version only, so that a test can write rows in an
// older schema before the newer migrations run.
func MigrateTo(ctx context.Context, conn *DB, version int64) error {
	return conn.migrateTo(ctx, version)
}
