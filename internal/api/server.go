package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/swaggest/swgui/v5emb"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/fault"
)

// Config tunes the HTTP layer.
type Config struct {
	// Version is shown in the OpenAPI document.
	Version string
	// MaxBodyBytes caps request bodies (default 1 MiB).
	MaxBodyBytes int64
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
}

// AuditEntry is one mutating call, as handed to the audit log.
type AuditEntry struct {
	At        time.Time
	TenantID  string
	Actor     string
	ActorKind string
	Action    string
	Target    string
	Status    int
	RequestID string
	IP        string
}

// Auditor records mutating calls. The audit domain implements it.
type Auditor interface {
	Record(ctx context.Context, e AuditEntry)
}

// Deps are what the HTTP layer needs from the rest of the program.
type Deps struct {
	DB      *db.DB
	Auth    Authenticator
	Auditor Auditor
	Metrics *Metrics
	// Meter, when set, counts authenticated calls per tenant and enforces
	// the tiers' rate limits.
	Meter  Meter
	Logger *slog.Logger
	Now    func() time.Time
	// Ready reports whether the dependencies answer, for /readyz.
	Ready func(context.Context) error
}

// Server is the HTTP surface: a mux for raw handlers and pages, and the huma
// API for /v1 operations, behind the common layers.
type Server struct {
	mux     *http.ServeMux
	api     huma.API
	handler http.Handler
}

// New builds the server and its platform endpoints (/healthz, /readyz,
// /metrics, /openapi.json, /docs).
func New(cfg Config, d Deps) *Server {
	installHumaErrors()
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	registry := huma.NewMapRegistry("#/components/schemas/", schemaName)
	hc := huma.DefaultConfig("Usher API", cfg.Version)
	hc.Components.Schemas = registry
	hc.Info.Description = "Tickets, seats, gates and campaigns for many organizations on one installation. " +
		"Errors are RFC 9457 problem+json documents with a stable `code`."
	hc.OpenAPIPath = "/openapi"
	hc.DocsPath = ""
	hc.SchemasPath = ""
	hc.CreateHooks = nil // no $schema links in bodies
	hc.AllowAdditionalPropertiesByDefault = true
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "A JWT access token from /v1/auth/login or an API key (usk_…)."},
	}
	hapi := humago.New(mux, hc)

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if d.Ready != nil {
			if err := d.Ready(ctx); err != nil {
				WriteError(w, r, fault.Wrap(err, fault.Unavailable, "not ready: a dependency does not answer"))
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ready"}`))
	})
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics.Handler())
	}
	mux.Handle("GET /docs", v5emb.New("Usher API", "/openapi.json", "/docs"))
	mux.Handle("GET /docs/", v5emb.New("Usher API", "/openapi.json", "/docs"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			WriteError(w, r, fault.New(fault.NotAllowed, "%s is not allowed here; use %s", r.Method, strings.Join(allow, " or ")))
			return
		}
		WriteError(w, r, fault.New(fault.NotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})

	var h http.Handler = capturePattern(mux)
	if d.Auditor != nil {
		h = audit(d.Auditor, d.Now, h)
	}
	if d.DB != nil {
		h = idempotent(d.DB, d.Now, h)
	}
	if d.Meter != nil {
		h = metered(d.Meter, h)
	}
	if d.Auth != nil {
		h = authenticate(d.Auth, h)
	}
	h = limitBody(cfg.MaxBodyBytes, h)
	h = storableURL(h)
	h = observe(d.Logger, d.Metrics, cfg.TrustProxy, h)
	return &Server{mux: mux, api: hapi, handler: h}
}

// API returns the huma API that /v1 operations are registered on.
func (s *Server) API() huma.API { return s.api }

// Mux returns the mux for raw handlers and pages.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// ServeHTTP serves a request through every layer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// audit hands every mutating call by a known principal to the audit log once
// it is answered.
func audit(a Auditor, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return
		}
		info := infoFrom(r.Context())
		if info == nil || info.principal.TenantID == "" {
			return
		}
		// The status from the outermost writer: w may be wrapped by the
		// idempotency layer's recorder.
		status := http.StatusOK
		if info.sw != nil && info.sw.status != 0 {
			status = info.sw.status
		}
		action := info.operation
		if action == "" {
			action = r.Method + " " + stripMethod(r.Pattern)
		}
		target := info.target
		if target == "" {
			target = lastWildcard(r)
		}
		a.Record(r.Context(), AuditEntry{
			At:        now(),
			TenantID:  info.principal.TenantID,
			Actor:     info.principal.ActorID,
			ActorKind: info.principal.Kind,
			Action:    action,
			Target:    target,
			Status:    status,
			RequestID: info.id,
			IP:        info.ip,
		})
	})
}

// allowedMethods lists the methods that have a route for the request's path,
// so that a wrong method is a 405 rather than the catch-all's 404.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

func stripMethod(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		return p
	}
	return pattern
}

// lastWildcard returns the value of the last {name} in the matched pattern.
func lastWildcard(r *http.Request) string {
	p := r.Pattern
	end := strings.LastIndexByte(p, '}')
	start := strings.LastIndexByte(p, '{')
	if start < 0 || end < start {
		return ""
	}
	name := strings.TrimSuffix(p[start+1:end], "...")
	return r.PathValue(name)
}
