package waitroom

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
)

// How a status stream behaves: it looks at the token's place every
// streamEvery (from the node's copy of the frontier, like a status check:
// no database read), sends a "status" event when the place, the estimate or
// the status changed, a comment every streamKeepAlive otherwise (so that
// proxies keep the connection), and ends after an active or expired status.
// A browser's EventSource connects again by itself after streamRetry.
const (
	streamEvery     = time.Second
	streamKeepAlive = 15 * time.Second
	streamRetry     = 3 * time.Second
)

// maxStreams bounds the status streams a node keeps open at once; past it a
// new one is refused with 503, and the waiting page polls instead.
const maxStreams = 20000

// EventsOperation documents op as the text/event-stream of a token's status
// events, each with a Status as its data.
func EventsOperation(a huma.API, op huma.Operation) huma.Operation {
	op.Description = "Server-Sent Events: a `status` event (the answer of GET /v1/public/queue/{token}) " +
		"at once and whenever the place, the estimate or the status changes, a comment every 15 seconds " +
		"otherwise. The stream ends after an `active` or `expired` status. Reading it never touches the database."
	return api.StreamOperation(a, op, "status", Status{})
}

// HandleEvents streams a token's status as Server-Sent Events. An unknown
// or forged token is refused before the stream starts, as by HandleStatus.
func (s *Service) HandleEvents(ctx context.Context, in *TokenPath) (*huma.StreamResponse, error) {
	st, err := s.Status(ctx, in.Token)
	if err != nil {
		return nil, err
	}
	if s.streams.Add(1) > maxStreams {
		s.streams.Add(-1)
		return nil, fault.New(fault.Unavailable, "too many status streams on this server: poll GET /v1/public/queue/{token} instead")
	}
	return api.Stream(streamKeepAlive, func(ctx context.Context, write func([]byte) error) {
		defer s.streams.Add(-1)
		s.stream(ctx, in.Token, st, write)
	}), nil
}

// stream writes first and then every change of the token's status to
// write, until the status is final, ctx ends or a write fails.
func (s *Service) stream(ctx context.Context, token string, first *Status, write func([]byte) error) {
	last := *first
	if writeStatus(write, &last, true) != nil || final(&last) {
		return
	}
	tick := time.NewTicker(streamEvery)
	defer tick.Stop()
	quiet := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			st, err := s.Status(ctx, token)
			if err != nil {
				return // the room went away; the page's poll says why
			}
			switch {
			case st.Status != last.Status || st.Position != last.Position || st.ETASeconds != last.ETASeconds:
				last = *st
				quiet = now
				if writeStatus(write, &last, false) != nil || final(&last) {
					return
				}
			case now.Sub(quiet) >= streamKeepAlive:
				quiet = now
				if write([]byte(": still waiting\n\n")) != nil {
					return
				}
			}
		}
	}
}

func final(st *Status) bool { return st.Status != StatusWaiting }

// writeStatus writes one status event; the first also tells the browser
// how soon to connect again when the stream breaks.
func writeStatus(write func([]byte) error, st *Status, first bool) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	var out []byte
	if first {
		out = fmt.Appendf(out, "retry: %d\n", streamRetry.Milliseconds())
	}
	out = fmt.Appendf(out, "event: status\ndata: %s\n\n", b)
	return write(out)
}
