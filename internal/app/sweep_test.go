package app_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestSpecSweepNoServerErrors walks every operation of the served OpenAPI
// document as an organization's owner and sends it what a careless or
// hostile client might: unknown and malformed ids, odd query values, and
// bodies built from the operation's own schema with each field given a
// value of the right type but at the edges (empty, negative, huge, too
// long, the wrong shape). Whatever the answer, it is never a server error,
// and an error is a problem+json document. It runs on both databases: a
// value one of them stores and the other refuses (a NUL byte in text, a
// number past BIGINT) must be a 4xx on each.
func TestSpecSweepNoServerErrors(t *testing.T) {
	dbtest.Each(t, sweep)
}

func sweep(t *testing.T, d db.Dialect) {
	b := setup(t, d)
	owner := b.signup("Sweep", "sweep@example.com")
	eventID, ticketTypeID := b.publishedEvent(owner.Access, "Sweep", 100)

	r := b.do("GET", "/openapi.json", "", nil)
	b.want(r, 200, "")
	var spec specDoc
	if err := json.Unmarshal(r.Raw, &spec); err != nil {
		t.Fatal(err)
	}

	type op struct {
		method, path string
		o            specOp
	}
	var ops []op
	for path, item := range spec.Paths {
		for method, o := range item {
			method = strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, method) {
				continue
			}
			ops = append(ops, op{method, path, o})
		}
	}
	if len(ops) < 100 {
		t.Fatalf("the document lists %d operations: the sweep read it wrong", len(ops))
	}
	// Creations first, the outer ones before the inner (so that their ids
	// fill the later paths and bodies), then reads and changes, then what
	// ends things (deletions, cancellations, sign-outs), so that the rest
	// runs with a live session and rows that exist.
	ending := []string{"cancel", "finish", "close", "close-sales", "erase", "reject", "reject-verification", "rotate", "rotate-secret", "replay", "run"}
	rank := func(o op) int {
		last := o.path[strings.LastIndex(o.path, "/")+1:]
		switch {
		case strings.Contains(o.path, "/auth/") || strings.Contains(o.path, "logout"):
			return 3
		case o.method == "DELETE" || (o.method == "POST" && slices.Contains(ending, last)):
			return 2
		case o.method == "POST":
			return 0
		}
		return 1
	}
	slices.SortFunc(ops, func(a, c op) int {
		if d := rank(a) - rank(c); d != 0 {
			return d
		}
		if d := strings.Count(a.path, "/") - strings.Count(c.path, "/"); d != 0 {
			return d
		}
		return strings.Compare(a.method+" "+a.path, c.method+" "+c.path)
	})
	spec.ids = map[string]string{"event_id": eventID, "ticket_type_id": ticketTypeID, "kind": "confirmation", "lang": "ko"}

	ids := []string{"", "x", "evt_00000000000000000000000000", strings.Repeat("a", 300), "%00", "..%2F..", "-1", "%E2%80%AE", "%FF%FE"}
	sent, reached := 0, 0
	deep := map[string]bool{}       // operations answered past validation and lookup at least once
	mismatched := map[string]bool{} // operations whose answer contradicted their schema
	send := func(o op, path, query string, body any) {
		res := b.do(o.method, path+query, owner.Access, body)
		sent++
		// The first row of a kind stays the one paths name (the published
		// event above, not a draft made later).
		if k := idParam(o.path); o.method == "POST" && res.Status == 201 && res.str("id") != "" && spec.ids[k] == "" {
			spec.ids[k] = res.str("id")
		}
		if tok := res.str("token"); o.method == "POST" && res.Status < 300 && tok != "" && spec.ids["token"] == "" {
			spec.ids["token"] = tok // a queue token, or an invitation's
		}
		if res.Status < 400 || (res.Status != 422 && res.Status != 400 && res.Status != 404 && res.Status != 405) {
			reached++
			deep[o.method+" "+o.path] = true
		}
		if res.Status >= 500 && !(res.Status == 503 && res.str("code") == "font_unavailable") {
			t.Errorf("%s %s%s %.300s: %d %.300s", o.method, path, query, fmt.Sprint(body), res.Status, res.Raw)
		}
		if res.Status >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s %s%s: %d without problem+json (%s)", o.method, path, query, res.Status, res.Header.Get("Content-Type"))
		}
		if res.Status < 300 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			if schema := spec.answer(o.o, res.Status); schema != nil {
				var v any
				if err := json.Unmarshal(res.Raw, &v); err != nil {
					t.Errorf("%s %s%s: %d with broken JSON: %v", o.method, path, query, res.Status, err)
				} else if msg := spec.conform(schema, v, "body", 0); msg != "" && !mismatched[o.method+" "+o.path] {
					mismatched[o.method+" "+o.path] = true // one report per operation
					t.Errorf("%s %s%s: %d answer is not what the document says: %s", o.method, path, query, res.Status, msg)
				}
			}
		}
	}
	// First every creation with valid bodies only, so that the bodies and
	// paths below can name a row of each kind (a check-in's gate, an
	// order's ticket type) whichever operation made it.
	for _, o := range ops {
		if rank(o) == 0 {
			for _, body := range spec.validBodies(o.o) {
				send(o, fillPath(o.path, "", spec.ids), "", body)
			}
		}
	}
	for _, o := range ops {
		for _, id := range ids {
			if _, stream := o.o.Responses["200"].Content["text/event-stream"]; stream && id == "" {
				continue // a stream of a real row does not end; made-up ids must still be refused
			}
			path := fillPath(o.path, id, spec.ids)
			for _, body := range spec.bodies(o.o) {
				for _, query := range queries(o.o) {
					send(o, path, query, body)
				}
			}
			if !strings.Contains(o.path, "{") {
				break // no ids to vary
			}
		}
	}
	var shallow []string
	for _, o := range ops {
		if !deep[o.method+" "+o.path] {
			shallow = append(shallow, o.method+" "+o.path)
		}
	}
	t.Logf("%d operations, %d requests, %d answered other than 400/404/405/422; %d operations never were: %s",
		len(ops), sent, reached, len(shallow), strings.Join(shallow, ", "))
}

