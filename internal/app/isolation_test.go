package app_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

// TestTenantIsolation walks every authenticated operation in the router's own
// list and calls it as tenant B's owner, pointed at tenant A's objects. No
// answer may be a success on A's object, a server error, or contain anything
// of A's. Operations added later are walked without anyone adding them here;
// a path parameter this test has no fixture for is tried with every id of A's.
func TestTenantIsolation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)

		// Tenant A, with one object of each kind.
		a := b.signup("Alpha Secret Org", "alpha-owner@alpha.example")
		ev := b.do("POST", "/v1/events", a.Access, validEvent("Alpha Secret Gala"))
		b.want(ev, 201, "")
		key := b.do("POST", "/v1/api-keys", a.Access, map[string]any{"name": "alpha-secret-key", "role": "staff"})
		b.want(key, 201, "")
		inv := b.do("POST", "/v1/users/invites", a.Access, map[string]any{"email": "alpha-staff@alpha.example", "role": "staff"})
		b.want(inv, 201, "")
		acc := b.do("POST", "/v1/public/invites/accept", "", map[string]any{"token": inv.str("token"), "name": "Alpha Staffer", "password": "alpha staff pw!"})
		b.want(acc, 201, "")
		staffID := acc.obj("user")["id"].(string)
		tt := b.do("POST", "/v1/events/"+ev.str("id")+"/ticket-types", a.Access, map[string]any{"name": "Alpha Secret Pass", "price": 1000, "currency": "KRW", "quota": 10})
		b.want(tt, 201, "")
		b.want(b.do("POST", "/v1/events/"+ev.str("id")+"/publish", a.Access, nil), 200, "")
		cus := b.do("POST", "/v1/customers", a.Access, map[string]any{"email": "alpha-buyer@alpha.example", "name": "Alpha Secret Buyer"})
		b.want(cus, 201, "")
		ord := b.do("POST", "/v1/events/"+ev.str("id")+"/orders", a.Access, map[string]any{
			"customer_id": cus.str("id"), "buyer": map[string]any{"name": "Alpha Secret Buyer", "email": "alpha-buyer@alpha.example"},
			"items": []any{map[string]any{"ticket_type_id": tt.str("id"), "quantity": 1}},
		})
		b.want(ord, 201, "")

		// Campaigns: a school, a campaign with a gift, a participation, a
		// draw and external credentials.
		sch := b.do("POST", "/v1/schools", a.Access, map[string]any{"name": "Alpha Secret School"})
		b.want(sch, 201, "")
		cmp := b.do("POST", "/v1/campaigns", a.Access, campaignBody("Alpha Secret Campaign", map[string]any{"type": "none"}, "manual"))
		b.want(cmp, 201, "")
		b.want(b.do("POST", "/v1/campaigns/"+cmp.str("id")+"/gifts", a.Access, map[string]any{"name": "Alpha Secret Gift", "stock": 3}), 201, "")
		par := b.do("POST", "/v1/public/campaigns/"+cmp.str("id")+"/participations", "", map[string]any{"name": "Alpha Secret Participant", "phone": "010-4321-8765", "consent": true})
		b.want(par, 201, "")
		drw := b.do("POST", "/v1/campaigns/"+cmp.str("id")+"/draws", a.Access, map[string]any{"count": 1, "eligibility": map[string]any{}})
		b.want(drw, 201, "")
		xcr := b.do("POST", "/v1/external-credentials", a.Access, map[string]any{"name": "Alpha Secret Kiosk"})
		b.want(xcr, 201, "")

		fixtures := map[string]string{
			"event_id":       ev.str("id"),
			"id":             key.str("id"),
			"user_id":        staffID,
			"ticket_type_id": tt.str("id"),
			"customer_id":    cus.str("id"),
			"order_id":       ord.str("id"),
		}
		for k, v := range map[string]string{
			"school_id": sch.str("id"), "campaign_id": cmp.str("id"), "participation_id": par.str("id"),
			"draw_id": drw.str("id"), "credential_id": xcr.str("id"), "channel": "instagram",
		} {
			fixtures[k] = v
		}
		// Tickets: a signing key of A's event.
		kid := b.do("POST", "/v1/events/"+ev.str("id")+"/ticket-keys/rotate", a.Access, nil)
		b.want(kid, 201, "")
		fixtures["kid"] = kid.str("kid")
		// Gates: a gate, a paired device and a beacon of A's event.
		gt := b.do("POST", "/v1/events/"+ev.str("id")+"/gates", a.Access, map[string]any{"name": "Alpha Secret Gate", "kind": "main"})
		b.want(gt, 201, "")
		pc := b.do("POST", "/v1/devices/pairing-codes", a.Access, map[string]any{"gate_id": gt.str("id")})
		b.want(pc, 201, "")
		dev := b.do("POST", "/v1/public/devices/pair", "", map[string]any{"code": pc.str("code"), "name": "Alpha Secret Tablet"})
		b.want(dev, 201, "")
		bcn := b.do("POST", "/v1/events/"+ev.str("id")+"/beacons", a.Access, map[string]any{"name": "Alpha Secret Beacon"})
		b.want(bcn, 201, "")
		fixtures["gate_id"], fixtures["device_id"], fixtures["beacon_id"] = gt.str("id"), dev.str("device_id"), bcn.str("id")
		// Webhooks: an endpoint and a delivery to it.
		hook := b.do("POST", "/v1/webhooks", a.Access, map[string]any{"url": "https://hooks.alpha.example/usher", "description": "Alpha Secret Hook"})
		b.want(hook, 201, "")
		ping := b.do("POST", "/v1/webhooks/"+hook.str("id")+"/ping", a.Access, nil)
		b.want(ping, 202, "")
		fixtures["endpoint_id"], fixtures["delivery_id"] = hook.str("id"), ping.str("id")
		var allIDs []string
		for _, v := range fixtures {
			allIDs = append(allIDs, v)
		}
		allIDs = append(allIDs, a.ID, a.UserID, inv.str("id"))
		sort.Strings(allIDs)
		markers := append([]string{"Alpha Secret", "alpha-secret-key", "alpha.example", "Alpha Staffer"}, allIDs...)

		// Tenant B, as owner: every role check passes, only isolation stops it.
		bt := b.signup("Bravo Org", "bravo@bravo.example")

		spec := b.app.Server().API().OpenAPI()
		walked := 0
		sent := map[string]bool{}
		paramRe := regexp.MustCompile(`\{([^}]+)\}`)
		for path, item := range spec.Paths {
			for method, op := range operations(item) {
				access, ok := api.AccessOf(op)
				if !ok {
					t.Errorf("%s %s was registered without an access rule", method, path)
					continue
				}
				if access.IsPublic() {
					continue
				}
				walked++
				params := paramRe.FindAllStringSubmatch(path, -1)
				// Each unknown parameter is tried with every id of A's.
				candidates := []string{path}
				for _, p := range params {
					var next []string
					values := allIDs
					if v, ok := fixtures[p[1]]; ok {
						values = []string{v}
					}
					for _, c := range candidates {
						for _, v := range values {
							next = append(next, strings.Replace(c, p[0], v, 1))
						}
					}
					candidates = next
				}
				var body any
				if op.RequestBody != nil {
					body = exampleBody(spec.Components.Schemas, op)
				}
				for _, target := range candidates {
					r := b.do(method, target, bt.Access, body)
					name := method + " " + target
					if r.Status >= 500 {
						t.Errorf("%s as another tenant: %d %s", name, r.Status, r.Raw)
					}
					if len(params) > 0 && r.Status < 300 {
						t.Errorf("%s as another tenant succeeded on A's object: %d %s", name, r.Status, r.Raw)
					}
					if len(params) > 0 && r.Status != 404 && r.Status != 422 {
						t.Errorf("%s as another tenant: status %d, want 404: %s", name, r.Status, r.Raw)
					}
					for _, m := range allIDs {
						if strings.Contains(target, m) {
							sent[m] = true
						}
					}
					for _, m := range markers {
						// Echoing an id the caller sent (here, or earlier: B's
						// own audit log lists the targets B tried) reveals nothing.
						if strings.Contains(target, m) || sent[m] {
							continue
						}
						if strings.Contains(string(r.Raw), m) {
							t.Errorf("%s as another tenant leaks %q: %s", name, m, r.Raw)
						}
					}
				}
			}
		}
		if walked < 10 {
			t.Fatalf("walked only %d authenticated operations", walked)
		}

		// A's objects are untouched.
		got := b.do("GET", "/v1/events/"+ev.str("id"), a.Access, nil)
		b.want(got, 200, "")
		if got.str("name") != "Alpha Secret Gala" {
			t.Fatalf("A's event changed: %s", got.Raw)
		}
		b.want(b.do("GET", "/v1/me", key.str("key"), nil), 200, "")
		users := b.do("GET", "/v1/users", a.Access, nil)
		if !strings.Contains(string(users.Raw), staffID) {
			t.Fatalf("A's staff user is gone: %s", users.Raw)
		}
	})
}

