// Package tenant owns organizations (tenants) and their tiers, users and
// roles, sign-up and login, JWT access tokens and rotating refresh tokens,
// page sessions and API keys. It is the api package's Authenticator.
package tenant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/ratelimit"
)

// Tiers a tenant can be on.
const (
	TierBasic        = "basic"
	TierProfessional = "professional"
	TierEnterprise   = "enterprise"
)

// Lifetimes of credentials.
const (
	AccessTTL  = 15 * time.Minute
	RefreshTTL = 7 * 24 * time.Hour
	SessionTTL = 7 * 24 * time.Hour
	InviteTTL  = 7 * 24 * time.Hour
)

// Login brute-force limits: failed attempts per account and per client IP.
var (
	accountLimit = ratelimit.Limit{Rate: 10, Period: 15 * time.Minute, Burst: 10}
	ipLimit      = ratelimit.Limit{Rate: 100, Period: 15 * time.Minute, Burst: 100}
)

// Tenant is an organization.
type Tenant struct {
	ID        string    `json:"id" db:"id"`
	Name      string    `json:"name" db:"name"`
	Tier      string    `json:"tier" db:"tier" enum:"basic,professional,enterprise"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

// User is a person who signs in to a tenant.
type User struct {
	ID        string    `json:"id" db:"id"`
	TenantID  string    `json:"tenant_id" db:"tenant_id"`
	Email     string    `json:"email" db:"email"`
	Name      string    `json:"name" db:"name"`
	Role      api.Role  `json:"role" db:"role" enum:"owner,admin,staff,gate,viewer"`
	Locale    string    `json:"locale" db:"locale" enum:"ko,en" doc:"The language of Usher's messages to this person (budget alerts)."`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

// userColumns are the columns of User.
const userColumns = `id, tenant_id, email, name, role, locale, created_at`

// locale is the language a new user gets: the one asked for, else Korean.
func locale(asked string) string {
	if asked == "en" {
		return "en"
	}
	return "ko"
}

// LoginRecorder writes login attempts to the audit log.
type LoginRecorder interface {
	RecordLogin(ctx context.Context, tenantID, userID string, ok bool)
}

// Service holds the tenant domain's rules.
type Service struct {
	db      *db.DB
	limiter ratelimit.Limiter
	logins  LoginRecorder
	now     func() time.Time
	log     *slog.Logger
	jwt     *signer
	// standing remembers, per user, the role last read for their access
	// tokens (see userCheckEvery).
	standing sync.Map // user id → standing
}

// Deps are the Service's collaborators.
type Deps struct {
	DB      *db.DB
	Limiter ratelimit.Limiter
	Logins  LoginRecorder
	Now     func() time.Time
	Logger  *slog.Logger
}

// NewService loads (or creates, on first start) the token signing key.
func NewService(ctx context.Context, d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Limiter == nil {
		d.Limiter = ratelimit.NewMemory()
	}
	s := &Service{db: d.DB, limiter: d.Limiter, logins: d.Logins, now: d.Now, log: d.Logger}
	key, err := d.DB.Secret(ctx, "jwt_hs256", 32, s.now())
	if err != nil {
		return nil, err
	}
	s.jwt = &signer{key: key, now: d.Now}
	return s, nil
}

// Tokens is a fresh access/refresh pair.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in" doc:"Seconds until the access token expires."`
	TokenType    string `json:"token_type"`
}

// SignupInput is what a new organization gives.
type SignupInput struct {
	Organization string `json:"organization" minLength:"1" maxLength:"200" doc:"The organization's name."`
	Email        string `json:"email" minLength:"3" maxLength:"254" doc:"The owner's email; it signs in with it."`
	Password     string `json:"password" minLength:"1" maxLength:"256" doc:"At least 8 characters, not a common password."`
	Name         string `json:"name,omitempty" maxLength:"200" doc:"The owner's name."`
	Locale       string `json:"locale,omitempty" enum:"ko,en" doc:"The language of Usher's messages to the owner (default ko)."`
}

// Signup is the result of creating a tenant with its owner.
type Signup struct {
	Tenant Tenant `json:"tenant"`
	User   User   `json:"user"`
	Tokens
}

// normalizeEmail lower-cases an address and checks its form.
func normalizeEmail(raw string) (string, error) {
	e := strings.TrimSpace(raw)
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@'):], ".") {
		return "", fault.Field("email", "is not a valid email address")
	}
	return strings.ToLower(e), nil
}

