// Package web is Usher's page shell: server-rendered pages for signing up,
// signing in and the signed-in settings, in Korean and English, with their
// templates, stylesheet and script embedded in the binary.
//
// Pages call the domain services with the signed-in user's principal in the
// request context, exactly as the API does, so tenant scoping, role rules
// and the audit log apply to both alike. The routes are listed in the wiring
// package (internal/app/routes.go).
package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/campaign"
	"github.com/usher-events/usher/internal/event"
	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/gate"
	"github.com/usher-events/usher/internal/job"
	"github.com/usher-events/usher/internal/meter"
	"github.com/usher-events/usher/internal/notify"
	"github.com/usher-events/usher/internal/order"
	"github.com/usher-events/usher/internal/privacy"
	"github.com/usher-events/usher/internal/report"
	"github.com/usher-events/usher/internal/seat"
	"github.com/usher-events/usher/internal/tenant"
	"github.com/usher-events/usher/internal/waitroom"
	"github.com/usher-events/usher/internal/wallet"
	"github.com/usher-events/usher/internal/webhook"
)

//go:embed templates/*.html
var templateFS embed.FS

// Config tunes the pages.
type Config struct {
	// SecureCookies marks cookies Secure; set it when served over HTTPS.
	SecureCookies bool
}

// Deps are the services the pages call. Page groups add the services they
// need here.
type Deps struct {
	Tenants *tenant.Service
	Logger  *slog.Logger

	// The events and tickets pages (pages_events.go).
	Events  *event.Service
	Orders  *order.Service
	Wallets *wallet.Service
	Notify  *notify.Service
	Rooms   *waitroom.Service
	Seats   *seat.Service

	// The campaign pages (pages_campaigns.go).
	Campaigns *campaign.Service
	Reports   *report.Service

	// The gate pages (pages_gates.go).
	Gates *gate.Service

	// The webhook settings pages (settings_webhooks.go).
	Webhooks *webhook.Service

	// The personal data settings page (settings_privacy.go).
	Privacy *privacy.Service

	// The usage settings page (settings_usage.go).
	Meter *meter.Service

	// The failed-work settings page (settings_jobs.go).
	Jobs *job.Runner
}

// Pages serves the web pages.
type Pages struct {
	cfg     Config
	deps    Deps
	tenants *tenant.Service
	log     *slog.Logger
	pages   map[string]*template.Template
	assets  *assets
	origins *http.CrossOriginProtection
}

// pageNames are the templates under templates/, each rendered inside
// layout.html: the shell's own, then each page group's (declared in the
// group's pages_<group>.go file).
var pageNames = slices.Concat([]string{
	"signup", "login", "invite", "invite_invalid", "dashboard", "soon",
	"users", "api_keys", "webhooks", "webhook", "privacy", "usage", "failed_jobs", "problem",
}, eventPageNames, campaignPageNames, gatePageNames)

// New parses the templates and prepares the static files.
func New(cfg Config, d Deps) (*Pages, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	tenants, log := d.Tenants, d.Logger
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	p := &Pages{cfg: cfg, deps: d, tenants: tenants, log: log, assets: a, pages: map[string]*template.Template{},
		origins: http.NewCrossOriginProtection()}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partial_*.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		p.pages[name] = t
	}
	return p, nil
}

var funcs = template.FuncMap{
	// date shows a time (or *time.Time) as a UTC date and time.
	"date": func(v any) string {
		switch t := v.(type) {
		case time.Time:
			return t.UTC().Format("2006-01-02 15:04") + " UTC"
		case *time.Time:
			if t != nil {
				return t.UTC().Format("2006-01-02 15:04") + " UTC"
			}
		}
		return ""
	},
}

// access says who may see a page.
type access struct {
	// signedIn pages need a session; the others are public.
	signedIn bool
	roles    api.Access
}

var (
	public  = access{}
	member  = access{signedIn: true, roles: api.Anyone}
	manager = access{signedIn: true, roles: api.Admin}
)

