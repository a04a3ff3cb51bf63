//go:build !linux

package db

import "os"

// fdatasync flushes f to stable storage (fsync, or F_FULLFSYNC on macOS).
func fdatasync(f *os.File) error { return f.Sync() }
