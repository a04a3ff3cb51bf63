package db_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestSealedSecrets: with a secrets key, a secret is stored sealed and
// reads back the same across restarts; without the key, or with another,
// it does not open; secrets stored before the key are sealed by
// SealSecrets and keep their value; a sealed value moved to another
// secret's row does not open there.
func TestSealedSecrets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		ctx := context.Background()
		cfg := dbtest.Config(t, d)
		key := bytes.Repeat([]byte{7}, db.SecretsKeySize)
		open := func(k []byte) *db.DB {
			t.Helper()
			c := cfg
			c.SecretsKey = k
			conn, err := db.Open(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if err := conn.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			return conn
		}
		stored := func(conn *db.DB, name string) []byte {
			t.Helper()
			var v []byte
			if err := conn.Read(ctx, func(tx *db.Tx) error {
				return tx.Global().Get(&v, `SELECT value FROM secrets WHERE name = ?`, name)
			}); err != nil {
				t.Fatal(err)
			}
			return v
		}
		now := time.Now().UTC()

		// Before any key: stored as it is.
		plain := open(nil)
		old, err := plain.Secret(ctx, "old", 32, now)
		if err != nil || !bytes.Equal(stored(plain, "old"), old) {
			t.Fatalf("unsealed secret: %x, %v", stored(plain, "old"), err)
		}
		plain.Close()

		sealed := open(key)
		if n, err := sealed.SealSecrets(ctx); err != nil || n != 1 {
			t.Fatalf("sealed %d stored secrets (%v), want 1", n, err)
		}
		if n, err := sealed.SealSecrets(ctx); err != nil || n != 0 {
			t.Fatalf("a second pass sealed %d (%v)", n, err)
		}
		if raw := stored(sealed, "old"); !db.IsSealed(raw) || bytes.Contains(raw, old) {
			t.Fatalf("the old secret is stored as %x", raw)
		}
		if again, err := sealed.Secret(ctx, "old", 32, now); err != nil || !bytes.Equal(again, old) {
			t.Fatalf("the old secret after sealing: %x, %v", again, err)
		}
		fresh, err := sealed.Secret(ctx, "fresh", 32, now)
		if err != nil || !db.IsSealed(stored(sealed, "fresh")) || bytes.Contains(stored(sealed, "fresh"), fresh) {
			t.Fatalf("a new secret is stored as %x (%v)", stored(sealed, "fresh"), err)
		}
		// Another row's sealed value does not open as this one.
		if err := sealed.Write(ctx, func(tx *db.Tx) error {
			_, err := tx.Global().Exec(`INSERT INTO secrets (name, value, created_at) VALUES ('copied', ?, ?)`, stored(sealed, "fresh"), now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := sealed.Secret(ctx, "copied", 32, now); !errors.Is(err, db.ErrSealed) {
			t.Fatalf("a copied sealed value opened: %v", err)
		}
		sealed.Close()

		again := open(key)
		if v, err := again.Secret(ctx, "fresh", 32, now); err != nil || !bytes.Equal(v, fresh) {
			t.Fatalf("after a restart with the key: %x, %v", v, err)
		}
		again.Close()
		for name, k := range map[string][]byte{"no key": nil, "another key": bytes.Repeat([]byte{8}, db.SecretsKeySize)} {
			conn := open(k)
			if _, err := conn.Secret(ctx, "fresh", 32, now); !errors.Is(err, db.ErrSealed) {
				t.Errorf("%s: %v, want ErrSealed", name, err)
			}
			conn.Close()
		}
	})
}

// TestReadSecretsKey reads a key file in base64 and refuses one of the
// wrong length or encoding, or a missing one.
func TestReadSecretsKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n")
	if k, err := db.ReadSecretsKey(good); err != nil || !bytes.Equal(k, bytes.Repeat([]byte{7}, 32)) {
		t.Fatalf("good key: %x, %v", k, err)
	}
	for _, p := range []string{write("short", "BwcHBwcH\n"), write("text", "not base64 at all, is it?"), filepath.Join(dir, "missing")} {
		if _, err := db.ReadSecretsKey(p); err == nil {
			t.Errorf("%s accepted", filepath.Base(p))
		}
	}
	if _, err := db.Open(context.Background(), db.Config{DataDir: t.TempDir(), SecretsKey: []byte("short")}); err == nil {
		t.Error("a 5-byte key opened the database")
	}
}
