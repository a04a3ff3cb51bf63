package tenant

import (
	"context"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// Session is a signed-in browser: its principal, its user and the token
// that its forms must carry against cross-site request forgery.
type Session struct {
	Principal api.Principal
	User      User
	CSRF      string
}

const sessionPrefix = "uss_"

// StartSession creates a page session for a signed-in user and returns the
// cookie value.
func (s *Service) StartSession(ctx context.Context, u *User) (string, error) {
	token := sessionPrefix + id.Secret(32)
	now := s.now()
	err := s.db.Write(db.WithTenant(ctx, u.TenantID), func(tx *db.Tx) error {
		_, err := tx.Exec(`INSERT INTO sessions (token_hash, tenant_id, user_id, csrf_token, created_at, expires_at) VALUES (?, @tenant, ?, ?, ?, ?)`,
			hashHex(token), u.ID, id.Secret(20), now, now.Add(SessionTTL))
		return err
	})
	return token, err
}

// Session resolves a session cookie. The user's current role applies, so a
// role change or removal takes effect on the next page.
func (s *Service) Session(ctx context.Context, token string) (*Session, error) {
	var row struct {
		User
		CSRF string `db:"csrf_token"`
	}
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Get(&row, `SELECT u.id, u.tenant_id, u.email, u.name, u.role, u.locale, u.created_at, s.csrf_token
			FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.token_hash = ? AND s.expires_at > ? AND u.removed_at IS NULL`, hashHex(token), s.now())
	})
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.Unauthorized, "the session has ended; sign in again")
	}
	if err != nil {
		return nil, err
	}
	return &Session{
		Principal: api.Principal{TenantID: row.TenantID, ActorID: row.ID, Kind: "user", Role: row.Role},
		User:      row.User,
		CSRF:      row.CSRF,
	}, nil
}

// EndSession signs a browser out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	return s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Global().Exec(`DELETE FROM sessions WHERE token_hash = ?`, hashHex(token))
		return err
	})
}
