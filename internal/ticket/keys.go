package ticket

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Key is one of an event's signing keys as published for gates: only the
// public half ever leaves the database.
type Key struct {
	KID       string    `json:"kid" db:"kid" doc:"Key id; the code names the key it was signed with."`
	PublicKey string    `json:"public_key" doc:"Ed25519 public key, base64url without padding."`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	Active    bool      `json:"active" doc:"Whether new tickets are signed with this key; retired keys still verify the codes they signed."`
}

// keyRow is a ticket_keys row.
type keyRow struct {
	EventID   string     `db:"event_id"`
	KID       string     `db:"kid"`
	Public    []byte     `db:"public_key"`
	Private   []byte     `db:"private_key"`
	CreatedAt time.Time  `db:"created_at"`
	RetiredAt *time.Time `db:"retired_at"`
}

func (r keyRow) key() Key {
	return Key{KID: r.KID, PublicKey: base64.RawURLEncoding.EncodeToString(r.Public), CreatedAt: r.CreatedAt.UTC(), Active: r.RetiredAt == nil}
}

// privateKey rebuilds the signing key from the stored seed (sealed when
// the installation has a secrets key) without recomputing the public half.
func (r keyRow) privateKey(d *db.DB) (ed25519.PrivateKey, error) {
	seed, err := d.Open(r.Private, keyLabel(r.EventID, r.KID))
	if err != nil {
		return nil, fmt.Errorf("ticket key %s of %s: %w", r.KID, r.EventID, err)
	}
	if len(seed) != ed25519.SeedSize || len(r.Public) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("ticket key %s of %s is damaged", r.KID, r.EventID)
	}
	k := make(ed25519.PrivateKey, 0, ed25519.PrivateKeySize)
	k = append(k, seed...)
	return append(k, r.Public...), nil
}

// keyLabel names a ticket key's place for sealing its seed.
func keyLabel(eventID, kid string) string { return "ticket_key:" + eventID + ":" + kid }

// SealKeys seals the ticket keys stored before the installation had a
// secrets key (a no-op without one). It runs at start-up.
func (s *Service) SealKeys(ctx context.Context) (int, error) {
	if !s.db.Sealing() {
		return 0, nil
	}
	n := 0
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		tx = tx.Global()
		var rows []keyRow
		if err := tx.Select(&rows, `SELECT `+keyColumns+` FROM ticket_keys ORDER BY event_id, kid`); err != nil {
			return err
		}
		for _, r := range rows {
			if db.IsSealed(r.Private) {
				continue
			}
			sealed, err := s.db.Seal(r.Private, keyLabel(r.EventID, r.KID))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE ticket_keys SET private_key = ? WHERE event_id = ? AND kid = ?`, sealed, r.EventID, r.KID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// ParseKey turns a published key into one a verifier can hold.
func ParseKey(eventID string, k Key) (VerifyKey, error) {
	pub, err := base64.RawURLEncoding.DecodeString(k.PublicKey)
	if err != nil {
		return VerifyKey{}, fmt.Errorf("ticket: key %s: public key is not base64url", k.KID)
	}
	vk := VerifyKey{EventID: eventID, KID: k.KID, PublicKey: pub}
	var ks KeySet
	if err := ks.Add(vk); err != nil {
		return VerifyKey{}, err
	}
	return vk, nil
}

const keyColumns = `event_id, kid, public_key, private_key, created_at, retired_at`

// activeKey returns the event's signing key, creating the event's first one
// when it has none. Creation is race-free across nodes: the partial unique
// index admits one active key per event, a loser's insert does nothing, and
// the read after it sees the winner's key.
func (s *Service) activeKey(tx *db.Tx, eventID string, now time.Time) (keyRow, error) {
	var k keyRow
	err := tx.Get(&k, `SELECT `+keyColumns+` FROM ticket_keys WHERE tenant_id = @tenant AND event_id = ? AND retired_at IS NULL`, eventID)
	if !fault.Is(err, fault.NotFound) {
		return k, err
	}
	nk, err := s.newKeyRow(eventID, now)
	if err != nil {
		return k, err
	}
	_, err = tx.Exec(`INSERT INTO ticket_keys (tenant_id, event_id, kid, public_key, private_key, created_at)
		VALUES (@tenant, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, nk.EventID, nk.KID, nk.Public, nk.Private, nk.CreatedAt)
	if err != nil {
		return k, err
	}
	err = tx.Get(&k, `SELECT `+keyColumns+` FROM ticket_keys WHERE tenant_id = @tenant AND event_id = ? AND retired_at IS NULL`, eventID)
	return k, err
}

// newKeyRow makes a new key for an event, its seed sealed for storage.
func (s *Service) newKeyRow(eventID string, now time.Time) (keyRow, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyRow{}, err
	}
	sum := sha256.Sum256(pub)
	k := keyRow{EventID: eventID, KID: formatKIDBytes(sum[:]), Public: pub, CreatedAt: now}
	if k.Private, err = s.db.Seal(priv.Seed(), keyLabel(eventID, k.KID)); err != nil {
		return keyRow{}, err
	}
	return k, nil
}