// visit is one request to a page.
type visit struct {
	w    http.ResponseWriter
	r    *http.Request
	lang string
	// sess is the signed-in session: always set on signed-in pages, and on
	// public pages when the browser happens to be signed in.
	sess *tenant.Session
	// csrf is the token this page's forms carry.
	csrf string
	org  string
}

func (v *visit) ctx() context.Context { return v.r.Context() }

// serve runs a page handler: it picks the language, resolves the session,
// checks the role and, for posts, the request's origin and CSRF token; then
// it renders whatever error the handler returns.
func (p *Pages) serve(w http.ResponseWriter, r *http.Request, a access, handle func(*visit) error) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Cookie, Accept-Language")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	v := &visit{w: w, r: r, lang: chooseLang(r)}

	sess, err := p.currentSession(r)
	switch {
	case err == nil:
		v.sess = sess
	case fault.Is(err, fault.Unauthorized):
		if _, cerr := r.Cookie(sessionCookie); cerr == nil {
			// The session ended (signed out elsewhere, expired, user
			// removed): forget it.
			p.clearCookie(w, sessionCookie)
		}
		if a.signedIn {
			target := "/login"
			if r.Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
	default:
		p.fail(v, err)
		return
	}
	if a.signedIn {
		v.csrf = v.sess.CSRF
		v.r = r.WithContext(api.WithPrincipal(r.Context(), v.sess.Principal))
		t, err := p.tenants.Tenant(v.ctx())
		if err != nil {
			p.fail(v, err)
			return
		}
		v.org = t.Name
		if !a.roles.Allows(v.sess.Principal.Role) {
			p.fail(v, fault.New(fault.Forbidden, "the role %q may not see this page", v.sess.Principal.Role))
			return
		}
	} else {
		v.csrf = p.formToken(w, r)
	}

	if r.Method == http.MethodPost {
		if err := p.checkPost(v, a); err != nil {
			p.fail(v, err)
			return
		}
	}
	if err := handle(v); err != nil {
		p.fail(v, err)
	}
}

// view is what every template gets.
type view struct {
	Lang string
	// Title is the message key of the page title.
	Title string
	// Nav is the active navigation item.
	Nav  string
	Path string
	CSRF string
	// User, Org and Role are set on signed-in pages.
	User    *tenant.User
	Org     string
	IsAdmin bool
	// Notice is the message key of a one-line success note.
	Notice string
	// Error is a localized form error; ErrField names the field it is about.
	Error    string
	ErrField string
	// Form holds the values to show again in a form that failed.
	Form map[string]string
	// Data is the page's own content.
	Data      any
	RequestID string

	msgs   map[string]string
	assets *assets
}

// T returns the message for key in the page's language, formatted with args.
func (vw *view) T(key string, args ...any) string {
	return translate(vw.msgs, key, args...)
}

// Asset returns the cache-busting URL of a static file.
func (vw *view) Asset(name string) string { return vw.assets.url(name) }

// Langs lists the languages the switch offers.
func (vw *view) Langs() []string { return langs }

// pagePaths are where the pages that answer form posts live, so that the
// language switch on such an answer returns to a page that can be loaded.
var pagePaths = map[string]string{
	"users":     "/app/settings/users",
	"api_keys":  "/app/settings/api-keys",
	"dashboard": "/app",
	"problem":   "/",
}

// render writes a page with its layout. The page is rendered in full before
// anything is written, so a template error becomes a clean 500 page.
func (p *Pages) render(v *visit, status int, name string, vw *view) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	vw.Lang, vw.msgs, vw.assets = v.lang, catalogs[v.lang], p.assets
	vw.CSRF = v.csrf
	if vw.Path == "" {
		// A handler may name the page a form post's answer stands for.
		vw.Path = v.r.URL.RequestURI()
	}
	if p, ok := pagePaths[name]; ok && v.r.Method != http.MethodGet {
		vw.Path = p
	}
	vw.RequestID = api.RequestID(v.ctx())
	if v.org != "" && v.sess != nil {
		u := v.sess.User
		vw.User, vw.Org, vw.IsAdmin = &u, v.org, api.Admin.Allows(v.sess.Principal.Role)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", vw); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	v.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	v.w.WriteHeader(status)
	_, err := buf.WriteTo(v.w)
	if err != nil {
		// The client went away; nothing more can be sent.
		p.logger(v).Debug("page write", "err", err)
	}
	return nil
}

