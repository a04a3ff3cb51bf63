package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/usher-events/usher/internal/phone"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrate brings the schema up to date. Each migration runs in its own
// transaction and is recorded; on PostgreSQL an advisory lock lets several
// nodes start at once.
func (db *DB) Migrate(ctx context.Context) error { return db.migrateTo(ctx, 0) }

// migrateTo migrates up to version, or to the newest when version is 0.
func (db *DB) migrateTo(ctx context.Context, version int64) error {
	dir := "migrations/" + string(db.dialect)
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(goMigrations(db.dialect)...)}
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// The lock is per schema: nodes of one installation take turns,
		// installations (or tests) in other schemas of the same database
		// do not wait for each other.
		var schema string
		if err := db.write.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte("usher-migrate:" + schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64() >> 1)))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.write.DB, fsys, opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var results []*goose.MigrationResult
	if version > 0 {
		results, err = p.UpTo(ctx, version)
	} else {
		results, err = p.Up(ctx)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		db.log.Info("migrated", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}

// goMigrations are the migrations that SQL cannot express, the same on both
// databases; their versions are not used by any SQL file.
func goMigrations(d Dialect) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(21, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return normalizePhones(ctx, tx, d)
		}}, nil),
	}
}

// normalizePhones rewrites in E.164 the buyers' and customers' phones that
// builds before phone normalization stored as typed, so that a person is
// found by any spelling (personal-data requests, wallets). A value that is
// no valid number stays as it was. It reads every stored phone once (a
// spelling may start with + and still not be E.164: "+82 10 …").
func normalizePhones(ctx context.Context, tx *sql.Tx, d Dialect) error {
	for _, c := range []struct{ table, column string }{{"orders", "buyer_phone"}, {"customers", "phone"}} {
		rows, err := tx.QueryContext(ctx, `SELECT id, `+c.column+` FROM `+c.table+` WHERE `+c.column+` <> ''`)
		if err != nil {
			return err
		}
		fixed := map[string]string{}
		for rows.Next() {
			var id, raw string
			if err := rows.Scan(&id, &raw); err != nil {
				rows.Close()
				return err
			}
			if n, err := phone.Normalize(raw, phone.DefaultRegion); err == nil && n != raw {
				fixed[id] = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		update := compile(`UPDATE `+c.table+` SET `+c.column+` = ? WHERE id = ?`, d).sql
		for id, n := range fixed {
			if _, err := tx.ExecContext(ctx, update, n, id); err != nil {
				return err
			}
		}
	}
	return nil
}
