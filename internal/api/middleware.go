package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usher-events/usher/internal/fault"
	"github.com/usher-events/usher/internal/id"
)

// reqInfo is filled in as a request passes the layers, and read by the outer
// ones (access log, metrics, audit) once the response is written.
type reqInfo struct {
	id        string
	ip        string
	pattern   string
	operation string
	target    string
	principal Principal
	// sw is the outermost response writer, which sees the status whatever
	// the inner layers wrap the writer in.
	sw *statusWriter
	// base is the server's logger; log is base with the request id, made
	// when something is first logged (most requests log only the access
	// line, which adds the id itself).
	base *slog.Logger
	log  *slog.Logger
}

func (i *reqInfo) logger() *slog.Logger {
	if i.log == nil {
		i.log = i.base.With("request_id", i.id)
	}
	return i.log
}

type infoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	i, _ := ctx.Value(infoKey{}).(*reqInfo)
	return i
}

func requestID(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.id
	}
	return ""
}

// RequestID returns the id of the request in ctx, for logs and audit rows.
func RequestID(ctx context.Context) string { return requestID(ctx) }

// ClientIP returns the client address of the request in ctx.
func ClientIP(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.ip
	}
	return ""
}

// Logger returns the request's logger (with its request id), or a discarding
// logger outside a request.
func Logger(ctx context.Context) *slog.Logger {
	if i := infoFrom(ctx); i != nil && i.base != nil {
		return i.logger()
	}
	return slog.New(slog.DiscardHandler)
}

// SetTarget records the object a request acted on, for the audit log.
func SetTarget(ctx context.Context, target string) {
	if i := infoFrom(ctx); i != nil {
		i.target = target
	}
}

// statusWriter records the status and size of a response. It implements
// Unwrap so that http.ResponseController reaches the real writer (flushes
// and deadlines for streams).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost layer: it gives each request an id and a logger,
// recovers panics into a 500 problem, and writes the access log line and the
// request metrics. No personal data is logged: only method, route pattern,
// status, duration and ids.
func observe(log *slog.Logger, m *Metrics, trustProxy bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := r.Header.Get("X-Request-Id")
		if reqID == "" || len(reqID) > 64 {
			reqID = id.New("req")
		}
		info := &reqInfo{id: reqID, ip: clientIP(r, trustProxy)}
		info.base = log
		ctx := context.WithValue(r.Context(), infoKey{}, info)
		sw := &statusWriter{ResponseWriter: w}
		info.sw = sw
		sw.Header().Set("X-Request-Id", reqID)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				info.logger().Error("panic", "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeProblem(sw, reqID, newProblem(fault.Internal, "an internal error occurred; it has been logged", nil, nil))
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := info.pattern
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			m.observe(knownMethod(r.Method), route, status, elapsed)
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			info.base.LogAttrs(ctx, level, "request",
				slog.String("request_id", info.id),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int("bytes", sw.bytes),
				slog.Duration("took", elapsed),
				slog.String("actor", info.principal.ActorID),
			)
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// knownMethod is the method as the metrics label it: one of HTTP's, or
// "other", so that clients cannot add series with methods of their own.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// capturePattern sits right outside the mux, which stores the matched pattern
// on the request it is given.
func capturePattern(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if info := infoFrom(r.Context()); info != nil && r.Pattern != "" {
			info.pattern = r.Pattern
		}
	})
}

// storableURL refuses a path or query that no database could store or
// match: the NUL character (PostgreSQL text cannot hold it) and bytes that
// are not UTF-8. No resource has such a path, so it is a 404; such a query
// value is a 400. Text in bodies is checked where it reaches the database
// (db.ErrNUL).
func storableURL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !storable(r.URL.Path) {
			writeProblem(w, requestID(r.Context()), newProblem(fault.NotFound, "no such resource: the path holds a NUL character or bytes that are not UTF-8", nil, nil))
			return
		}
		if r.URL.RawQuery != "" {
			for _, vs := range r.URL.Query() {
				for _, v := range vs {
					if !storable(v) {
						writeProblem(w, requestID(r.Context()), newProblem(fault.Invalid, "a query parameter holds a NUL character or bytes that are not UTF-8", nil, nil))
						return
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func storable(s string) bool { return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) }

// limitBody caps request bodies; huma and the idempotency layer turn the
// overflow into a 413 problem.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeProblem(w, requestID(r.Context()), newProblem(fault.TooLarge, "the request body is larger than "+strconv.FormatInt(max, 10)+" bytes", nil, nil))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			for i := 0; i < len(xff); i++ {
				if xff[i] == ',' {
					xff = xff[:i]
					break
				}
			}
			if ip := net.ParseIP(strings.TrimSpace(xff)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
