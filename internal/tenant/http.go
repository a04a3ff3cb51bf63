package tenant

import (
	"context"

	"github.com/usher-events/usher/internal/api"
)

// The HTTP inputs and outputs of the tenant domain's operations. Routes are
// listed in the wiring package.

// SignupRequest is the body of POST /v1/signup.
type SignupRequest struct{ Body SignupInput }

// SignupResponse answers POST /v1/signup.
type SignupResponse struct{ Body *Signup }

// HandleSignup creates a tenant and its owner.
func (s *Service) HandleSignup(ctx context.Context, in *SignupRequest) (*SignupResponse, error) {
	out, err := s.Signup(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	api.SetActor(ctx, api.Principal{TenantID: out.Tenant.ID, ActorID: out.User.ID, Kind: "user", Role: out.User.Role})
	api.SetTarget(ctx, out.Tenant.ID)
	return &SignupResponse{Body: out}, nil
}

// LoginRequest is the body of POST /v1/auth/login.
type LoginRequest struct {
	Body struct {
		Email    string `json:"email" maxLength:"254"`
		Password string `json:"password" maxLength:"256"`
	}
}

// TokensResponse answers login and refresh.
type TokensResponse struct{ Body *Tokens }

// HandleLogin signs a user in.
func (s *Service) HandleLogin(ctx context.Context, in *LoginRequest) (*TokensResponse, error) {
	t, err := s.LoginTokens(ctx, in.Body.Email, in.Body.Password)
	if err != nil {
		return nil, err
	}
	return &TokensResponse{Body: t}, nil
}

// RefreshRequest is the body of POST /v1/auth/refresh.
type RefreshRequest struct {
	Body struct {
		RefreshToken string `json:"refresh_token" maxLength:"200"`
	}
}

// HandleRefresh rotates a refresh token.
func (s *Service) HandleRefresh(ctx context.Context, in *RefreshRequest) (*TokensResponse, error) {
	t, err := s.Refresh(ctx, in.Body.RefreshToken)
	if err != nil {
		return nil, err
	}
	return &TokensResponse{Body: t}, nil
}

// HandleLogout ends the login of a refresh token.
func (s *Service) HandleLogout(ctx context.Context, in *RefreshRequest) (*struct{}, error) {
	return nil, s.Logout(ctx, in.Body.RefreshToken)
}

// MeResponse answers GET /v1/me.
type MeResponse struct {
	Body struct {
		Tenant    *Tenant `json:"tenant"`
		User      *User   `json:"user,omitempty"`
		ActorKind string  `json:"actor_kind" enum:"user,api_key"`
		Role      string  `json:"role"`
	}
}

// UpdateMeRequest is the body of PATCH /v1/me.
type UpdateMeRequest struct{ Body ProfileInput }

// HandleUpdateMe changes the signed-in person's own name or language.
func (s *Service) HandleUpdateMe(ctx context.Context, in *UpdateMeRequest) (*UserResponse, error) {
	u, err := s.UpdateProfile(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	return &UserResponse{Body: u}, nil
}

// HandleMe tells the caller who they are.
func (s *Service) HandleMe(ctx context.Context, _ *struct{}) (*MeResponse, error) {
	p, _ := api.PrincipalFrom(ctx)
	t, err := s.Tenant(ctx)
	if err != nil {
		return nil, err
	}
	out := &MeResponse{}
	out.Body.Tenant, out.Body.ActorKind, out.Body.Role = t, p.Kind, string(p.Role)
	if p.Kind == "user" {
		if out.Body.User, err = s.User(ctx, p.ActorID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateAPIKeyRequest is the body of POST /v1/api-keys.
type CreateAPIKeyRequest struct {
	Body struct {
		Name string   `json:"name" minLength:"1" maxLength:"100"`
		Role api.Role `json:"role" enum:"owner,admin,staff,gate,viewer"`
	}
}

// CreateAPIKeyResponse answers POST /v1/api-keys.
type CreateAPIKeyResponse struct{ Body *NewAPIKey }

// HandleCreateAPIKey makes an API key.
func (s *Service) HandleCreateAPIKey(ctx context.Context, in *CreateAPIKeyRequest) (*CreateAPIKeyResponse, error) {
	k, err := s.CreateAPIKey(ctx, in.Body.Name, in.Body.Role)
	if err != nil {
		return nil, err
	}
	return &CreateAPIKeyResponse{Body: k}, nil
}

// ListRequest is a list operation's query.
type ListRequest struct{ api.PageParams }

// HandleListAPIKeys lists API keys.
func (s *Service) HandleListAPIKeys(ctx context.Context, in *ListRequest) (*api.List[APIKey], error) {
	return s.ListAPIKeys(ctx, in.PageParams)
}

// APIKeyPath names an API key in a path.
type APIKeyPath struct {
	ID string `path:"id" maxLength:"100"`
}

// HandleRevokeAPIKey revokes an API key.
func (s *Service) HandleRevokeAPIKey(ctx context.Context, in *APIKeyPath) (*struct{}, error) {
	return nil, s.RevokeAPIKey(ctx, in.ID)
}

// HandleListUsers lists users.
func (s *Service) HandleListUsers(ctx context.Context, in *ListRequest) (*api.List[User], error) {
	return s.ListUsers(ctx, in.PageParams)
}

// InviteRequest is the body of POST /v1/users/invites.
type InviteRequest struct {
	Body struct {
		Email string   `json:"email" minLength:"3" maxLength:"254"`
		Role  api.Role `json:"role" enum:"owner,admin,staff,gate,viewer"`
	}
}

// InviteResponse answers POST /v1/users/invites.
type InviteResponse struct{ Body *NewInvite }

// HandleInvite invites a person.
func (s *Service) HandleInvite(ctx context.Context, in *InviteRequest) (*InviteResponse, error) {
	inv, err := s.InviteUser(ctx, in.Body.Email, in.Body.Role)
	if err != nil {
		return nil, err
	}
	return &InviteResponse{Body: inv}, nil
}

// AcceptInviteRequest is the body of POST /v1/public/invites/accept.
type AcceptInviteRequest struct{ Body AcceptInviteInput }

// AcceptInviteResponse answers an accepted invitation.
type AcceptInviteResponse struct {
	Body struct {
		User *User `json:"user"`
		Tokens
	}
}

// HandleAcceptInvite joins an invited person.
func (s *Service) HandleAcceptInvite(ctx context.Context, in *AcceptInviteRequest) (*AcceptInviteResponse, error) {
	u, t, err := s.AcceptInvite(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	api.SetActor(ctx, api.Principal{TenantID: u.TenantID, ActorID: u.ID, Kind: "user", Role: u.Role})
	out := &AcceptInviteResponse{}
	out.Body.User, out.Body.Tokens = u, *t
	return out, nil
}

// UserPath names a user in a path.
type UserPath struct {
	UserID string `path:"user_id" maxLength:"100"`
}

// ChangeRoleRequest is the body of PATCH /v1/users/{user_id}.
type ChangeRoleRequest struct {
	UserPath
	Body struct {
		Role api.Role `json:"role" enum:"owner,admin,staff,gate,viewer"`
	}
}

// UserResponse answers with one user.
type UserResponse struct{ Body *User }

// HandleChangeRole changes a user's role.
func (s *Service) HandleChangeRole(ctx context.Context, in *ChangeRoleRequest) (*UserResponse, error) {
	u, err := s.ChangeRole(ctx, in.UserID, in.Body.Role)
	if err != nil {
		return nil, err
	}
	return &UserResponse{Body: u}, nil
}

// HandleRemoveUser removes a user.
func (s *Service) HandleRemoveUser(ctx context.Context, in *UserPath) (*struct{}, error) {
	return nil, s.RemoveUser(ctx, in.UserID)
}