func operations(p *huma.PathItem) map[string]*huma.Operation {
	out := map[string]*huma.Operation{}
	for m, op := range map[string]*huma.Operation{
		http.MethodGet: p.Get, http.MethodPost: p.Post, http.MethodPut: p.Put,
		http.MethodPatch: p.Patch, http.MethodDelete: p.Delete,
	} {
		if op != nil {
			out[m] = op
		}
	}
	return out
}

// exampleBody builds a body that passes the operation's schema, so that the
// call reaches the handler's lookup instead of stopping at validation.
func exampleBody(reg huma.Registry, op *huma.Operation) any {
	mt := op.RequestBody.Content["application/json"]
	if mt == nil || mt.Schema == nil {
		return map[string]any{}
	}
	return example(reg, mt.Schema, 0)
}

func example(reg huma.Registry, s *huma.Schema, depth int) any {
	if s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
	}
	if depth > 6 || s == nil {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[len(s.Enum)-1]
	}
	switch s.Type {
	case "object":
		out := map[string]any{}
		for name, ps := range s.Properties {
			out[name] = example(reg, ps, depth+1)
		}
		return out
	case "array":
		return []any{}
	case "integer", "number":
		if s.Minimum != nil {
			return *s.Minimum
		}
		return 1
	case "boolean":
		return true
	case "string":
		switch s.Format {
		case "date-time":
			return "2027-01-01T10:00:00Z"
		case "email":
			return "x@bravo.example"
		}
		return "example-value"
	}
	return nil
}