// Keys returns the event's keys, newest first, for the tenant of ctx.
func (s *Service) Keys(ctx context.Context, eventID string) ([]Key, error) {
	var rows []keyRow
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&rows, `SELECT `+keyColumns+` FROM ticket_keys WHERE tenant_id = @tenant AND event_id = ? ORDER BY created_at DESC, kid`, eventID)
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		// An event without tickets has no keys yet; that is an empty list,
		// but only for an event the tenant has.
		if err := s.eventExists(ctx, eventID); err != nil {
			return nil, err
		}
	}
	return keysOf(rows), nil
}

// PublicKeys returns an event's keys to anyone: public keys are public, and
// gates fetch them before they have credentials for anything else.
func (s *Service) PublicKeys(ctx context.Context, eventID string) ([]Key, error) {
	var rows []keyRow
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Select(&rows, `SELECT `+keyColumns+` FROM ticket_keys WHERE event_id = ? ORDER BY created_at DESC, kid`, eventID)
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fault.New(fault.NotFound, "event %q has no ticket keys (yet: the first is made when its first ticket is issued)", eventID)
	}
	return keysOf(rows), nil
}

func keysOf(rows []keyRow) []Key {
	out := make([]Key, len(rows))
	for i, r := range rows {
		out[i] = r.key()
	}
	return out
}

// RotateKey makes a new active key for the event; the previous one retires
// but keeps verifying the codes it signed until RemoveKey. Existing tickets
// keep their codes.
func (s *Service) RotateKey(ctx context.Context, eventID string) (Key, error) {
	if err := s.eventExists(ctx, eventID); err != nil {
		return Key{}, err
	}
	now := s.now()
	nk, err := s.newKeyRow(eventID, now)
	if err != nil {
		return Key{}, err
	}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(`UPDATE ticket_keys SET retired_at = ? WHERE tenant_id = @tenant AND event_id = ? AND retired_at IS NULL`, now, eventID); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO ticket_keys (tenant_id, event_id, kid, public_key, private_key, created_at) VALUES (@tenant, ?, ?, ?, ?, ?)`,
			nk.EventID, nk.KID, nk.Public, nk.Private, nk.CreatedAt)
		return err
	})
	if err != nil {
		return Key{}, err
	}
	return nk.key(), nil
}

// RemoveKey deletes a retired key: codes it signed stop verifying at gates
// that refresh their keys. The active key cannot be removed; rotate first.
func (s *Service) RemoveKey(ctx context.Context, eventID, kid string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		var retired *time.Time
		err := tx.Get(&retired, `SELECT retired_at FROM ticket_keys WHERE tenant_id = @tenant AND event_id = ? AND kid = ?`, eventID, kid)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.NotFound, "event %q has no ticket key %q", eventID, kid)
		}
		if err != nil {
			return err
		}
		if retired == nil {
			return fault.New(fault.Conflict, "key %q is the event's active key; rotate before removing it", kid)
		}
		return tx.ExecOne(`DELETE FROM ticket_keys WHERE tenant_id = @tenant AND event_id = ? AND kid = ?`, eventID, kid)
	})
}

// VerifyCode checks a code for the tenant of ctx against the tenant's keys,
// wherever the key id leads: the server-side counterpart of Verify for
// check-in. A code signed by another tenant's key is ErrUnknownKey.
func (s *Service) VerifyCode(ctx context.Context, code string) (Claims, error) {
	kid, err := KIDOf(code)
	if err != nil {
		return Claims{}, err
	}
	var rows []keyRow
	err = s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Select(&rows, `SELECT `+keyColumns+` FROM ticket_keys WHERE tenant_id = @tenant AND kid = ?`, kid)
	})
	if err != nil {
		return Claims{}, err
	}
	var ks KeySet
	for _, r := range rows {
		if err := ks.Add(VerifyKey{EventID: r.EventID, KID: r.KID, PublicKey: r.Public}); err != nil {
			return Claims{}, err
		}
	}
	return Verify(code, ks, s.now())
}

// eventExists reports a fault.NotFound unless the tenant of ctx has the event.
func (s *Service) eventExists(ctx context.Context, eventID string) error {
	_, err := s.events.TicketEvent(ctx, eventID, "")
	if fault.Is(err, fault.NotFound) {
		return fault.New(fault.NotFound, "no event %q", eventID)
	}
	return err
}
