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

// Invite is an invitation for a person to join a tenant with a role.
type Invite struct {
	ID        string    `json:"id" db:"id"`
	Email     string    `json:"email" db:"email"`
	Role      api.Role  `json:"role" db:"role" enum:"owner,admin,staff,gate,viewer"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
	ExpiresAt time.Time `json:"expires_at" db:"expires_at"`
}

// NewInvite is a just-created invitation with its secret token.
type NewInvite struct {
	Invite
	Token string `json:"token" doc:"The secret for the invitee; shown only here. The invitee accepts with it."`
}

const inviteTokenPrefix = "uin_"

// Me returns the signed-in user.
func (s *Service) Me(ctx context.Context) (*User, error) {
	p, _ := api.PrincipalFrom(ctx)
	if p.Kind != "user" {
		return nil, fault.New(fault.NotFound, "an API key is not a user")
	}
	return s.User(ctx, p.ActorID)
}

// User returns one user of the tenant.
func (s *Service) User(ctx context.Context, userID string) (*User, error) {
	var u User
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Get(&u, `SELECT `+userColumns+` FROM users WHERE id = ? AND tenant_id = @tenant AND removed_at IS NULL`, userID)
	})
	if fault.Is(err, fault.NotFound) {
		return nil, fault.New(fault.NotFound, "no user %q", userID)
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// ListUsers lists the tenant's users, newest first.
func (s *Service) ListUsers(ctx context.Context, page api.PageParams) (*api.List[User], error) {
	q, args, err := page.Keyset(`SELECT `+userColumns+` FROM users WHERE tenant_id = @tenant AND removed_at IS NULL`, "id")
	if err != nil {
		return nil, err
	}
	var users []User
	err = s.db.Read(ctx, func(tx *db.Tx) error { return tx.Select(&users, q, args...) })
	if err != nil {
		return nil, err
	}
	return api.NewList(users, page.Limit, func(u User) string { return u.ID }), nil
}

// InviteUser creates an invitation. The token goes to the invitee (by the
// organizer for now; by email once messages exist).
func (s *Service) InviteUser(ctx context.Context, email string, role api.Role) (*NewInvite, error) {
	p, _ := api.PrincipalFrom(ctx)
	email, err := normalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if !api.ValidRole(string(role)) {
		return nil, fault.Field("role", "must be one of owner, admin, staff, gate, viewer")
	}
	if !mayGrant(p.Role, role) {
		return nil, fault.New(fault.Forbidden, "only an owner may invite another owner")
	}
	now := s.now()
	token := inviteTokenPrefix + id.Secret(24)
	inv := NewInvite{Invite: Invite{ID: id.New(id.Invite), Email: email, Role: role, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}, Token: token}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		var taken int
		if err := tx.Global().Get(&taken, `SELECT count(*) FROM users WHERE email = ?`, email); err != nil {
			return err
		}
		if taken > 0 {
			return fault.New(fault.EmailTaken, "an account with this email already exists")
		}
		_, err := tx.Exec(`INSERT INTO invites (tenant_id, id, email, role, token_hash, invited_by, created_at, expires_at) VALUES (@tenant, ?, ?, ?, ?, ?, ?, ?)`,
			inv.ID, inv.Email, inv.Role, hashHex(token), p.ActorID, inv.CreatedAt, inv.ExpiresAt)
		return err
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, inv.ID)
	return &inv, nil
}

// AcceptInviteInput is what an invitee sends to join.
type AcceptInviteInput struct {
	Token    string `json:"token" minLength:"1" maxLength:"200"`
	Name     string `json:"name,omitempty" maxLength:"200"`
	Password string `json:"password" minLength:"1" maxLength:"256"`
	Locale   string `json:"locale,omitempty" enum:"ko,en" doc:"The language of Usher's messages to this person (default ko)."`
}

// InviteInfo is what the invite page shows before accepting.
type InviteInfo struct {
	Email        string   `json:"email" db:"email"`
	Role         api.Role `json:"role" db:"role"`
	Organization string   `json:"organization" db:"organization"`
}

var errInviteInvalid = fault.New(fault.InvalidToken, "the invitation is not valid, was already used, or has expired")

// LookupInvite returns what an invitation is for, without accepting it.
func (s *Service) LookupInvite(ctx context.Context, token string) (*InviteInfo, error) {
	var info InviteInfo
	err := s.db.Read(ctx, func(tx *db.Tx) error {
		return tx.Global().Get(&info, `SELECT i.email, i.role, t.name AS organization FROM invites i JOIN tenants t ON t.id = i.tenant_id
			WHERE i.token_hash = ? AND i.accepted_at IS NULL AND i.expires_at > ?`, hashHex(token), s.now())
	})
	if fault.Is(err, fault.NotFound) {
		return nil, errInviteInvalid
	}
	return &info, err
}

// AcceptInvite creates the invited user and signs them in.
func (s *Service) AcceptInvite(ctx context.Context, in AcceptInviteInput) (*User, *Tokens, error) {
	now := s.now()
	var u User
	var tokens Tokens
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		var inv struct {
			TenantID string   `db:"tenant_id"`
			ID       string   `db:"id"`
			Email    string   `db:"email"`
			Role     api.Role `db:"role"`
		}
		err := tx.Global().Get(&inv, `SELECT tenant_id, id, email, role FROM invites WHERE token_hash = ? AND accepted_at IS NULL AND expires_at > ?`, hashHex(in.Token), now)
		if fault.Is(err, fault.NotFound) {
			return errInviteInvalid
		}
		if err != nil {
			return err
		}
		if err := checkStrength(in.Password, inv.Email); err != nil {
			return err
		}
		stx := tx.Scope(inv.TenantID)
		if err := stx.ExecOne(`UPDATE invites SET accepted_at = ? WHERE id = ? AND tenant_id = @tenant AND accepted_at IS NULL`, now, inv.ID); err != nil {
			return err
		}
		u = User{ID: id.New(id.User), TenantID: inv.TenantID, Email: inv.Email, Name: strings.TrimSpace(in.Name), Role: inv.Role, Locale: locale(in.Locale), CreatedAt: now}
		if err := insertUser(stx, u, hashPassword(in.Password)); err != nil {
			return err
		}
		tokens, err = s.issue(stx, u, "")
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &u, &tokens, nil
}

// ChangeRole gives a user another role. Only an owner may make or unmake an
// owner, and the last owner keeps the role.
func (s *Service) ChangeRole(ctx context.Context, userID string, role api.Role) (*User, error) {
	p, _ := api.PrincipalFrom(ctx)
	if !api.ValidRole(string(role)) {
		return nil, fault.Field("role", "must be one of owner, admin, staff, gate, viewer")
	}
	var u User
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		err := tx.Get(&u, `SELECT `+userColumns+` FROM users WHERE id = ? AND tenant_id = @tenant AND removed_at IS NULL`, userID)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.NotFound, "no user %q", userID)
		}
		if err != nil {
			return err
		}
		if (u.Role == api.RoleOwner || role == api.RoleOwner) && p.Role != api.RoleOwner {
			return fault.New(fault.Forbidden, "only an owner may change an owner's role or make an owner")
		}
		if u.Role == api.RoleOwner && role != api.RoleOwner {
			if err := ensureAnotherOwner(tx, u.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`UPDATE users SET role = ? WHERE id = ? AND tenant_id = @tenant`, role, u.ID); err != nil {
			return err
		}
		u.Role = role
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.forgetStanding(u.ID)
	return &u, nil
}

// RemoveUser removes a user from the tenant: they can no longer sign in, and
// their refresh tokens and page sessions stop working, their access tokens
// too (within userCheckEvery on other nodes).
func (s *Service) RemoveUser(ctx context.Context, userID string) error {
	p, _ := api.PrincipalFrom(ctx)
	now := s.now()
	defer s.forgetStanding(userID)
	return s.db.Write(ctx, func(tx *db.Tx) error {
		var role api.Role
		err := tx.Get(&role, `SELECT role FROM users WHERE id = ? AND tenant_id = @tenant AND removed_at IS NULL`, userID)
		if fault.Is(err, fault.NotFound) {
			return fault.New(fault.NotFound, "no user %q", userID)
		}
		if err != nil {
			return err
		}
		if role == api.RoleOwner {
			if p.Role != api.RoleOwner {
				return fault.New(fault.Forbidden, "only an owner may remove an owner")
			}
			if err := ensureAnotherOwner(tx, userID); err != nil {
				return err
			}
		}
		// The email is freed (so the person can be invited again) by
		// renaming it in the removed row.
		if _, err := tx.Exec(`UPDATE users SET removed_at = ?, email = id || ':' || email WHERE id = ? AND tenant_id = @tenant`, now, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE token_families SET revoked_at = ? WHERE user_id = ? AND tenant_id = @tenant AND revoked_at IS NULL`, now, userID); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND tenant_id = @tenant`, userID)
		return err
	})
}

func ensureAnotherOwner(tx *db.Tx, except string) error {
	var owners int
	if err := tx.Get(&owners, `SELECT count(*) FROM users WHERE tenant_id = @tenant AND role = 'owner' AND removed_at IS NULL AND id <> ?`, except); err != nil {
		return err
	}
	if owners == 0 {
		return fault.New(fault.LastOwner, "a tenant must keep at least one owner")
	}
	return nil
}

// ProfileInput changes the signed-in person's own profile; absent fields
// stay as they are.
type ProfileInput struct {
	Name   *string `json:"name,omitempty" maxLength:"200"`
	Locale *string `json:"locale,omitempty" enum:"ko,en" doc:"The language of Usher's messages to you (budget alerts)."`
}

// UpdateProfile changes the signed-in person's name or language. API keys
// have no profile.
func (s *Service) UpdateProfile(ctx context.Context, in ProfileInput) (*User, error) {
	p, _ := api.PrincipalFrom(ctx)
	if p.Kind != "user" {
		return nil, fault.New(fault.Forbidden, "only a signed-in person has a profile; API keys do not")
	}
	if in.Locale != nil && *in.Locale != "ko" && *in.Locale != "en" {
		return nil, fault.Field("locale", "must be ko or en")
	}
	var u User
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		err := tx.Get(&u, `SELECT `+userColumns+` FROM users WHERE id = ? AND tenant_id = @tenant AND removed_at IS NULL`, p.ActorID)
		if err != nil {
			return err
		}
		if in.Name != nil {
			u.Name = strings.TrimSpace(*in.Name)
		}
		if in.Locale != nil {
			u.Locale = *in.Locale
		}
		return tx.ExecOne(`UPDATE users SET name = ?, locale = ? WHERE id = ? AND tenant_id = @tenant`, u.Name, u.Locale, u.ID)
	})
	if err != nil {
		return nil, err
	}
	api.SetTarget(ctx, u.ID)
	return &u, nil
}
