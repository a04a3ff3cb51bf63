package gate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
)

// streamHeartbeat is how often a stream sends the numbers even without a
// scan: it keeps proxies from closing an idle stream, and it lets time-based
// figures (rates, silent devices) move.
const streamHeartbeat = 5 * time.Second

// streamDebounce gathers a burst of scans into one update.
const streamDebounce = 200 * time.Millisecond

// HandleLive streams an event's statistics as Server-Sent Events ("stats"
// events with the JSON of GET …/checkins/stats), within a second of each
// scan. It is a plain handler, outside huma, because it never ends; it
// checks the credentials the authentication layer resolved.
func (s *Service) HandleLive(w http.ResponseWriter, r *http.Request) {
	p, ok := api.PrincipalFrom(r.Context())
	if !ok {
		api.WriteError(w, r, fault.New(fault.Unauthorized, "credentials are required: send \"Authorization: Bearer <token>\""))
		return
	}
	if !api.Anyone.Allows(p.Role) {
		api.WriteError(w, r, fault.New(fault.Forbidden, "the role %q may not do this", p.Role))
		return
	}
	ctx := r.Context()
	eventID := r.PathValue("event_id")
	if err := s.events.Exists(ctx, eventID); err != nil {
		api.WriteError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// The server's WriteTimeout would cut the stream; this one has none.
	rc.SetWriteDeadline(time.Time{})
	notices, stop := s.live.Subscribe(ctx, eventID)
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func() bool {
		st, err := s.Stats(ctx, eventID)
		if err != nil {
			return ctx.Err() == nil
		}
		b, _ := json.Marshal(st)
		if _, err := fmt.Fprintf(w, "event: stats\ndata: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send() {
		return
	}
	tick := time.NewTicker(streamHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-notices:
			select {
			case <-time.After(streamDebounce):
			case <-ctx.Done():
				return
			}
		case <-tick.C:
		}
		if !send() {
			return
		}
	}
}