// Signup creates a tenant on the basic tier and its owner, and signs the
// owner in.
func (s *Service) Signup(ctx context.Context, in SignupInput) (*Signup, error) {
	var check fault.Check
	org := strings.TrimSpace(in.Organization)
	check.Add(org == "", "organization", "must not be empty")
	if err := check.Err(); err != nil {
		return nil, err
	}
	email, err := normalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	if err := checkStrength(in.Password, email); err != nil {
		return nil, err
	}
	now := s.now()
	t := Tenant{ID: id.New(id.Tenant), Name: org, Tier: TierBasic, CreatedAt: now}
	u := User{ID: id.New(id.User), TenantID: t.ID, Email: email, Name: strings.TrimSpace(in.Name), Role: api.RoleOwner, Locale: locale(in.Locale), CreatedAt: now}
	hash := hashPassword(in.Password)
	var tokens Tokens
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Global().Exec(`INSERT INTO tenants (id, name, tier, created_at) VALUES (?, ?, ?, ?)`, t.ID, t.Name, t.Tier, now); err != nil {
			return err
		}
		stx := tx.Scope(t.ID)
		if err := insertUser(stx, u, hash); err != nil {
			return err
		}
		tokens, err = s.issue(stx, u, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Signup{Tenant: t, User: u, Tokens: tokens}, nil
}

func insertUser(tx *db.Tx, u User, hash string) error {
	_, err := tx.Exec(`INSERT INTO users (tenant_id, id, email, name, password_hash, role, locale, created_at) VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, hash, u.Role, locale(u.Locale), u.CreatedAt)
	if fault.Is(err, fault.Conflict) {
		return fault.New(fault.EmailTaken, "an account with this email already exists")
	}
	return err
}

type userRow struct {
	User
	PasswordHash string `db:"password_hash"`
}

// Login checks an email and password and returns the user. Failed attempts
// are limited per account and per client address.
func (s *Service) Login(ctx context.Context, email, password string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	acctKey := "login:acct:" + hashHex(email)
	ipKey := "login:ip:" + api.ClientIP(ctx)
	for _, k := range []struct {
		key string
		l   ratelimit.Limit
	}{{acctKey, accountLimit}, {ipKey, ipLimit}} {
		res, err := s.limiter.AllowN(ctx, k.key, k.l, 0)
		if err != nil {
			return nil, err
		}
		if !res.Allowed {
			return nil, &fault.Error{Code: fault.TooManyAttempts,
				Message:    "too many failed sign-in attempts; try again later",
				RetryAfter: int(res.RetryAfter.Seconds()) + 1}
		}
	}
	var row userRow
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Get(&row, `SELECT `+userColumns+`, password_hash FROM users WHERE email = ? AND removed_at IS NULL`, email)
	})
	found := err == nil
	if err != nil && !fault.Is(err, fault.NotFound) {
		return nil, err
	}
	hash := dummyHash
	if found {
		hash = row.PasswordHash
	}
	ok, err := checkPassword(hash, password)
	if err != nil {
		return nil, err
	}
	if !found || !ok {
		for _, k := range []struct {
			key string
			l   ratelimit.Limit
		}{{acctKey, accountLimit}, {ipKey, ipLimit}} {
			if _, err := s.limiter.AllowN(ctx, k.key, k.l, 1); err != nil {
				s.log.Warn("login limiter", "err", err)
			}
		}
		if s.logins != nil {
			s.logins.RecordLogin(ctx, row.TenantID, row.ID, false)
		}
		return nil, fault.New(fault.InvalidCredentials, "the email or password is wrong")
	}
	if s.logins != nil {
		s.logins.RecordLogin(ctx, row.TenantID, row.ID, true)
	}
	u := row.User
	return &u, nil
}

// LoginTokens signs a user in and returns a new token pair.
func (s *Service) LoginTokens(ctx context.Context, email, password string) (*Tokens, error) {
	u, err := s.Login(ctx, email, password)
	if err != nil {
		return nil, err
	}
	var t Tokens
	err = s.db.Write(db.WithTenant(ctx, u.TenantID), func(tx *db.Tx) error {
		t, err = s.issue(tx, *u, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Tenant returns the tenant of ctx.
func (s *Service) Tenant(ctx context.Context) (*Tenant, error) {
	var t Tenant
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&t, `SELECT id, name, tier, created_at FROM tenants WHERE id = @tenant`)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
