package app

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/api"
)

// op describes an operation for the OpenAPI document.
func op(method, path, id, summary, tag string) huma.Operation {
	o := huma.Operation{Method: method, Path: path, OperationID: id, Summary: summary, Tags: []string{tag}}
	if method == http.MethodDelete {
		o.DefaultStatus = http.StatusNoContent
	}
	return o
}

// answering sets the status of a POST that does not create anything.
func answering(status int, o huma.Operation) huma.Operation {
	o.DefaultStatus = status
	return o
}

// routes lists every route of the server: the /v1 operations with who may
// call them, and the pages.
func (a *App) routes() {
	h := a.server.API()
	t, ev := a.tenants, a.events

	// Platform: tenants, people, credentials, audit.
	api.Register(h, api.Public, op("POST", "/v1/signup", "signup", "Create an organization and its owner", "Platform"), t.HandleSignup)
	api.Register(h, api.Public, answering(200, op("POST", "/v1/auth/login", "login", "Sign in with email and password", "Platform")), t.HandleLogin)
	api.Register(h, api.Public, answering(200, op("POST", "/v1/auth/refresh", "refresh-token", "Exchange a refresh token for a new pair", "Platform")), t.HandleRefresh)
	api.Register(h, api.Public, op("POST", "/v1/public/invites/accept", "accept-invite", "Join an organization with an invitation", "Platform"), t.HandleAcceptInvite)
	api.Register(h, api.Anyone, op("GET", "/v1/me", "get-me", "Who am I", "Platform"), t.HandleMe)
	api.Register(h, api.Admin, op("POST", "/v1/api-keys", "create-api-key", "Create an API key", "Platform"), t.HandleCreateAPIKey)
	api.Register(h, api.Admin, op("GET", "/v1/api-keys", "list-api-keys", "List API keys", "Platform"), t.HandleListAPIKeys)
	api.Register(h, api.Admin, op("DELETE", "/v1/api-keys/{id}", "revoke-api-key", "Revoke an API key", "Platform"), t.HandleRevokeAPIKey)
	api.Register(h, api.Admin, op("GET", "/v1/users", "list-users", "List users", "Platform"), t.HandleListUsers)
	api.Register(h, api.Admin, op("POST", "/v1/users/invites", "invite-user", "Invite a person", "Platform"), t.HandleInvite)
	api.Register(h, api.Admin, op("PATCH", "/v1/users/{user_id}", "change-user-role", "Change a user's role", "Platform"), t.HandleChangeRole)
	api.Register(h, api.Admin, op("DELETE", "/v1/users/{user_id}", "remove-user", "Remove a user", "Platform"), t.HandleRemoveUser)
	api.Register(h, api.Admin, op("GET", "/v1/audit-log", "list-audit-log", "List the audit log", "Platform"), a.audit.ListHandler)

	// Events.
	api.Register(h, api.Staff, op("POST", "/v1/events", "create-event", "Create an event", "Events"), ev.HandleCreate)
	api.Register(h, api.Viewer, op("GET", "/v1/events", "list-events", "List events", "Events"), ev.HandleList)
	api.Register(h, api.Viewer, op("GET", "/v1/events/{event_id}", "get-event", "Get an event", "Events"), ev.HandleGet)

	// Pages. The web page shell: sign-up, login, invitations and the
	// signed-in settings. Each handler checks the session, role and CSRF
	// token itself (see internal/web).
	mux, p := a.server.Mux(), a.pages
	mux.HandleFunc("GET /static/", p.Static)
	mux.HandleFunc("GET /{$}", p.Home)
	mux.HandleFunc("POST /lang", p.SetLanguage)
	mux.HandleFunc("GET /signup", p.SignupPage)
	mux.HandleFunc("POST /signup", p.Signup)
	mux.HandleFunc("GET /login", p.LoginPage)
	mux.HandleFunc("POST /login", p.Login)
	mux.HandleFunc("POST /logout", p.Logout)
	mux.HandleFunc("GET /invite/{token}", p.InvitePage)
	mux.HandleFunc("POST /invite/{token}", p.AcceptInvite)
	mux.HandleFunc("GET /app", p.Dashboard)
	mux.HandleFunc("GET /app/{section}", p.ComingSoon)
	mux.HandleFunc("GET /app/", p.NotFound)
	mux.HandleFunc("GET /app/settings", p.Settings)
	mux.HandleFunc("GET /app/settings/users", p.Users)
	mux.HandleFunc("POST /app/settings/users/invite", p.InviteUser)
	mux.HandleFunc("POST /app/settings/users/{user_id}/role", p.ChangeRole)
	mux.HandleFunc("POST /app/settings/users/{user_id}/remove", p.RemoveUser)
	mux.HandleFunc("GET /app/settings/api-keys", p.APIKeys)
	mux.HandleFunc("POST /app/settings/api-keys", p.CreateAPIKey)
	mux.HandleFunc("POST /app/settings/api-keys/{key_id}/revoke", p.RevokeAPIKey)
}
