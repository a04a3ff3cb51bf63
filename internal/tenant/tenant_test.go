package tenant

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/db"
	"github.com/usher-events/usher/internal/db/dbtest"
	"github.com/usher-events/usher/internal/fault"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := hashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %q", h)
	}
	if h == hashPassword("correct horse battery") {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		ok, err := checkPassword(h, tt.pw)
		if err != nil || ok != tt.want {
			t.Errorf("checkPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	if _, err := checkPassword("$bcrypt$nope", "x"); err == nil {
		t.Fatal("a foreign hash format was accepted")
	}
}

func TestCheckStrength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pw, email string
		ok        bool
	}{
		{"correct horse battery", "a@b.co", true},
		{"S3cure!Pw", "a@b.co", true},
		{"short", "a@b.co", false},
		{"Password", "a@b.co", false},
		{"zzzzzzzzzzzz", "a@b.co", false},
		{"kimminsu1", "kimminsu1@example.com", false},
		{"kimminsu1@example.com", "kimminsu1@example.com", false},
		{"KimMinsu1@Example.com", "kimminsu1@example.com", false},
	}
	for _, tt := range tests {
		err := checkStrength(tt.pw, tt.email)
		if (err == nil) != tt.ok {
			t.Errorf("checkStrength(%q) = %v, want ok=%v", tt.pw, err, tt.ok)
		}
		if err != nil && !fault.Is(err, fault.WeakPassword) {
			t.Errorf("checkStrength(%q) code = %s", tt.pw, fault.CodeOf(err))
		}
	}
}

func TestAccessTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	s := &signer{key: []byte("0123456789abcdef0123456789abcdef"), now: func() time.Time { return now }}
	u := User{ID: "usr_1", TenantID: "ten_1", Role: api.RoleStaff}
	tok, err := s.sign(u)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.verify(tok)
	if err != nil || c.TenantID != "ten_1" || c.Subject != "usr_1" || c.Role != "staff" {
		t.Fatalf("verify = %+v, %v", c, err)
	}
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	other := &signer{key: []byte("another key, another installation"), now: s.now}
	foreign, _ := other.sign(u)
	for name, bad := range map[string]string{
		"tampered signature": tampered,
		"other key":          foreign,
		"alg none":           "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
		"garbage":            "not.a.jwt",
	} {
		if _, err := s.verify(bad); !fault.Is(err, fault.InvalidToken) {
			t.Errorf("%s: err = %v, want invalid_token", name, err)
		}
	}
	later := &signer{key: s.key, now: func() time.Time { return now.Add(AccessTTL + time.Second) }}
	if _, err := later.verify(tok); !fault.Is(err, fault.InvalidToken) {
		t.Errorf("expired token: err = %v", err)
	}
	// The signer that already checked the token remembers it, but not
	// past its expiry.
	if _, err := s.verify(tok); err != nil {
		t.Fatalf("second check: %v", err)
	}
	now = now.Add(AccessTTL + time.Second)
	if _, err := s.verify(tok); !fault.Is(err, fault.InvalidToken) {
		t.Errorf("remembered token after expiry: err = %v", err)
	}
}

// TestRefreshExpiry moves the clock past a refresh token's lifetime.
func TestRefreshExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		conn := dbtest.Open(t, d)
		now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		s, err := NewService(context.Background(), Deps{DB: conn, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Signup(context.Background(), SignupInput{Organization: "Clock", Email: "clock@example.com", Password: "tick tock clock"})
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(RefreshTTL + time.Minute)
		if _, err := s.Refresh(context.Background(), out.RefreshToken); !fault.Is(err, fault.InvalidToken) {
			t.Fatalf("expired refresh: err = %v", err)
		}
		// The same service's signing key survives a restart (it is in the database).
		s2, err := NewService(context.Background(), Deps{DB: conn, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		if string(s2.jwt.key) != string(s.jwt.key) {
			t.Fatal("signing key changed across restarts")
		}
	})
}