// problemPage is the content of an error page.
type problemPage struct {
	Heading string
	Body    string
}

// fail renders an error that a handler did not turn into a form message:
// a 403, 404 or other 4xx page with a localized explanation, or a friendly
// 500 page with the request id while the cause goes to the log.
func (p *Pages) fail(v *visit, err error) {
	code := fault.CodeOf(err)
	status := api.StatusOf(code)
	var fe *fault.Error
	if errors.As(err, &fe) && fe.RetryAfter > 0 {
		v.w.Header().Set("Retry-After", fmt.Sprint(fe.RetryAfter))
	}
	pg := problemPage{Heading: "problem.title", Body: errorKey(err)}
	switch {
	case status >= 500:
		p.logger(v).Error("page failed", "route", v.r.Pattern, "code", code, "err", err)
		pg = problemPage{Heading: "problem.title", Body: "problem.internal"}
	case errors.Is(err, errCSRF):
		pg = problemPage{Heading: "csrf.title", Body: "csrf.body"}
	case code == fault.Forbidden:
		pg = problemPage{Heading: "forbidden.title", Body: "forbidden.body"}
	case code == fault.NotFound:
		pg = problemPage{Heading: "notfound.title", Body: "notfound.body"}
	}
	if rerr := p.render(v, status, "problem", &view{Title: pg.Heading, Data: pg}); rerr != nil {
		p.logger(v).Error("error page failed", "err", rerr)
		http.Error(v.w, http.StatusText(status), status)
	}
}

// formFailed shows a form again with a localized message for err and the
// status its code maps to. Errors that are not the client's (internal ones)
// are returned for fail to render as a 500 page.
func (p *Pages) formFailed(v *visit, name string, vw *view, err error) error {
	status, _, err := failure(v, vw, err, errorKey)
	if err != nil {
		return err
	}
	return p.render(v, status, name, vw)
}

// failure prepares a form page for a client's error: the status its code
// maps to, Retry-After, the field to mark and the message under key(err).
// A server error comes back as the error, for fail to render as a 500 page.
func failure(v *visit, vw *view, err error, key func(error) string) (int, *fault.Error, error) {
	status := api.StatusOf(fault.CodeOf(err))
	if status >= 500 {
		return 0, nil, err
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		if fe.RetryAfter > 0 {
			v.w.Header().Set("Retry-After", fmt.Sprint(fe.RetryAfter))
		}
		if len(fe.Fields) > 0 {
			vw.ErrField = fe.Fields[0].Field
		}
	}
	vw.Error = translate(catalogs[v.lang], key(err))
	return status, fe, nil
}

// errorKey is the message key that explains an error to a person. The key
// follows the error's code (and, for invalid fields, the field), never its
// English text.
func errorKey(err error) string {
	code := fault.CodeOf(err)
	if code == fault.Validation {
		var fe *fault.Error
		if errors.As(err, &fe) && len(fe.Fields) > 0 {
			if k := "err.field." + fe.Fields[0].Field; hasKey(k) {
				return k
			}
		}
	}
	if k := "err." + string(code); hasKey(k) {
		return k
	}
	return "err.generic"
}

// safeNext returns a local path to go to after signing in, or /app when
// next could lead elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/app"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/app"
	}
	return next
}

// logger is the request's logger (it carries the request id) when the page
// runs behind the API's layers, else the logger the pages were made with.
func (p *Pages) logger(v *visit) *slog.Logger {
	if api.RequestID(v.ctx()) != "" {
		return api.Logger(v.ctx())
	}
	return p.log
}
