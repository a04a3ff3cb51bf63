package api

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/usher-events/usher/internal/fault"
)

// Meter counts each tenant's authenticated calls and applies its tier's
// rate limit. The meter domain implements it.
type Meter interface {
	// Admit counts one call of the tenant and reports whether it may run
	// now, and if not, how long to wait.
	Admit(ctx context.Context, tenantID string) (ok bool, retryAfter time.Duration)
}

// metered counts every call that carries valid credentials against its
// tenant and answers 429 rate_limited, with Retry-After, to calls over the
// tier's rate. Anonymous calls and bad credentials pass through: the
// operation decides what they get.
func metered(m Meter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok || p.TenantID == "" {
			next.ServeHTTP(w, r)
			return
		}
		if ok, wait := m.Admit(r.Context(), p.TenantID); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			WriteError(w, r, &fault.Error{Code: fault.RateLimited, RetryAfter: max(secs, 1),
				Message: "your organization's tier allows fewer API calls per second; slow down, or ask for a larger tier"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
