package web

import (
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"

	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
	"github.com/usher-events/usher/internal/tenant"
)

// Cookie names.
const (
	sessionCookie = "usher_session"
	csrfCookie    = "usher_csrf"
	langCookie    = "lang"
)

// csrfField is the form field that carries the CSRF token.
const csrfField = "csrf_token"

// errCSRF rejects a form post whose token or origin does not check out.
var errCSRF = fault.New(fault.Forbidden, "the form's security token is missing or does not match")

// currentSession resolves the session cookie; without a cookie, or with one
// for an ended session, it returns an unauthorized error.
func (p *Pages) currentSession(r *http.Request) (*tenant.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, fault.New(fault.Unauthorized, "not signed in")
	}
	return p.tenants.Session(r.Context(), c.Value)
}

// signIn starts a page session for the user and sets its cookie. A session
// the browser had before is ended, so that one browser holds one session.
func (p *Pages) signIn(v *visit, u *tenant.User) error {
	if old, err := v.r.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := p.tenants.EndSession(v.ctx(), old.Value); err != nil {
			p.logger(v).Warn("end previous session", "err", err)
		}
	}
	token, err := p.tenants.StartSession(v.ctx(), u)
	if err != nil {
		return err
	}
	http.SetCookie(v.w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/",
		MaxAge:   int(tenant.SessionTTL.Seconds()),
		HttpOnly: true, Secure: p.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

func (p *Pages) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: p.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// formToken returns the double-submit token for forms shown before there is
// a session (sign-up, login, invitation), setting its cookie when the
// browser has none yet.
func (p *Pages) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	token := id.Secret(20)
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: token, Path: "/",
		HttpOnly: true, Secure: p.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return token
}

// checkPost guards a form post against cross-site request forgery: the
// browser must not report it as cross-origin (Sec-Fetch-Site, or an Origin
// that is not this host), and the form must carry the page's token. On
// signed-in pages that is the session's token; on public pages either the
// double-submit cookie's value or, for a browser that is signed in, the
// session's token.
func (p *Pages) checkPost(v *visit, a access) error {
	if err := p.origins.Check(v.r); err != nil {
		return errCSRF
	}
	parse := v.r.ParseForm
	if mt, _, _ := mime.ParseMediaType(v.r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		// A file upload: the server's body limit bounds it; whatever does
		// not fit in memory goes to a temporary file, removed after.
		parse = func() error { return v.r.ParseMultipartForm(1 << 20) }
	}
	if err := parse(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fault.Wrap(err, fault.TooLarge, "the form is too large")
		}
		return fault.Wrap(err, fault.Invalid, "the form could not be read")
	}
	got := v.r.PostForm.Get(csrfField)
	if got == "" {
		return errCSRF
	}
	if a.signedIn {
		if !sameToken(got, v.sess.CSRF) {
			return errCSRF
		}
		return nil
	}
	if c, err := v.r.Cookie(csrfCookie); err == nil && sameToken(got, c.Value) {
		return nil
	}
	if v.sess != nil && sameToken(got, v.sess.CSRF) {
		return nil
	}
	return errCSRF
}

func sameToken(a, b string) bool {
	return b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
