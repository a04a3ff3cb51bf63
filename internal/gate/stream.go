package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/api"
)

// streamHeartbeat is how often a stream sends the numbers even without a
// scan: it keeps proxies from closing an idle stream, and it lets time-based
// figures (rates, silent devices) move.
const streamHeartbeat = 5 * time.Second

// streamDebounce gathers a burst of scans into one update.
const streamDebounce = 200 * time.Millisecond

// LiveOperation documents op as the stream of an event's "stats" events.
func LiveOperation(a huma.API, op huma.Operation) huma.Operation {
	op.Description = "Server-Sent Events: a `stats` event (the answer of GET …/checkins/stats) at once, " +
		"within a second of each scan, and every 5 seconds otherwise. The stream does not end by itself."
	return api.StreamOperation(a, op, "stats", Stats{})
}

// HandleLive streams an event's statistics as Server-Sent Events ("stats"
// events with the JSON of GET …/checkins/stats), within a second of each
// scan. An unknown event (or another organization's) is a 404 before the
// stream starts.
func (s *Service) HandleLive(ctx context.Context, in *EventPath) (*huma.StreamResponse, error) {
	if err := s.events.Exists(ctx, in.EventID); err != nil {
		return nil, err
	}
	return api.Stream(2*streamHeartbeat, func(ctx context.Context, write func([]byte) error) {
		s.streamStats(ctx, write, in.EventID)
	}), nil
}

// streamStats writes the event's numbers at once, after each burst of
// scans and every streamHeartbeat, until ctx ends or a write fails.
func (s *Service) streamStats(ctx context.Context, write func([]byte) error, eventID string) {
	notices, stop := s.live.Subscribe(ctx, eventID)
	defer stop()
	send := func() bool {
		st, err := s.Stats(ctx, eventID)
		if err != nil {
			return ctx.Err() == nil
		}
		b, _ := json.Marshal(st)
		return write(fmt.Appendf(nil, "event: stats\ndata: %s\n\n", b)) == nil
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
