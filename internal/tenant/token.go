package tenant

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

const (
	jwtIssuer   = "usher"
	jwtAudience = "usher-api"
	// refreshPrefix and apiKeyPrefix tell the credential kinds apart at a glance.
	refreshPrefix = "urt_"
	apiKeyPrefix  = "usk_"
)

// signer makes and checks HS256 access tokens. The key lives in the
// database so that every node of a cluster shares it.
type signer struct {
	key []byte
	now func() time.Time
	// seen remembers tokens whose signature was already checked: parsing
	// and checking a JWT was a tenth of the server's CPU under a flash sale,
	// where each client sends the same token thousands of times. Only the
	// expiry is checked again.
	seen  sync.Map // token → *claims
	nseen atomic.Int64
}

// maxSeen bounds the verified-token memory; past it, it starts over.
const maxSeen = 50_000

type claims struct {
	TenantID string `json:"tid"`
	Role     string `json:"role"`
	jwt.RegisteredClaims
}

func (s *signer) sign(u User) (string, error) {
	now := s.now()
	c := claims{
		TenantID: u.TenantID,
		Role:     string(u.Role),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    jwtIssuer,
			Subject:   u.ID,
			Audience:  jwt.ClaimStrings{jwtAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(AccessTTL)),
			ID:        id.Secret(8),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
}

func (s *signer) verify(token string) (*claims, error) {
	if v, ok := s.seen.Load(token); ok {
		c := v.(*claims)
		if s.now().Before(c.ExpiresAt.Time) {
			return c, nil
		}
		s.seen.Delete(token)
		return nil, fault.New(fault.InvalidToken, "the access token is not valid or has expired")
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithAudience(jwtAudience),
		jwt.WithIssuer(jwtIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
	)
	if err != nil {
		return nil, fault.Wrap(err, fault.InvalidToken, "the access token is not valid or has expired")
	}
	if c.TenantID == "" || c.Subject == "" || !api.ValidRole(c.Role) {
		return nil, fault.New(fault.InvalidToken, "the access token is not valid")
	}
	if s.nseen.Add(1) > maxSeen {
		s.seen.Clear()
		s.nseen.Store(0)
	}
	s.seen.Store(token, &c)
	return &c, nil
}

// issue creates an access token and a refresh token in the family (a new
// family when family is "").
func (s *Service) issue(tx *db.Tx, u User, family string) (Tokens, error) {
	now := s.now()
	if family == "" {
		family = id.New(id.TokenFamily)
		if _, err := tx.Exec(`INSERT INTO token_families (id, tenant_id, user_id, created_at) VALUES (?, @tenant, ?, ?)`, family, u.ID, now); err != nil {
			return Tokens{}, err
		}
	}
	refresh := refreshPrefix + id.Secret(32)
	if _, err := tx.Exec(`INSERT INTO refresh_tokens (token_hash, tenant_id, user_id, family_id, created_at, expires_at) VALUES (?, @tenant, ?, ?, ?, ?)`,
		hashHex(refresh), u.ID, family, now, now.Add(RefreshTTL)); err != nil {
		return Tokens{}, err
	}
	access, err := s.jwt.sign(u)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: int(AccessTTL.Seconds()), TokenType: "Bearer"}, nil
}

var errRefreshInvalid = fault.New(fault.InvalidToken, "the refresh token is not valid, was already used, or has expired")

// Refresh exchanges a refresh token for a new pair. Each refresh token works
// once; presenting a used one again means it was stolen (or replayed), so the
// whole family is revoked and every token descended from the login stops
// working.
func (s *Service) Refresh(ctx context.Context, token string) (*Tokens, error) {
	if !strings.HasPrefix(token, refreshPrefix) {
		return nil, errRefreshInvalid
	}
	now := s.now()
	var out Tokens
	reused := false
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var rt struct {
			TenantID  string     `db:"tenant_id"`
			UserID    string     `db:"user_id"`
			FamilyID  string     `db:"family_id"`
			ExpiresAt time.Time  `db:"expires_at"`
			UsedAt    *time.Time `db:"used_at"`
			Revoked   *time.Time `db:"revoked_at"`
		}
		err := tx.Global().Get(&rt, `SELECT r.tenant_id, r.user_id, r.family_id, r.expires_at, r.used_at, f.revoked_at
			FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE r.token_hash = ?`, hashHex(token))
		if fault.Is(err, fault.NotFound) {
			return errRefreshInvalid
		}
		if err != nil {
			return err
		}
		tx = tx.Scope(rt.TenantID)
		if rt.Revoked != nil || !now.Before(rt.ExpiresAt) {
			return errRefreshInvalid
		}
		res, err := tx.Exec(`UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND tenant_id = @tenant`, now, hashHex(token))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// Reuse: revoke the family, and commit that.
			reused = true
			_, err := tx.Exec(`UPDATE token_families SET revoked_at = ? WHERE id = ? AND tenant_id = @tenant`, now, rt.FamilyID)
			return err
		}
		var u User
		err = tx.Get(&u, `SELECT `+userColumns+` FROM users WHERE id = ? AND tenant_id = @tenant AND removed_at IS NULL`, rt.UserID)
		if fault.Is(err, fault.NotFound) {
			return errRefreshInvalid
		}
		if err != nil {
			return err
		}
		out, err = s.issue(tx, u, rt.FamilyID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		s.log.Warn("refresh token reused; family revoked")
		return nil, errRefreshInvalid
	}
	return &out, nil
}

