package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/tenant"
)

// usersPage is the content of the users settings page.
type usersPage struct {
	Users      []tenant.User
	NextCursor string
	// Grantable are the roles the signed-in user may hand out.
	Grantable []api.Role
	// MeID is the signed-in user, whose own row has no forms.
	MeID string
	// MayManageOwners is true for owners: only they change or remove owners.
	MayManageOwners bool
	// Invite is set right after an invitation is made: its link is shown
	// once.
	Invite    *tenant.NewInvite
	InviteURL string
}

// Users lists the organization's users with forms to invite, change roles
// and remove people.
func (p *Pages) Users(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		vw, err := p.usersView(v)
		if err != nil {
			return err
		}
		vw.Notice = notice(r)
		return p.render(v, http.StatusOK, "users", vw)
	})
}

// InviteUser makes an invitation and shows its link once.
func (p *Pages) InviteUser(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		email, role := strings.TrimSpace(v.r.PostForm.Get("email")), api.Role(v.r.PostForm.Get("role"))
		inv, err := p.tenants.InviteUser(v.ctx(), email, role)
		vw, verr := p.usersView(v)
		if verr != nil {
			return verr
		}
		if err != nil {
			vw.Form = map[string]string{"email": email, "role": string(role)}
			return p.formFailed(v, "users", vw, err)
		}
		data := vw.Data.(*usersPage)
		data.Invite = inv
		data.InviteURL = p.baseURL(v.r) + "/invite/" + url.PathEscape(inv.Token)
		return p.render(v, http.StatusCreated, "users", vw)
	})
}

// ChangeRole gives a user another role.
func (p *Pages) ChangeRole(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		_, err := p.tenants.ChangeRole(v.ctx(), v.r.PathValue("user_id"), api.Role(v.r.PostForm.Get("role")))
		return p.afterUserChange(v, err, "role_changed")
	})
}

// RemoveUser removes a user from the organization.
func (p *Pages) RemoveUser(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, manager, func(v *visit) error {
		err := p.tenants.RemoveUser(v.ctx(), v.r.PathValue("user_id"))
		return p.afterUserChange(v, err, "user_removed")
	})
}

// afterUserChange goes back to the list with a notice, or shows the list
// with the error.
func (p *Pages) afterUserChange(v *visit, err error, done string) error {
	if err == nil {
		http.Redirect(v.w, v.r, "/app/settings/users?done="+done, http.StatusSeeOther)
		return nil
	}
	vw, verr := p.usersView(v)
	if verr != nil {
		return verr
	}
	return p.formFailed(v, "users", vw, err)
}

func (p *Pages) usersView(v *visit) (*view, error) {
	list, err := p.tenants.ListUsers(v.ctx(), api.PageParams{Limit: 100, Cursor: v.r.URL.Query().Get("cursor")})
	if err != nil {
		return nil, err
	}
	me := v.sess.Principal
	data := &usersPage{Users: list.Body.Data, NextCursor: list.Body.NextCursor, MeID: me.ActorID,
		MayManageOwners: me.Role == api.RoleOwner, Grantable: grantable(me.Role)}
	return &view{Title: "users.title", Nav: "settings", Data: data, Form: map[string]string{"role": string(api.RoleStaff)}}, nil
}

// grantable lists the roles a user with role by may give to people and
// keys: only an owner makes owners (the service enforces it too).
func grantable(by api.Role) []api.Role {
	var out []api.Role
	for _, r := range api.Roles {
		if r != api.RoleOwner || by == api.RoleOwner {
			out = append(out, r)
		}
	}
	return out
}

// baseURL is the scheme and host the browser reached us at, for links that
// are copied elsewhere.
func (p *Pages) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || p.cfg.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// notices are the success notes a redirect may ask for with ?done=.
var notices = map[string]string{
	"role_changed": "notice.role_changed",
	"user_removed": "notice.user_removed",
	"key_revoked":  "notice.key_revoked",
	"job_replayed": "notice.job_replayed",
}

func notice(r *http.Request) string { return notices[r.URL.Query().Get("done")] }
