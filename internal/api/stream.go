package api

import (
	"context"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// StreamOperation documents op as a stream of Server-Sent Events named
// event, each with data's JSON: the handler returns a huma.StreamResponse
// (it may still answer a problem before the stream starts).
func StreamOperation(a huma.API, op huma.Operation, event string, data any) huma.Operation {
	schema := a.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(data), true, "")
	op.Responses = map[string]*huma.Response{"200": {
		Description: "A stream of " + event + " events (text/event-stream)",
		Content: map[string]*huma.MediaType{"text/event-stream": {Schema: &huma.Schema{
			Type: huma.TypeObject, Required: []string{"event", "data"},
			Properties: map[string]*huma.Schema{
				"event": {Type: huma.TypeString, Enum: []any{event}},
				"data":  schema,
			},
		}}},
	}}
	return op
}

// Stream is the answer of a StreamOperation: the text/event-stream headers,
// then body, which writes whole events with write. Each write is flushed at
// once and gets its own deadline, idle from now (the server's WriteTimeout
// would otherwise cut the stream), so body must write at least that often.
func Stream(idle time.Duration, body func(ctx context.Context, write func([]byte) error)) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		hc.SetHeader("Content-Type", "text/event-stream")
		hc.SetHeader("Cache-Control", "no-store")
		hc.SetHeader("X-Accel-Buffering", "no")
		hc.SetStatus(http.StatusOK)
		_, w := humago.Unwrap(hc)
		rc := http.NewResponseController(w)
		body(hc.Context(), func(b []byte) error {
			rc.SetWriteDeadline(time.Now().Add(idle))
			if _, err := w.Write(b); err != nil {
				return err
			}
			return rc.Flush()
		})
	}}
}
