package app_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestFormRequiredIsOptional: a registration form's field or consent
// without "required" is accepted as optional (required false), and the
// OpenAPI document says so while key stays required. The API used to
// refuse such a form with 422, because the schema required "required".
func TestFormRequiredIsOptional(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		own := b.signup("Form Org", "form@required.example")
		ev := b.do("POST", "/v1/events", own.Access, validEvent("Form Conference"))
		b.want(ev, 201, "")
		path := "/v1/events/" + ev.str("id") + "/form"
		r := b.do("PUT", path, own.Access, map[string]any{
			"fields":   []any{map[string]any{"key": "organization"}, map[string]any{"key": "diet", "required": true}},
			"consents": []any{map[string]any{"key": "marketing", "text": "Send me news", "version": "v1"}},
		})
		b.want(r, 200, "")
		r = b.do("GET", path, own.Access, nil)
		b.want(r, 200, "")
		var form struct {
			Fields []struct {
				Key      string
				Required bool
			}
			Consents []struct {
				Key      string
				Required bool
			}
		}
		if err := json.Unmarshal(r.Raw, &form); err != nil {
			t.Fatal(err)
		}
		if len(form.Fields) != 2 || form.Fields[0].Required || !form.Fields[1].Required || len(form.Consents) != 1 || form.Consents[0].Required {
			t.Fatalf("form as stored: %s", r.Raw)
		}
		// Consents, or fields, may be left out: none.
		r = b.do("PUT", path, own.Access, map[string]any{"fields": []any{map[string]any{"key": "organization"}}})
		b.want(r, 200, "")
		if cs, ok := r.Body["consents"].([]any); !ok || len(cs) != 0 {
			t.Fatalf("a form without consents: %s", r.Raw)
		}
		r = b.do("PUT", path, own.Access, map[string]any{"consents": []any{map[string]any{"key": "privacy", "text": "We keep it.", "version": "1"}}})
		b.want(r, 200, "")
		if fs, ok := r.Body["fields"].([]any); !ok || len(fs) != 0 {
			t.Fatalf("a form without fields: %s", r.Raw)
		}
		// A field still needs its key.
		b.want(b.do("PUT", path, own.Access, map[string]any{"fields": []any{map[string]any{"required": true}}}), 422, "validation_failed")
	})

	b := setup(t, db.SQLite)
	doc := b.do("GET", "/openapi.json", "", nil)
	b.want(doc, 200, "")
	type schema struct {
		Ref        string             `json:"$ref"`
		Type       any                `json:"type"`
		Items      *schema            `json:"items"`
		Properties map[string]*schema `json:"properties"`
		Required   []string           `json:"required"`
	}
	var spec struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct{ Schema schema } `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]*schema `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc.Raw, &spec); err != nil {
		t.Fatal(err)
	}
	resolve := func(s *schema) *schema {
		t.Helper()
		if s == nil {
			t.Fatal("missing schema")
		}
		if s.Ref != "" {
			name := s.Ref[strings.LastIndex(s.Ref, "/")+1:]
			if s = spec.Components.Schemas[name]; s == nil {
				t.Fatalf("no schema %s", name)
			}
		}
		return s
	}
	body := spec.Paths["/v1/events/{event_id}/form"]["put"].RequestBody.Content["application/json"].Schema
	form := resolve(&body)
	for _, list := range []string{"fields", "consents"} {
		item := resolve(resolve(form.Properties[list]).Items)
		if item.Properties["required"] == nil {
			t.Fatalf("%s items have no required property", list)
		}
		if slices.Contains(item.Required, "required") || !slices.Contains(item.Required, "key") {
			t.Errorf("%s items: required %v, want key but not required", list, item.Required)
		}
	}
}
