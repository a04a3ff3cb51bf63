package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Role is a user's or API key's role within a tenant.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleStaff  Role = "staff"
	RoleGate   Role = "gate"
	RoleViewer Role = "viewer"
)

// Roles lists every role.
var Roles = []Role{RoleOwner, RoleAdmin, RoleStaff, RoleGate, RoleViewer}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// Principal is who makes a request: a user (by access token or page session)
// or an API key, always inside one tenant.
type Principal struct {
	TenantID string
	// ActorID is the user's or the API key's id.
	ActorID string
	// Kind is "user" or "api_key".
	Kind string
	Role Role
}

// Access says who may call an operation.
type Access struct {
	name  string
	roles []Role
}

// The access levels operations are registered with.
var (
	// Public operations need no credentials.
	Public = Access{name: "public"}
	// Anyone signed in to the tenant, whatever the role.
	Anyone = Access{name: "any", roles: Roles}
	// Viewers and above: reading, but not for gate devices.
	Viewer = Access{name: "viewer", roles: []Role{RoleOwner, RoleAdmin, RoleStaff, RoleViewer}}
	// Gate devices and staff: check-in work.
	Gate = Access{name: "gate", roles: []Role{RoleOwner, RoleAdmin, RoleStaff, RoleGate}}
	// Staff and above: day-to-day organizer work.
	Staff = Access{name: "staff", roles: []Role{RoleOwner, RoleAdmin, RoleStaff}}
	// Admin and above: configuration, keys, users.
	Admin = Access{name: "admin", roles: []Role{RoleOwner, RoleAdmin}}
	// Owner only.
	Owner = Access{name: "owner", roles: []Role{RoleOwner}}
)

// IsPublic reports whether the access needs no credentials.
func (a Access) IsPublic() bool { return a.name == "public" }

// Allows reports whether the role may call the operation.
func (a Access) Allows(r Role) bool { return slices.Contains(a.roles, r) }

// String names the access level, as shown in the OpenAPI document.
func (a Access) String() string { return a.name }

// Authenticator resolves a bearer credential (JWT access token or API key) to
// a principal. The tenant domain implements it.
type Authenticator interface {
	Authenticate(ctx context.Context, credential string) (Principal, error)
}

type principalKey struct{}

type authResult struct {
	p   Principal
	err error
	set bool
}

// WithPrincipal returns ctx carrying the principal and scoped to its tenant.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	SetActor(ctx, p)
	ctx = context.WithValue(ctx, principalKey{}, &authResult{p: p, set: true})
	return db.WithTenant(ctx, p.TenantID)
}

// PrincipalFrom returns the authenticated principal of the request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	r, ok := ctx.Value(principalKey{}).(*authResult)
	if !ok || !r.set || r.err != nil {
		return Principal{}, false
	}
	return r.p, true
}

// authenticate reads the Authorization header and, when it holds a valid
// credential, scopes the request to its principal. It never rejects: whether
// a credential is needed is up to the operation (see authorize).
func authenticate(auth Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		scheme, cred, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
			ctx = context.WithValue(ctx, principalKey{}, &authResult{err: fault.New(fault.Unauthorized, "the Authorization header must be \"Bearer <token>\"")})
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		p, err := auth.Authenticate(ctx, strings.TrimSpace(cred))
		if err != nil {
			ctx = context.WithValue(ctx, principalKey{}, &authResult{err: err})
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
	})
}

// authorize decides whether the request may run an operation with the given
// access: 401 without valid credentials, 403 with a role that is not allowed.
func authorize(ctx context.Context, a Access) error {
	if a.IsPublic() {
		return nil
	}
	r, _ := ctx.Value(principalKey{}).(*authResult)
	switch {
	case r == nil:
		return fault.New(fault.Unauthorized, "credentials are required: send \"Authorization: Bearer <token>\"")
	case r.err != nil:
		if fault.CodeOf(r.err) == fault.Internal {
			return r.err
		}
		return fault.Wrap(r.err, fault.Unauthorized, "the credentials are not valid or have expired")
	case !a.Allows(r.p.Role):
		return fault.New(fault.Forbidden, "the role %q may not do this", r.p.Role)
	}
	return nil
}

// SetActor records who acted, for requests that authenticate inside the
// handler (sign-up, login, page forms), so that the audit log names them.
func SetActor(ctx context.Context, p Principal) {
	if info := infoFrom(ctx); info != nil {
		info.principal = p
	}
}
