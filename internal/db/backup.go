package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrBackupPostgres is what Backup and Restore answer on PostgreSQL, whose
// own tools do this better than a copy through the application could.
var ErrBackupPostgres = errors.New("on PostgreSQL, back up and restore with pg_dump / pg_restore (or your provider's snapshots); usher backup copies the embedded SQLite file")

// sqlitePath is the database file in a data directory.
func sqlitePath(dir string) string { return filepath.Join(dir, "usher.db") }

// HasSQLite reports whether a data directory holds an embedded database
// (opening one that does not creates it). A file it cannot look at counts as
// there, so that opening it says why.
func HasSQLite(dir string) bool {
	_, err := os.Stat(sqlitePath(dir))
	return !errors.Is(err, fs.ErrNotExist)
}

// Backup writes a consistent copy of the SQLite database to path (which must
// not exist) while the server may go on serving: VACUUM INTO reads one
// snapshot, like any reader, and never blocks the writer. The copy is a
// whole database file, compacted, with no WAL beside it. It holds the
// installation's secrets as stored: sealed when the installation runs with
// --secrets-key-file, so the copy needs that key file to be used.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return ErrBackupPostgres
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists; name a new file", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup: %w", interpret(err))
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	return f.Sync()
}

// Restore puts the backup file from in place of the SQLite database of the
// data directory dir. The directory's current database, if any, is kept
// beside it as usher.db.before-restore-<time>. It is refused while a
// server runs on the directory, and when from is not an Usher database.
// Returns the name the old database was kept under ("" when there was
// none). It holds the directory's lock (LockDataDir) while it works.
func Restore(ctx context.Context, dir, from string) (string, error) {
	if err := checkBackup(ctx, from); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	release, err := LockDataDir(dir)
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	defer release()
	path := sqlitePath(dir)
	kept := ""
	if _, err := os.Stat(path); err == nil {
		kept = path + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(path, kept); err != nil {
			return "", fmt.Errorf("restore: keep the current database: %w", err)
		}
		// The old database's WAL belongs to it; a WAL left beside the
		// restored file would be replayed into it.
		for _, ext := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(path + ext); err == nil {
				if err := os.Rename(path+ext, kept+ext); err != nil {
					return "", fmt.Errorf("restore: keep the current database's %s: %w", ext, err)
				}
			}
		}
	}
	if err := copyFile(from, path); err != nil {
		return kept, fmt.Errorf("restore: %w", err)
	}
	return kept, nil
}

// checkBackup opens from read-only and checks that it is a whole SQLite
// database with Usher's migrations in it.
func checkBackup(ctx context.Context, from string) error {
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	c, err := sql.Open("sqlite", "file:"+from+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer c.Close()
	var ok string
	if err := c.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&ok); err != nil || ok != "ok" {
		return fmt.Errorf("restore: %s is not a sound SQLite database (%v%s)", from, err, ok)
	}
	var version int64
	if err := c.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&version); err != nil || version < 1 {
		return fmt.Errorf("restore: %s is not an Usher database (no migrations recorded)", from)
	}
	return nil
}

// copyFile copies from to a new file to, synced, through a temporary name,
// so that a copy cut short never stands as the database.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".restoring"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, to)
}
