package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
)

func TestSignupLoginRefresh(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		r := b.do("POST", "/v1/signup", "", map[string]any{"organization": "Hanbit University", "email": "Owner@Hanbit.ac.kr", "password": "correct horse battery"})
		b.want(r, 201, "")
		if r.obj("tenant")["tier"] != "basic" || r.obj("tenant")["name"] != "Hanbit University" || !strings.HasPrefix(r.obj("tenant")["id"].(string), "ten_") {
			t.Fatalf("tenant = %v", r.obj("tenant"))
		}
		if r.obj("user")["role"] != "owner" || r.obj("user")["email"] != "owner@hanbit.ac.kr" {
			t.Fatalf("user = %v", r.obj("user"))
		}
		if r.str("access_token") == "" || r.str("refresh_token") == "" {
			t.Fatalf("no tokens: %s", r.Raw)
		}
		if strings.Contains(string(r.Raw), "password") {
			t.Fatalf("signup answer mentions the password: %s", r.Raw)
		}

		b.want(b.do("POST", "/v1/signup", "", map[string]any{"organization": "Other", "email": "owner@hanbit.ac.kr", "password": "another good one"}), 409, "email_taken")
		for _, weak := range []string{"short", "password", "aaaaaaaaaaaa", "12345678"} {
			b.want(b.do("POST", "/v1/signup", "", map[string]any{"organization": "W", "email": "w@example.com", "password": weak}), 422, "weak_password")
		}
		b.want(b.do("POST", "/v1/signup", "", map[string]any{"organization": "W", "email": "not-an-email", "password": "correct horse battery"}), 422, "validation_failed")

		b.want(b.do("POST", "/v1/auth/login", "", map[string]any{"email": "owner@hanbit.ac.kr", "password": "wrong password"}), 401, "invalid_credentials")
		b.want(b.do("POST", "/v1/auth/login", "", map[string]any{"email": "nobody@hanbit.ac.kr", "password": "whatever it is"}), 401, "invalid_credentials")
		login := b.do("POST", "/v1/auth/login", "", map[string]any{"email": "OWNER@hanbit.ac.kr", "password": "correct horse battery"})
		b.want(login, 200, "")
		if login.Body["expires_in"] != float64(900) {
			t.Fatalf("expires_in = %v", login.Body["expires_in"])
		}
		me := b.do("GET", "/v1/me", login.str("access_token"), nil)
		b.want(me, 200, "")
		if me.obj("user")["email"] != "owner@hanbit.ac.kr" {
			t.Fatalf("me = %s", me.Raw)
		}

		// Rotation: each refresh token works once; reusing one revokes the family.
		rt1 := login.str("refresh_token")
		r2 := b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": rt1})
		b.want(r2, 200, "")
		rt2 := r2.str("refresh_token")
		if rt2 == rt1 || r2.str("access_token") == "" {
			t.Fatalf("refresh did not rotate: %s", r2.Raw)
		}
		b.want(b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": rt1}), 401, "invalid_token")
		b.want(b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": rt2}), 401, "invalid_token")
		b.want(b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": "urt_nonsense"}), 401, "invalid_token")
		// Another login's family is unaffected.
		other := b.do("POST", "/v1/auth/login", "", map[string]any{"email": "owner@hanbit.ac.kr", "password": "correct horse battery"})
		b.want(b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": other.str("refresh_token")}), 200, "")
	})
}

func TestRefreshRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Race", "race@example.com")
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": ten.Refresh}).Status
			}()
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			if c == 200 {
				ok++
			} else if c != 401 {
				t.Fatalf("status %d", c)
			}
		}
		if ok > 1 {
			t.Fatalf("%d concurrent refreshes with one token succeeded, want at most 1", ok)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Keys Inc", "keys@example.com")
		r := b.do("POST", "/v1/api-keys", ten.Access, map[string]any{"name": "gate tablets", "role": "gate"})
		b.want(r, 201, "")
		key, keyID := r.str("key"), r.str("id")
		if !strings.HasPrefix(key, "usk_") || !strings.HasPrefix(keyID, "key_") {
			t.Fatalf("key answer = %s", r.Raw)
		}
		list := b.do("GET", "/v1/api-keys", ten.Access, nil)
		b.want(list, 200, "")
		if strings.Contains(string(list.Raw), key) || !strings.Contains(string(list.Raw), keyID) {
			t.Fatalf("list shows the secret or misses the key: %s", list.Raw)
		}
		me := b.do("GET", "/v1/me", key, nil)
		b.want(me, 200, "")
		if me.str("actor_kind") != "api_key" || me.str("role") != "gate" {
			t.Fatalf("me with key = %s", me.Raw)
		}
		// A gate key may not manage keys or create events.
		b.want(b.do("POST", "/v1/api-keys", key, map[string]any{"name": "x", "role": "viewer"}), 403, "forbidden")
		b.want(b.do("POST", "/v1/events", key, validEvent("x")), 403, "forbidden")
		// Only an owner makes owner keys.
		admin := b.do("POST", "/v1/api-keys", ten.Access, map[string]any{"name": "admin", "role": "admin"})
		b.want(b.do("POST", "/v1/api-keys", admin.str("key"), map[string]any{"name": "o", "role": "owner"}), 403, "forbidden")
		b.want(b.do("POST", "/v1/api-keys", ten.Access, map[string]any{"name": "o", "role": "superuser"}), 422, "validation_failed")

		b.want(b.do("DELETE", "/v1/api-keys/"+keyID, ten.Access, nil), 204, "")
		b.want(b.do("GET", "/v1/me", key, nil), 401, "unauthorized")
		b.want(b.do("DELETE", "/v1/api-keys/"+keyID, ten.Access, nil), 404, "not_found")
		b.want(b.do("GET", "/v1/me", "usk_madeup", nil), 401, "unauthorized")
		b.want(b.do("GET", "/v1/me", "", nil), 401, "unauthorized")
		b.want(b.do("GET", "/v1/me", "", nil, "Authorization", "Basic abc"), 401, "unauthorized")
		b.want(b.do("GET", "/v1/me", "eyJhbGciOiJub25lIn0.e30.", nil), 401, "unauthorized")
	})
}

