package tenant

import (
	"context"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// APIKey is an API key as listed; the secret itself is shown only once.
type APIKey struct {
	ID         string     `json:"id" db:"id"`
	Name       string     `json:"name" db:"name"`
	Role       api.Role   `json:"role" db:"role" enum:"owner,admin,staff,gate,viewer"`
	Hint       string     `json:"hint" db:"hint" doc:"The key's last four characters."`
	CreatedBy  string     `json:"created_by" db:"created_by"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" db:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty" db:"revoked_at"`
}

// NewAPIKey is a just-created key with its secret.
type NewAPIKey struct {
	APIKey
	Key string `json:"key" doc:"The secret key. It is shown only in this answer."`
}

// mayGrant reports whether a principal with role by may hand out role r:
// only an owner may make another owner (or an owner key).
func mayGrant(by, r api.Role) bool {
	return r != api.RoleOwner || by == api.RoleOwner
}

// CreateAPIKey makes a key with the role for the tenant of ctx.
func (s *Service) CreateAPIKey(ctx context.Context, name string, role api.Role) (*NewAPIKey, error) {
	p, _ := api.PrincipalFrom(ctx)
	var check fault.Check
	name = strings.TrimSpace(name)
	check.Add(name == "", "name", "must not be empty")
	check.Add(!api.ValidRole(string(role)), "role", "must be one of owner, admin, staff, gate, viewer")
	if err := check.Err(); err != nil {
		return nil, err
	}
	if !mayGrant(p.Role, role) {
		return nil, fault.New(fault.Forbidden, "only an owner may create an owner key")
	}
	secret := apiKeyPrefix + id.Secret(24)
	k := NewAPIKey{APIKey: APIKey{
		ID: id.New(id.APIKey), Name: name, Role: role, Hint: secret[len(secret)-4:],
		CreatedBy: p.ActorID, CreatedAt: s.now(),
	}, Key: secret}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO api_keys (tenant_id, id, name, role, key_hash, hint, created_by, created_at) VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, k.Role, hashHex(secret), k.Hint, k.CreatedBy, k.CreatedAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, k.ID)
	return &k, nil
}

// ListAPIKeys lists the tenant's keys that are not revoked, newest first.
func (s *Service) ListAPIKeys(ctx context.Context, page api.PageParams) (*api.List[APIKey], error) {
	q, args, err := page.Keyset(`SELECT id, name, role, hint, created_by, created_at, last_used_at, revoked_at FROM api_keys
		WHERE tenant_id = @tenant AND revoked_at IS NULL`, "id")
	if err != nil {
		return nil, err
	}
	var keys []APIKey
	err = s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&keys, q, args...) })
	if err != nil {
		return nil, err
	}
	return api.NewList(keys, page.Limit, func(k APIKey) string { return k.ID }), nil
}

// RevokeAPIKey stops a key from working, at once.
func (s *Service) RevokeAPIKey(ctx context.Context, keyID string) error {
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		return tx.ExecOne(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = @tenant AND revoked_at IS NULL`, s.now(), keyID)
	})
	if fault.Is(err, fault.NotFound) {
		return fault.New(fault.NotFound, "no API key %q", keyID)
	}
	return err
}
