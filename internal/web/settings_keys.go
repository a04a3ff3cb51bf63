package web

import (
	"net/http"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/tenant"
)

// keysPage is the content of the API keys settings page.
type keysPage struct {
	Keys       []tenant.APIKey
	NextCursor string
	Grantable  []api.Role
	// Created is set right after a key is made: its secret is shown once.
	Created *tenant.NewAPIKey
}

// APIKeys lists the organization's API keys with a form to make one.
func (p *Pages) APIKeys(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		vw, err := p.keysView(v)
		if err != nil {
			return err
		}
		vw.Notice = notice(r)
		return p.render(v, http.StatusOK, "api_keys", vw)
	})
}

// CreateAPIKey makes a key and shows its secret, this once.
func (p *Pages) CreateAPIKey(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		name, role := strings.TrimSpace(v.r.PostForm.Get("name")), api.Role(v.r.PostForm.Get("role"))
		var check fault.Check
		check.Add(tooLong(name, 100), "name", "is too long")
		err := check.Err()
		var key *tenant.NewAPIKey
		if err == nil {
			key, err = p.tenants.CreateAPIKey(v.ctx(), name, role)
		}
		vw, verr := p.keysView(v)
		if verr != nil {
			return verr
		}
		if err != nil {
			vw.Form = map[string]string{"name": name, "role": string(role)}
			return p.formFailed(v, "api_keys", vw, err)
		}
		vw.Data.(*keysPage).Created = key
		return p.render(v, http.StatusCreated, "api_keys", vw)
	})
}

// RevokeAPIKey stops a key from working.
func (p *Pages) RevokeAPIKey(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		err := p.tenants.RevokeAPIKey(v.ctx(), v.r.PathValue("key_id"))
		if err == nil {
			http.Redirect(v.w, v.r, "/app/settings/api-keys?done=key_revoked", http.StatusSeeOther)
			return nil
		}
		vw, verr := p.keysView(v)
		if verr != nil {
			return verr
		}
		return p.formFailed(v, "api_keys", vw, err)
	})
}

func (p *Pages) keysView(v *visit) (*view, error) {
	list, err := p.tenants.ListAPIKeys(v.ctx(), api.PageParams{Limit: 100, Cursor: v.r.URL.Query().Get("cursor")})
	if err != nil {
		return nil, err
	}
	data := &keysPage{Keys: list.Body.Data, NextCursor: list.Body.NextCursor, Grantable: grantable(v.sess.Principal.Role)}
	return &view{Title: "keys.title", Nav: "settings", Data: data, Form: map[string]string{"role": string(api.RoleStaff)}}, nil
}