func TestUsersAndInvites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("People", "boss@example.com")
		inv := b.do("POST", "/v1/users/invites", ten.Access, map[string]any{"email": "staff@example.com", "role": "staff"})
		b.want(inv, 201, "")
		acc := b.do("POST", "/v1/public/invites/accept", "", map[string]any{"token": inv.str("token"), "name": "Kim", "password": "staff member pw"})
		b.want(acc, 201, "")
		staffID := acc.obj("user")["id"].(string)
		if acc.obj("user")["role"] != "staff" || acc.str("access_token") == "" {
			t.Fatalf("accept = %s", acc.Raw)
		}
		b.want(b.do("POST", "/v1/public/invites/accept", "", map[string]any{"token": inv.str("token"), "password": "staff member pw"}), 401, "invalid_token")
		staff := acc.str("access_token")
		b.want(b.do("GET", "/v1/users", staff, nil), 403, "forbidden")
		b.want(b.do("POST", "/v1/events", staff, validEvent("Staff event")), 201, "")

		users := b.do("GET", "/v1/users", ten.Access, nil)
		b.want(users, 200, "")
		if n := len(users.Body["data"].([]any)); n != 2 {
			t.Fatalf("users = %d, want 2", n)
		}
		b.want(b.do("PATCH", "/v1/users/"+staffID, ten.Access, map[string]any{"role": "viewer"}), 200, "")
		b.want(b.do("PATCH", "/v1/users/"+ten.UserID, ten.Access, map[string]any{"role": "admin"}), 409, "last_owner")
		b.want(b.do("DELETE", "/v1/users/"+ten.UserID, ten.Access, nil), 409, "last_owner")
		b.want(b.do("DELETE", "/v1/users/"+staffID, ten.Access, nil), 204, "")
		b.want(b.do("POST", "/v1/auth/login", "", map[string]any{"email": "staff@example.com", "password": "staff member pw"}), 401, "invalid_credentials")
		b.want(b.do("POST", "/v1/auth/refresh", "", map[string]any{"refresh_token": acc.str("refresh_token")}), 401, "invalid_token")
	})
}

