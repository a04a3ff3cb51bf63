package db

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// Secret returns the installation-wide random secret with the name, creating
// it with n random bytes on first use. It lives in the database, so every
// node of a cluster signs and verifies with the same key.
func (db *DB) Secret(ctx context.Context, name string, n int, now time.Time) ([]byte, error) {
	fresh := make([]byte, n)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	sealed, err := db.Seal(fresh, secretLabel(name))
	if err != nil {
		return nil, err
	}
	var stored []byte
	err = db.Write(ctx, func(tx *Tx) error {
		tx = tx.Global()
		if _, err := tx.Exec(`INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`, name, sealed, now); err != nil {
			return err
		}
		return tx.Get(&stored, `SELECT value FROM secrets WHERE name = ?`, name)
	})
	if err != nil {
		return nil, err
	}
	key, err := db.Open(stored, secretLabel(name))
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return key, nil
}
