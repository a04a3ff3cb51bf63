package web

import (
	"io/fs"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/usher-events/usher/internal/api"
	"github.com/usher-events/usher/internal/fault"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	for lang, msgs := range catalogs {
		for other, others := range catalogs {
			for k := range msgs {
				if _, ok := others[k]; !ok {
					t.Errorf("%q is in %s but not in %s", k, lang, other)
				}
			}
		}
	}
}

// keyRE finds the message keys templates name literally: T "key".
var keyRE = regexp.MustCompile(`\.T "([a-z_.]+)"`)

func TestEveryMessageKeyExists(t *testing.T) {
	var keys []string
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Keys built from values: navigation, roles, languages, notices, titles.
	for _, s := range sections {
		keys = append(keys, "nav."+s.Key)
		if s.Key != "dashboard" {
			keys = append(keys, "dash."+s.Key)
		}
	}
	for _, r := range api.Roles {
		keys = append(keys, "role."+string(r))
	}
	for _, l := range langs {
		keys = append(keys, "lang."+l)
	}
	for _, n := range notices {
		keys = append(keys, n)
	}
	keys = append(keys, "problem.title", "problem.internal", "forbidden.title", "forbidden.body",
		"notfound.title", "notfound.body", "csrf.title", "csrf.body", "err.generic")
	for _, k := range keys {
		if !hasKey(k) {
			t.Errorf("message %q is missing", k)
		}
	}
}

func TestErrorsHaveMessages(t *testing.T) {
	// Every code a form can meet has its own message in both languages.
	for _, code := range []fault.Code{fault.Validation, fault.WeakPassword, fault.EmailTaken, fault.InvalidCredentials,
		fault.TooManyAttempts, fault.InvalidToken, fault.LastOwner, fault.Forbidden, fault.NotFound, fault.Conflict,
		fault.RateLimited, fault.Invalid, fault.TooLarge} {
		if k := errorKey(fault.New(code, "x")); k == "err.generic" {
			t.Errorf("no message for %s", code)
		}
	}
	for _, field := range []string{"organization", "name", "email", "password", "role"} {
		if k := errorKey(fault.Field(field, "x")); k != "err.field."+field {
			t.Errorf("field %s: key %s", field, k)
		}
	}
	if k := errorKey(fault.Field("nonsense", "x")); k != "err.validation_failed" {
		t.Errorf("unknown field: %s", k)
	}
}

func TestChooseLang(t *testing.T) {
	for _, tc := range []struct {
		cookie, accept, want string
	}{
		{"", "", "ko"},
		{"", "en", "en"},
		{"", "en-GB,en;q=0.8", "en"},
		{"", "ko-KR", "ko"},
		{"", "de-DE,de;q=0.9", "ko"},
		{"", "zh-CN,en;q=0.3", "en"},
		{"en", "ko-KR", "en"},
		{"ko", "en-US", "ko"},
		{"xx", "en-US", "en"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+tc.cookie)
		}
		if got := chooseLang(r); got != tc.want {
			t.Errorf("cookie %q, Accept-Language %q: %s, want %s", tc.cookie, tc.accept, got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "/app",
		"/app/events":          "/app/events",
		"/app?x=1":             "/app?x=1",
		"//evil.example":       "/app",
		"/\\evil.example":      "/app",
		"https://evil.example": "/app",
		"app":                  "/app",
		"/app\r\nX: y":         "/app",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGrantable(t *testing.T) {
	if slices.Contains(grantable(api.RoleAdmin), api.RoleOwner) {
		t.Error("an admin may grant owner")
	}
	if !slices.Contains(grantable(api.RoleOwner), api.RoleOwner) {
		t.Error("an owner may not grant owner")
	}
}