func TestLoginBruteForce(t *testing.T) {
	b := setup(t, db.SQLite)
	b.signup("Locked", "locked@example.com")
	for i := 0; i < 10; i++ {
		b.want(b.do("POST", "/v1/auth/login", "", map[string]any{"email": "locked@example.com", "password": fmt.Sprintf("guess %d", i)}), 401, "invalid_credentials")
	}
	r := b.do("POST", "/v1/auth/login", "", map[string]any{"email": "locked@example.com", "password": "correct horse battery"})
	b.want(r, 429, "too_many_attempts")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After on 429")
	}
	// Another account from the same address is still allowed.
	b.signup("Other", "other@example.com")
	b.want(b.do("POST", "/v1/auth/login", "", map[string]any{"email": "other@example.com", "password": "correct horse battery"}), 200, "")
}

func TestAuditLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Audited", "audit@example.com")
		ev := b.do("POST", "/v1/events", ten.Access, validEvent("Audited event"))
		b.want(ev, 201, "")
		b.do("POST", "/v1/auth/login", "", map[string]any{"email": "audit@example.com", "password": "wrong password!"})
		b.app.FlushAudit(context.Background())
		log := b.do("GET", "/v1/audit-log?limit=50", ten.Access, nil)
		b.want(log, 200, "")
		raw := string(log.Raw)
		for _, want := range []string{"create-event", ev.str("id"), "auth.login_failed", ten.UserID} {
			if !strings.Contains(raw, want) {
				t.Errorf("audit log misses %q: %s", want, raw)
			}
		}
		for _, secret := range []string{"audit@example.com", "correct horse", "wrong password", ten.Access, ten.Refresh} {
			if strings.Contains(raw, secret) {
				t.Errorf("audit log contains personal data or a secret %q", secret)
			}
		}
		filtered := b.do("GET", "/v1/audit-log?action=create-event", ten.Access, nil)
		b.want(filtered, 200, "")
		if n := len(filtered.Body["data"].([]any)); n != 1 {
			t.Fatalf("filtered audit log has %d entries, want 1: %s", n, filtered.Raw)
		}
	})
}

func TestEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		b := setup(t, d)
		ten := b.signup("Events Co", "events@example.com")
		r := b.do("POST", "/v1/events", ten.Access, validEvent("Dev Conference 2027"))
		b.want(r, 201, "")
		if r.str("status") != "draft" || !strings.HasPrefix(r.str("id"), "evt_") || r.str("starts_at") != "2027-03-01T01:00:00Z" {
			t.Fatalf("event = %s", r.Raw)
		}
		got := b.do("GET", "/v1/events/"+r.str("id"), ten.Access, nil)
		b.want(got, 200, "")
		if got.str("name") != "Dev Conference 2027" || got.Body["capacity"] != float64(500) || got.str("timezone") != "Asia/Seoul" {
			t.Fatalf("get = %s", got.Raw)
		}
		b.want(b.do("GET", "/v1/events/evt_doesnotexist", ten.Access, nil), 404, "not_found")

		// Pagination: 5 events, pages of 2.
		for i := 0; i < 4; i++ {
			b.want(b.do("POST", "/v1/events", ten.Access, validEvent(fmt.Sprintf("E%d", i))), 201, "")
		}
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			p := b.do("GET", "/v1/events?limit=2&cursor="+cursor, ten.Access, nil)
			b.want(p, 200, "")
			for _, e := range p.Body["data"].([]any) {
				id := e.(map[string]any)["id"].(string)
				if seen[id] {
					t.Fatalf("event %s on two pages", id)
				}
				seen[id] = true
			}
			cursor = p.str("next_cursor")
			if cursor == "" {
				break
			}
		}
		if len(seen) != 5 {
			t.Fatalf("pages held %d events, want 5", len(seen))
		}
		b.want(b.do("GET", "/v1/events?cursor=!!!", ten.Access, nil), 422, "validation_failed")
	})
}
