package db

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usher-events/usher/internal/fault"
)

// interpret translates driver errors where they enter: no rows becomes
// fault.NotFound, a unique violation fault.Conflict and text PostgreSQL
// cannot store (not UTF-8) fault.Invalid. Everything else passes
// through unchanged (and renders as an internal error).
func interpret(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fault.Wrap(err, fault.NotFound, "not found")
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return &fault.Error{Code: fault.Conflict, Message: "already exists", Err: &UniqueError{Constraint: pg.ConstraintName, err: err}}
		case "22021": // character_not_in_repertoire: bytes that are not UTF-8
			return fault.Wrap(err, fault.Invalid, "text must be UTF-8")
		}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &fault.Error{Code: fault.Conflict, Message: "already exists", Err: &UniqueError{err: err}}
		}
	}
	return err
}

// UniqueError is the cause of a fault.Conflict raised by a unique index.
type UniqueError struct {
	// Constraint is the index name where the driver reports it (PostgreSQL).
	Constraint string
	err        error
}

func (e *UniqueError) Error() string { return "unique violation: " + e.err.Error() }
func (e *UniqueError) Unwrap() error { return e.err }

// IsUnique reports whether err comes from a unique index.
func IsUnique(err error) bool {
	var u *UniqueError
	return errors.As(err, &u)
}

// retryable reports whether a PostgreSQL transaction failed on a
// serialization conflict or deadlock and may simply be run again.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}
