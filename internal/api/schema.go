package api

import (
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// schemaName names OpenAPI schemas after their package and type, so that two
// domains may both have an "Entry" without clashing: audit.Entry becomes
// AuditEntry, api.ListBody[audit.Entry] becomes ListBodyAuditEntry, and a type
// already named after its package (event.Event) keeps its name.
func schemaName(t reflect.Type, hint string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return huma.DefaultSchemaNamer(t, hint)
	}
	name := t.Name()
	var b strings.Builder
	if own := qualifier(t.PkgPath()); own != "" && !strings.HasPrefix(name, own) {
		b.WriteString(own)
	}
	// Generic arguments arrive fully qualified: "ListBody[github.com/…/audit.Entry]".
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '[' || r == ']' || r == ',' || r == '*' }) {
		pkg, base := "", part
		if dot := strings.LastIndexByte(part, '.'); dot >= 0 {
			pkg, base = part[:dot], part[dot+1:]
		}
		if q := qualifier(pkg); q != "" && !strings.HasPrefix(base, q) {
			b.WriteString(q)
		}
		b.WriteString(upperFirst(strings.TrimPrefix(base, "[]")))
	}
	return b.String()
}

// qualifier is the capitalized last element of a package path, or "" for
// the api package and the standard library (whose names stay as they are).
func qualifier(pkgPath string) string {
	if !strings.Contains(pkgPath, "/internal/") || strings.HasSuffix(pkgPath, "/internal/api") {
		return ""
	}
	return upperFirst(pkgPath[strings.LastIndexByte(pkgPath, '/')+1:])
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