// Logout ends the login a refresh token belongs to: its family is revoked,
// so neither it nor any token rotated from it works again. A token that is
// unknown, or whose login already ended, is no error: signing out twice is
// fine, and the answer tells nothing about a token. Access tokens already
// issued run out on their own (15 minutes).
func (s *Service) Logout(ctx context.Context, token string) error {
	if !strings.HasPrefix(token, refreshPrefix) {
		return nil
	}
	now := s.now()
	var rt struct {
		TenantID string `db:"tenant_id"`
		UserID   string `db:"user_id"`
		FamilyID string `db:"family_id"`
	}
	ended := false
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		err := tx.Global().Get(&rt, `SELECT tenant_id, user_id, family_id FROM refresh_tokens WHERE token_hash = ?`, hashHex(token))
		if err != nil {
			return err
		}
		res, err := tx.Scope(rt.TenantID).Exec(`UPDATE token_families SET revoked_at = ? WHERE id = ? AND tenant_id = @tenant AND revoked_at IS NULL`, now, rt.FamilyID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ended = n > 0
		return err
	})
	if fault.Is(err, fault.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ended {
		// The audit log names who signed out (a public call is audited
		// only with an actor).
		api.SetActor(ctx, api.Principal{TenantID: rt.TenantID, ActorID: rt.UserID, Kind: "user"})
		api.SetTarget(ctx, rt.UserID)
	}
	return nil
}

// Authenticate implements api.Authenticator for JWT access tokens and API
// keys. API keys are looked up on every request, so a revoked key stops
// working at once on every node.
func (s *Service) Authenticate(ctx context.Context, credential string) (api.Principal, error) {
	if strings.HasPrefix(credential, apiKeyPrefix) {
		return s.authenticateKey(ctx, credential)
	}
	c, err := s.jwt.verify(credential)
	if err != nil {
		return api.Principal{}, err
	}
	role, err := s.currentRole(ctx, c.TenantID, c.Subject)
	if err != nil {
		return api.Principal{}, err
	}
	if role == "" {
		return api.Principal{}, fault.New(fault.InvalidToken, "the access token's user was removed")
	}
	return api.Principal{TenantID: c.TenantID, ActorID: c.Subject, Kind: "user", Role: role}, nil
}

// userCheckEvery is how long a node trusts what it last read of an access
// token's user. A token carries its user's role at sign-in, but a user
// removed or given another role must not keep the old powers for the
// token's 15 minutes: the user's row is read again at most this often
// (once per user, not per request), and at once on the node that made the
// change.
const userCheckEvery = 5 * time.Second

// standing is what a node last read of a user.
type standing struct {
	role api.Role // "" when the user was removed
	at   time.Time
	// renewing is set while one request reads the user again; the
	// others answer from this copy meanwhile, so that a user's many
	// requests in flight (a load test, an integration's burst) do not all
	// read the row at once every userCheckEvery.
	renewing *atomic.Bool
}

// currentRole returns the user's role now, or "" when the user is gone.
func (s *Service) currentRole(ctx context.Context, tenantID, userID string) (api.Role, error) {
	now := time.Now()
	if v, ok := s.standing.Load(userID); ok {
		st := v.(standing)
		if now.Sub(st.at) < userCheckEvery || !st.renewing.CompareAndSwap(false, true) {
			return st.role, nil
		}
		defer st.renewing.Store(false) // a failed read lets the next request try
	}
	var role api.Role
	err := s.db.Read(db.WithTenant(ctx, tenantID), func(tx *db.Tx) error {
		return tx.Get(&role, `SELECT role FROM users WHERE id = ? AND tenant_id = @tenant AND removed_at IS NULL`, userID)
	})
	switch {
	case fault.Is(err, fault.NotFound):
		role = ""
	case err != nil:
		return "", err
	}
	s.standing.Store(userID, standing{role: role, at: now, renewing: new(atomic.Bool)})
	return role, nil
}

// forgetStanding makes this node read the user's row again on their next
// call, after a change to their role or their removal.
func (s *Service) forgetStanding(userID string) { s.standing.Delete(userID) }

// keyTouchEvery limits how often a key's last-used time is written.
const keyTouchEvery = time.Minute

func (s *Service) authenticateKey(ctx context.Context, key string) (api.Principal, error) {
	var k struct {
		ID       string     `db:"id"`
		TenantID string     `db:"tenant_id"`
		Role     string     `db:"role"`
		LastUsed *time.Time `db:"last_used_at"`
	}
	hash := hashHex(key)
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Get(&k, `SELECT id, tenant_id, role, last_used_at FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`, hash)
	})
	if fault.Is(err, fault.NotFound) {
		return api.Principal{}, fault.New(fault.InvalidToken, "the API key is not valid or was revoked")
	}
	if err != nil {
		return api.Principal{}, err
	}
	now := s.now()
	if k.LastUsed == nil || now.Sub(*k.LastUsed) > keyTouchEvery {
		// Best effort and off the request's path: a lost touch only makes
		// the last-used time a minute older.
		go func() {
			tctx, cancel := context.WithTimeout(db.WithTenant(context.Background(), k.TenantID), 5*time.Second)
			defer cancel()
			err := s.db.Write(tctx, func(tx *db.Tx) error {
				_, err := tx.Exec(`UPDATE api_keys SET last_used_at = ? WHERE id = ? AND tenant_id = @tenant`, now, k.ID)
				return err
			})
			if err != nil && !errors.Is(err, db.ErrClosed) {
				s.log.Warn("api key: touch last used", "err", err)
			}
		}()
	}
	return api.Principal{TenantID: k.TenantID, ActorID: k.ID, Kind: "api_key", Role: api.Role(k.Role)}, nil
}
