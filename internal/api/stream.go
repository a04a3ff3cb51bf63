package api

import (
	"reflect"

	"github.com/danielgtaylor/huma/v2"
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
