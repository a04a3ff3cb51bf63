package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/usher-events/usher/internal/fault"
)

// metaAccess is the operation metadata key that holds its Access.
const metaAccess = "usher.access"

// Register adds an operation to the API with the given access. Every /v1
// route goes through here, so that none can be added without an access rule:
// the wrapper checks credentials and role before the handler runs, turns the
// handler's errors into problems (logging causes of server errors), and
// records the operation for the audit log and the OpenAPI document.
func Register[I, O any](a huma.API, access Access, op huma.Operation, handler func(context.Context, *I) (*O, error)) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaAccess] = access
	if op.DefaultStatus == 0 && op.Method == http.MethodPost {
		op.DefaultStatus = http.StatusCreated
	}
	if !access.IsPublic() {
		op.Security = []map[string][]string{{"bearer": {}}}
		op.Description = strings.TrimSpace(op.Description + "\n\nRequires a role: " + strings.Join(roleNames(access), ", ") + ".")
	}
	op.Middlewares = append(huma.Middlewares{func(ctx huma.Context, next func(huma.Context)) {
		if info := infoFrom(ctx.Context()); info != nil {
			info.operation = op.OperationID
		}
		if err := authorize(ctx.Context(), access); err != nil {
			p := problemFor(err)
			logProblem(ctx.Context(), p)
			if p.Status == http.StatusUnauthorized {
				// RFC 9110: a 401 names the scheme to authenticate with.
				ctx.SetHeader("WWW-Authenticate", `Bearer realm="usher"`)
			}
			writeHumaProblem(ctx, p)
			return
		}
		next(ctx)
	}}, op.Middlewares...)
	huma.Register(a, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := handler(ctx, in)
		if err != nil {
			p := problemFor(err)
			logProblem(ctx, p)
			cp := *p
			cp.RequestID = requestID(ctx)
			return nil, &cp
		}
		return out, nil
	})
}

func roleNames(a Access) []string {
	out := make([]string, len(a.roles))
	for i, r := range a.roles {
		out[i] = string(r)
	}
	return out
}

func writeHumaProblem(ctx huma.Context, p *Problem) {
	_, w := humago.Unwrap(ctx)
	writeProblem(w, requestID(ctx.Context()), p)
}

// AccessOf returns the access an operation was registered with.
func AccessOf(op *huma.Operation) (Access, bool) {
	a, ok := op.Metadata[metaAccess].(Access)
	return a, ok
}

// PageParams are the query parameters of every list operation.
type PageParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"How many items to return."`
	Cursor string `query:"cursor" maxLength:"200" doc:"The next_cursor of the previous page."`
}

// ListBody is the body of every list answer.
type ListBody[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page."`
}

// List is the output of a list operation.
type List[T any] struct {
	Body ListBody[T]
}

// NewList builds a page from limit+1 fetched items: when the extra item is
// there, the cursor points past the last returned one.
func NewList[T any](items []T, limit int, key func(T) string) *List[T] {
	out := &List[T]{}
	if items == nil {
		items = []T{}
	}
	if len(items) > limit {
		items = items[:limit]
		out.Body.NextCursor = EncodeCursor(key(items[len(items)-1]))
	}
	out.Body.Data = items
	return out
}

// EncodeCursor makes an opaque cursor from a sort key.
func EncodeCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// DecodeCursor reads a cursor made by EncodeCursor; "" decodes to "".
func DecodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	// Every cursor is an id, so text: bytes that are not (a made-up cursor
	// that happens to be base64) would be refused by PostgreSQL and taken by
	// SQLite, so both refuse them here.
	if err != nil || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", fault.Field("cursor", "is not a cursor returned by this API")
	}
	return string(b), nil
}

// Keyset finishes a list query whose conditions are written: it adds
// "AND <key> < ?" for the page's cursor and "ORDER BY <key> DESC LIMIT ?"
// (one more than the limit, so that NewList can tell whether a next page
// exists). key is the column of the items' time-ordered ids.
func (p PageParams) Keyset(q, key string, args ...any) (string, []any, error) {
	after, err := DecodeCursor(p.Cursor)
	if err != nil {
		return "", nil, err
	}
	if after != "" {
		q += ` AND ` + key + ` < ?`
		args = append(args, after)
	}
	return q + ` ORDER BY ` + key + ` DESC LIMIT ?`, append(args, p.Limit+1), nil
}
