package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/tenant"
)

// Home sends signed-in browsers to the dashboard and others to the login.
func (p *Pages) Home(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		target := "/login"
		if v.sess != nil {
			target = "/app"
		}
		http.Redirect(v.w, v.r, target, http.StatusSeeOther)
		return nil
	})
}

// SignupPage shows the form that creates an organization.
func (p *Pages) SignupPage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		if v.sess != nil {
			http.Redirect(v.w, v.r, "/app", http.StatusSeeOther)
			return nil
		}
		return p.render(v, http.StatusOK, "signup", &view{Title: "signup.title", Form: map[string]string{}})
	})
}

// Signup creates an organization with its owner and signs the owner in.
func (p *Pages) Signup(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		f := v.r.PostForm
		in := tenant.SignupInput{
			Organization: strings.TrimSpace(f.Get("organization")),
			Name:         strings.TrimSpace(f.Get("name")),
			Email:        strings.TrimSpace(f.Get("email")),
			Password:     f.Get("password"),
			Locale:       v.lang,
		}
		vw := &view{Title: "signup.title", Form: map[string]string{
			"organization": in.Organization, "name": in.Name, "email": in.Email,
		}}
		var check fault.Check
		check.Add(tooLong(in.Organization, 200), "organization", "is too long")
		check.Add(tooLong(in.Name, 200), "name", "is too long")
		check.Add(tooLong(in.Email, 254), "email", "is too long")
		err := check.Err()
		var out *tenant.Signup
		if err == nil {
			out, err = p.tenants.Signup(v.ctx(), in)
		}
		if err != nil {
			return p.formFailed(v, "signup", vw, err)
		}
		api.SetActor(v.ctx(), api.Principal{TenantID: out.Tenant.ID, ActorID: out.User.ID, Kind: "user", Role: out.User.Role})
		api.SetTarget(v.ctx(), out.Tenant.ID)
		if err := p.signIn(v, &out.User); err != nil {
			return err
		}
		http.Redirect(v.w, v.r, "/app", http.StatusSeeOther)
		return nil
	})
}

// LoginPage shows the sign-in form.
func (p *Pages) LoginPage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		next := safeNext(v.r.URL.Query().Get("next"))
		if v.sess != nil {
			http.Redirect(v.w, v.r, next, http.StatusSeeOther)
			return nil
		}
		return p.render(v, http.StatusOK, "login", &view{Title: "login.title", Form: map[string]string{"next": next}})
	})
}

// Login checks an email and password and signs the user in.
func (p *Pages) Login(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		f := v.r.PostForm
		email, next := strings.TrimSpace(f.Get("email")), safeNext(f.Get("next"))
		vw := &view{Title: "login.title", Form: map[string]string{"email": email, "next": next}}
		var check fault.Check
		check.Add(tooLong(email, 254), "email", "is too long")
		check.Add(len(f.Get("password")) > 256, "password", "is too long")
		err := check.Err()
		var u *tenant.User
		if err == nil {
			u, err = p.tenants.Login(v.ctx(), email, f.Get("password"))
		}
		if err != nil {
			if fault.Is(err, fault.Validation) {
				// Do not tell which part was wrong.
				err = fault.New(fault.InvalidCredentials, "the email or password is wrong")
			}
			return p.formFailed(v, "login", vw, err)
		}
		if err := p.signIn(v, u); err != nil {
			return err
		}
		http.Redirect(v.w, v.r, next, http.StatusSeeOther)
		return nil
	})
}

// Logout ends the session.
func (p *Pages) Logout(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, member, func(v *visit) error {
		c, _ := v.r.Cookie(sessionCookie)
		if err := p.tenants.EndSession(v.ctx(), c.Value); err != nil {
			return err
		}
		p.clearCookie(v.w, sessionCookie)
		http.Redirect(v.w, v.r, "/login", http.StatusSeeOther)
		return nil
	})
}

// SetLanguage remembers the chosen language in a cookie and goes back; a
// signed-in person's messages (budget alerts) switch to it too.
func (p *Pages) SetLanguage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		lang := v.r.PostForm.Get("lang")
		if !slices.Contains(langs, lang) {
			return fault.Field("lang", "must be ko or en")
		}
		if v.sess != nil && v.sess.User.Locale != lang {
			ctx := api.WithPrincipal(v.ctx(), v.sess.Principal)
			if _, err := p.tenants.UpdateProfile(ctx, tenant.ProfileInput{Locale: &lang}); err != nil {
				return err
			}
		}
		http.SetCookie(v.w, &http.Cookie{
			Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: p.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
		})
		next := v.r.PostForm.Get("next")
		if !strings.HasPrefix(next, "/") || safeNext(next) != next {
			next = "/"
		}
		http.Redirect(v.w, v.r, next, http.StatusSeeOther)
		return nil
	})
}

// invitePage is the content of the invitation page.
type invitePage struct {
	Token string
	Info  *tenant.InviteInfo
}

// InvitePage shows an invitation: which organization, which email, and a
// form to choose a name and password.
func (p *Pages) InvitePage(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		token := v.r.PathValue("token")
		info, err := p.tenants.LookupInvite(v.ctx(), token)
		if err != nil {
			return p.inviteInvalid(v, err)
		}
		return p.render(v, http.StatusOK, "invite", &view{Title: "invite.title", Form: map[string]string{},
			Data: invitePage{Token: token, Info: info}})
	})
}

// AcceptInvite creates the invited user and signs them in.
func (p *Pages) AcceptInvite(w http.ResponseWriter, r *http.Request) {
	p.serve(w, r, public, func(v *visit) error {
		token := v.r.PathValue("token")
		info, err := p.tenants.LookupInvite(v.ctx(), token)
		if err != nil {
			return p.inviteInvalid(v, err)
		}
		name, password := strings.TrimSpace(v.r.PostForm.Get("name")), v.r.PostForm.Get("password")
		vw := &view{Title: "invite.title", Form: map[string]string{"name": name}, Data: invitePage{Token: token, Info: info}}
		var check fault.Check
		check.Add(tooLong(name, 200), "name", "is too long")
		err = check.Err()
		var u *tenant.User
		if err == nil {
			u, _, err = p.tenants.AcceptInvite(v.ctx(), tenant.AcceptInviteInput{Token: token, Name: name, Password: password, Locale: v.lang})
		}
		if fault.Is(err, fault.InvalidToken) {
			return p.inviteInvalid(v, err)
		}
		if err != nil {
			return p.formFailed(v, "invite", vw, err)
		}
		api.SetActor(v.ctx(), api.Principal{TenantID: u.TenantID, ActorID: u.ID, Kind: "user", Role: u.Role})
		if err := p.signIn(v, u); err != nil {
			return err
		}
		http.Redirect(v.w, v.r, "/app", http.StatusSeeOther)
		return nil
	})
}

// inviteInvalid explains that an invitation cannot be used (any more).
func (p *Pages) inviteInvalid(v *visit, err error) error {
	if !fault.Is(err, fault.InvalidToken) {
		return err
	}
	return p.render(v, http.StatusNotFound, "invite_invalid", &view{Title: "invite.invalid.title"})
}

// formValues reads the named fields of a posted form, trimmed, under
// prefix+name: the values a page shows again when the form fails.
func formValues(f url.Values, prefix string, names ...string) map[string]string {
	out := make(map[string]string, len(names))
	for _, k := range names {
		out[prefix+k] = strings.TrimSpace(f.Get(k))
	}
	return out
}

// tooLong reports whether s has more than max characters, the limits the
// API's schema puts on the same fields.
func tooLong(s string, max int) bool { return utf8.RuneCountInString(s) > max }
