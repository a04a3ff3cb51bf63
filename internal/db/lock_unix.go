//go:build unix

package db

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrDirInUse says that a server holds the data directory.
var ErrDirInUse = errors.New("a running usher serve holds this data directory")

// LockDataDir takes the data directory's lock (the file usher.lock in it)
// for as long as the server runs, and returns its release. A second server
// on the same directory is refused, and so is a restore into it; the
// operator's commands (tenants, usage, backup) do not take it and may run
// beside the server. The kernel drops the lock when the process ends, so a
// killed server leaves nothing to clean up.
func LockDataDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "usher.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", dir, ErrDirInUse)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
