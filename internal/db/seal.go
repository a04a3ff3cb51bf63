package db

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Sealing: the installation's secrets (token signing keys, the waiting
// room's key, the events' ticket signing keys) are stored sealed with
// AES-256-GCM when a secrets key is configured, so that a copy of the
// database (a backup, a dump, a stolen disk) does not carry them. Without a
// key they are stored as they are, as before; with one, values stored
// before are sealed at start-up (SealSecrets and the owners' own passes).
//
// A sealed value is sealPrefix, a 12-byte nonce and the ciphertext. Each is
// bound to a label naming where it lives ("secret:jwt_hs256"), so a sealed
// value copied to another row does not open there.

// sealPrefix starts every sealed value. Unsealed values are random bytes
// of fixed lengths (32) that cannot be mistaken for it by chance worth
// worrying about (2^-40), and every sealed value is longer than them.
var sealPrefix = []byte("usk1:")

// SecretsKeySize is the length of a secrets key: 32 bytes (AES-256).
const SecretsKeySize = 32

// ErrSealed is returned when a sealed value is read without the key that
// sealed it.
var ErrSealed = errors.New("db: a stored secret is sealed and no secrets key (or another key) was given; start usher with the --secrets-key-file it was sealed with")

// ReadSecretsKey reads a secrets key file: the key in standard base64 (44
// characters, as `head -c 32 /dev/urandom | base64` writes it), with or
// without a final newline.
func ReadSecretsKey(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != SecretsKeySize {
		return nil, fmt.Errorf("secrets key %s: want %d random bytes in base64 (head -c 32 /dev/urandom | base64)", path, SecretsKeySize)
	}
	return key, nil
}

func newSealer(key []byte) (cipher.AEAD, error) {
	if key == nil {
		return nil, nil
	}
	if len(key) != SecretsKeySize {
		return nil, fmt.Errorf("secrets key: want %d bytes, got %d", SecretsKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Sealing reports whether secrets are stored sealed.
func (db *DB) Sealing() bool { return db.aead != nil }

// Seal returns plain sealed for the place label names, or plain itself
// when no secrets key is configured.
func (db *DB) Seal(plain []byte, label string) ([]byte, error) {
	if db.aead == nil {
		return plain, nil
	}
	out := make([]byte, 0, len(sealPrefix)+db.aead.NonceSize()+len(plain)+db.aead.Overhead())
	out = append(out, sealPrefix...)
	nonce := make([]byte, db.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out = append(out, nonce...)
	return db.aead.Seal(out, nonce, plain, []byte(label)), nil
}

// Open returns a stored value as it was before Seal: a value stored unsealed
// is returned as it is; a sealed one needs the key that sealed it (ErrSealed
// otherwise).
func (db *DB) Open(stored []byte, label string) ([]byte, error) {
	if !IsSealed(stored) {
		return stored, nil
	}
	if db.aead == nil {
		return nil, ErrSealed
	}
	body := stored[len(sealPrefix):]
	n := db.aead.NonceSize()
	if len(body) < n+db.aead.Overhead() {
		return nil, fmt.Errorf("db: sealed value for %s is truncated", label)
	}
	plain, err := db.aead.Open(nil, body[:n], body[n:], []byte(label))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

// IsSealed reports whether a stored value is sealed.
func IsSealed(stored []byte) bool { return bytes.HasPrefix(stored, sealPrefix) }

// SealSecrets seals the installation's secrets stored before a secrets key
// was configured (a no-op without one, and for values already sealed).
func (db *DB) SealSecrets(ctx context.Context) (int, error) {
	if db.aead == nil {
		return 0, nil
	}
	n := 0
	err := db.Write(ctx, func(tx *Tx) error {
		tx = tx.Global()
		var rows []struct {
			Name  string `db:"name"`
			Value []byte `db:"value"`
		}
		if err := tx.Select(&rows, `SELECT name, value FROM secrets ORDER BY name`); err != nil {
			return err
		}
		for _, r := range rows {
			if IsSealed(r.Value) {
				if _, err := db.Open(r.Value, secretLabel(r.Name)); err != nil {
					return fmt.Errorf("secret %s: %w", r.Name, err)
				}
				continue
			}
			sealed, err := db.Seal(r.Value, secretLabel(r.Name))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE secrets SET value = ? WHERE name = ?`, sealed, r.Name); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func secretLabel(name string) string { return "secret:" + name }