// idParam names the path parameter that the id of a row created by POST
// on path goes in.
func idParam(path string) string {
	seg := path[strings.LastIndex(path, "/")+1:]
	switch seg {
	case "webhooks":
		return "endpoint_id"
	case "external-credentials":
		return "credential_id"
	case "api-keys":
		return "id"
	}
	seg = strings.TrimSuffix(seg, "s")
	return strings.ReplaceAll(seg, "-", "_") + "_id"
}

// fillPath puts id in every path parameter, except that the first variant
// ("") takes the ids of rows the sweep created, so that the operations run
// their checks on rows that exist.
func fillPath(p, id string, ids map[string]string) string {
	for {
		i := strings.Index(p, "{")
		if i < 0 {
			return p
		}
		j := strings.Index(p[i:], "}")
		name := p[i+1 : i+j]
		v := id
		if id == "" {
			v = "none"
			if known, ok := ids[name]; ok {
				v = known
			}
		}
		p = p[:i] + v + p[i+j+1:]
	}
}

// queries are the query strings tried on an operation: none, and each
// parameter at once set to values at the edges.
func queries(o specOp) []string {
	out := []string{""}
	var names []string
	for _, p := range o.Parameters {
		if p.In == "query" {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return out
	}
	for _, v := range []string{"-1", "abc", "99999999999999999999", strings.Repeat("z", 500), "2027-13-45T99:99:99Z", "%00", "\x00", "\xff\xfe"} {
		q := url.Values{}
		for _, n := range names {
			q.Set(n, v)
		}
		out = append(out, "?"+q.Encode())
	}
	return out
}

type specDoc struct {
	ids        map[string]string            // rows the sweep created, by path parameter
	Paths      map[string]map[string]specOp `json:"paths"`
	Components struct {
		Schemas map[string]*specSchema `json:"schemas"`
	} `json:"components"`
}

type specOp struct {
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema *specSchema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema *specSchema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

type specSchema struct {
	Ref        string                 `json:"$ref"`
	Type       any                    `json:"type"` // a name, or a list with "null"
	Format     string                 `json:"format"`
	Enum       []any                  `json:"enum"`
	Properties map[string]*specSchema `json:"properties"`
	Items      *specSchema            `json:"items"`
	Required   []string               `json:"required"`
	MinLength  *int                   `json:"minLength"`
	MaxLength  *int                   `json:"maxLength"`
	Minimum    *float64               `json:"minimum"`
	Maximum    *float64               `json:"maximum"`
	MinItems   *int                   `json:"minItems"`
}

// answer is the schema the document gives for a JSON answer with the status.
func (d *specDoc) answer(o specOp, status int) *specSchema {
	for ct, c := range o.Responses[strconv.Itoa(status)].Content {
		if strings.Contains(ct, "json") {
			return d.resolve(c.Schema)
		}
	}
	return nil
}

// conform says how v, found at where, differs from the schema s: a null the
// schema does not allow (or any null list), a value of another type, a
// required field missing; "" when it matches. Clients generated from the
// document rely on all three.
func (d *specDoc) conform(s *specSchema, v any, where string, depth int) string {
	s = d.resolve(s)
	if s == nil || depth > 12 {
		return ""
	}
	nullable := false
	if list, ok := s.Type.([]any); ok {
		nullable = slices.Contains(list, any("null"))
	}
	want := s.typeName()
	if v == nil {
		// Lists are [] when empty, whatever huma's default lets the
		// document say, so that clients need not tell null from none.
		if want == "" || (nullable && want != "array") {
			return ""
		}
		return where + " is null, the document says " + want
	}
	switch x := v.(type) {
	case map[string]any:
		if want != "" && want != "object" {
			return where + " is an object, the document says " + want
		}
		for _, r := range s.Required {
			if _, ok := x[r]; !ok {
				return where + "." + r + " is missing (required)"
			}
		}
		for k, sub := range s.Properties {
			if val, ok := x[k]; ok {
				if msg := d.conform(sub, val, where+"."+k, depth+1); msg != "" {
					return msg
				}
			}
		}
	case []any:
		if want != "" && want != "array" {
			return where + " is an array, the document says " + want
		}
		for i, val := range x {
			if msg := d.conform(s.Items, val, fmt.Sprintf("%s[%d]", where, i), depth+1); msg != "" {
				return msg
			}
		}
	case string:
		if want != "" && want != "string" {
			return where + " is a string, the document says " + want
		}
	case float64:
		if want != "" && want != "number" && want != "integer" {
			return where + " is a number, the document says " + want
		}
		if want == "integer" && x != float64(int64(x)) {
			return where + " is not a whole number, the document says integer"
		}
	case bool:
		if want != "" && want != "boolean" {
			return where + " is a boolean, the document says " + want
		}
	}
	return ""
}

func (d *specDoc) resolve(s *specSchema) *specSchema {
	for i := 0; s != nil && s.Ref != "" && i < 10; i++ {
		s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

func (s *specSchema) typeName() string {
	switch t := s.Type.(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if n, _ := v.(string); n != "null" {
				return n
			}
		}
	}
	return ""
}

// bodies are the request bodies tried on an operation: nil when it takes
// none; otherwise broken JSON, the wrong shape, and the schema's own
// object with every field set to each edge value of its type.
func (d *specDoc) bodies(o specOp) []any {
	if o.RequestBody == nil {
		return []any{nil}
	}
	schema := d.jsonBody(o)
	if schema == nil {
		return []any{nil, "not json"}
	}
	out := append(d.validBodies(o), `{"a":`, `[]`, `{}`)
	for edge := 0; edge < edges; edge++ {
		out = append(out, d.sample(schema, edge, 0))
	}
	return out
}

// jsonBody is the schema of the operation's JSON body, or nil when it takes
// none (or only another media type).
func (d *specDoc) jsonBody(o specOp) *specSchema {
	if o.RequestBody == nil {
		return nil
	}
	for ct, c := range o.RequestBody.Content {
		if strings.Contains(ct, "json") {
			return d.resolve(c.Schema)
		}
	}
	return nil
}

// validBodies are the bodies of an operation that its schema accepts: every
// field, the required fields only, the required fields with each other
// top-level field alone (fields that exclude each other, such as an order's
// items, seats and best-available, are then tried one at a time), and each
// value of a top-level enum.
func (d *specDoc) validBodies(o specOp) []any {
	schema := d.jsonBody(o)
	if schema == nil {
		return []any{nil}
	}
	out := []any{d.valid(schema, "", 0, false), d.valid(schema, "", 0, true)}
	if schema.typeName() != "object" {
		return out
	}
	names := make([]string, 0, len(schema.Properties))
	for n := range schema.Properties {
		if !slices.Contains(schema.Required, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		m, _ := d.valid(schema, "", 0, true).(map[string]any)
		if m == nil {
			break
		}
		m[n] = d.valid(schema.Properties[n], n, 1, true)
		out = append(out, m)
	}
	// Each other value of a top-level choice (a payment's method, say), with
	// every field set.
	all := make([]string, 0, len(schema.Properties))
	for n := range schema.Properties {
		all = append(all, n)
	}
	slices.Sort(all)
	for _, n := range all {
		p := d.resolve(schema.Properties[n])
		if p == nil {
			continue
		}
		for _, v := range p.Enum[min(1, len(p.Enum)):] {
			m, _ := d.valid(schema, "", 0, false).(map[string]any)
			if m == nil {
				break
			}
			m[n] = v
			out = append(out, m)
		}
	}
	return out
}

// edges is how many edge values sample knows per type.
const edges = 6

// valid builds a value for s that its constraints accept where they can
// be read (lengths, bounds, enums, formats, and a few well-known field
// names whose patterns they cannot), so that the operation's own checks
// run past validation.
func (d *specDoc) valid(s *specSchema, name string, depth int, requiredOnly bool) any {
	s = d.resolve(s)
	if s == nil || depth > 6 {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch s.typeName() {
	case "object":
		m := map[string]any{}
		for n, p := range s.Properties {
			if !requiredOnly || slices.Contains(s.Required, n) {
				m[n] = d.valid(p, n, depth+1, requiredOnly)
			}
		}
		return m
	case "array":
		n := 1
		if s.MinItems != nil {
			n = max(n, *s.MinItems)
		}
		items := make([]any, n)
		for i := range items {
			items[i] = d.valid(s.Items, name, depth+1, requiredOnly)
		}
		return items
	case "integer", "number":
		v := 1.0
		if s.Minimum != nil {
			v = max(v, *s.Minimum)
		}
		if s.Maximum != nil {
			v = min(v, *s.Maximum)
		}
		return v
	case "boolean":
		return true
	case "string":
		switch s.Format {
		case "date-time":
			// Ends after starts, whatever the pair is called.
			for _, later := range []string{"end", "close", "until", "to", "expires"} {
				if strings.Contains(name, later) {
					return "2027-03-02T10:00:00Z"
				}
			}
			return "2027-03-01T10:00:00Z"
		case "date":
			return "2027-03-01"
		case "email":
			return "a@b.co"
		case "uri", "url":
			return "https://example.com/hook"
		}
		for key, v := range map[string]string{"currency": "KRW", "timezone": "Asia/Seoul", "phone": "010-1234-5678", "email": "a@b.co",
			"locale": "ko", "lang": "ko", "color": "#112233", "url": "https://example.com/hook", "password": "correct horse battery"} {
			if strings.Contains(name, key) {
				return v
			}
		}
		n := 1
		if s.MinLength != nil {
			n = max(n, *s.MinLength)
		}
		if s.MaxLength != nil {
			n = min(n, *s.MaxLength)
		}
		if known, ok := d.ids[name]; ok && strings.HasSuffix(name, "_id") {
			return known
		}
		return strings.Repeat("x", n)
	}
	return nil
}

// sample builds a value for s; edge picks which edge value each leaf gets.
func (d *specDoc) sample(s *specSchema, edge, depth int) any {
	s = d.resolve(s)
	if s == nil || depth > 6 {
		return nil
	}
	if len(s.Enum) > 0 {
		if edge%2 == 0 {
			return s.Enum[0]
		}
		return "not-one-of-them"
	}
	switch s.typeName() {
	case "object":
		m := map[string]any{}
		for name, p := range s.Properties {
			m[name] = d.sample(p, edge, depth+1)
		}
		return m
	case "array":
		switch edge {
		case 0:
			return []any{}
		case 3:
			items := make([]any, 300)
			for i := range items {
				items[i] = d.sample(s.Items, 0, depth+1)
			}
			return items
		}
		return []any{d.sample(s.Items, edge, depth+1), d.sample(s.Items, edge, depth+1)}
	case "integer", "number":
		return []any{0, -1, 1, 9007199254740991, -9007199254740991, 2147483648}[edge]
	case "boolean":
		return edge%2 == 0
	case "string":
		switch s.Format {
		case "date-time":
			return []string{"", "2027-03-01T10:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2027-03-01T10:00:00+14:00", "1970-01-01T00:00:00Z"}[edge]
		case "date":
			return []string{"", "2027-03-01", "0001-01-01", "9999-12-31", "2027-02-29", "1970-01-01"}[edge]
		case "email":
			return []string{"", "a@b.co", "x@" + strings.Repeat("y", 250) + ".com", "@", "a@b.co\r\nBcc: c@d.co", "한글@예시.한국"}[edge]
		case "uri", "url":
			return []string{"", "https://example.com/hook", "http://127.0.0.1:1/", "javascript:alert(1)", "https://" + strings.Repeat("a", 300) + ".com", "ftp://x"}[edge]
		}
		return []string{"", "x", "  ", strings.Repeat("가", 5000), "../../etc/passwd\x00", "evt_00000000000000000000000000"}[edge]
	}
	return nil
}

// TestUnstorableTextIsRefused: a NUL character or bytes that are not UTF-8
// in a path are a 404 and in a query a 400, before any handler runs; a NUL
// in a body's text is a 400 invalid_request, and the write it was for
// changes nothing, on both databases alike.
func TestUnstorableTextIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		owner := b.signup("Storable", "storable@example.com")
		for _, p := range []string{"/v1/events/%00", "/v1/events/evt_%FF", "/v1/public/events/%00/seats"} {
			b.want(b.do("GET", p, owner.Access, nil), 404, "not_found")
		}
		b.want(b.do("GET", "/v1/events?status=%00", owner.Access, nil), 400, "invalid_request")
		b.want(b.do("GET", "/v1/events?status=%FF", owner.Access, nil), 400, "invalid_request")
		b.want(b.do("POST", "/v1/auth/login", "", map[string]any{"email": "storable@example.com\x00", "password": "x"}), 400, "invalid_request")

		r := b.do("POST", "/v1/events", owner.Access, map[string]any{
			"name": "Nul\x00Fest", "starts_at": "2027-03-01T10:00:00Z", "ends_at": "2027-03-01T12:00:00Z", "timezone": "Asia/Seoul", "capacity": 10,
		})
		b.want(r, 400, "invalid_request")
		list := b.do("GET", "/v1/events", owner.Access, nil)
		b.want(list, 200, "")
		if data, _ := list.Body["data"].([]any); len(data) != 0 {
			t.Fatalf("the refused event was stored: %s", list.Raw)
		}
	})
}
