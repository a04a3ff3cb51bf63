//go:build !unix

package db

import "errors"

// ErrDirInUse says that a server holds the data directory.
var ErrDirInUse = errors.New("a running usher serve holds this data directory")

// LockDataDir is a no-op where flock is missing: one server per data
// directory is then the operator's to keep.
func LockDataDir(string) (func(), error) { return func() {}, nil }
