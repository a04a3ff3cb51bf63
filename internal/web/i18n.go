package web

import (
	"fmt"
	"net/http"
	"slices"

	"golang.org/x/text/language"
)

// langs are the page languages; the first is the default.
var langs = []string{"ko", "en"}

var matcher = language.NewMatcher([]language.Tag{language.Korean, language.English})

// chooseLang picks the page language: the lang cookie set by the switch,
// else the best match for the browser's Accept-Language, else Korean.
func chooseLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(langs, c.Value) {
		return c.Value
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return langs[0]
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return langs[0]
	}
	return langs[i]
}

// translate returns the message for key, formatted with args. A missing key
// shows as itself, so that it is noticed (a test checks that none is missing).
func translate(msgs map[string]string, key string, args ...any) string {
	m, ok := msgs[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// hasKey reports whether every catalog has the key.
func hasKey(key string) bool {
	for _, c := range catalogs {
		if _, ok := c[key]; !ok {
			return false
		}
	}
	return true
}
