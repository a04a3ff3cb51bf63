package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"github.com/usher-events/usher/internal/fault"
)

// TestEveryCodeHasAStatus reads package fault's source and checks that every
// Code constant is in the status table, so a new code cannot silently
// render as a 500.
func TestEveryCodeHasAStatus(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "../fault/fault.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		spec, ok := node.(*ast.ValueSpec)
		if !ok || spec.Type == nil {
			return true
		}
		if id, ok := spec.Type.(*ast.Ident); !ok || id.Name != "Code" {
			return true
		}
		for _, v := range spec.Values {
			lit, ok := v.(*ast.BasicLit)
			if !ok {
				continue
			}
			code, _ := strconv.Unquote(lit.Value)
			n++
			if _, ok := statusOf[fault.Code(code)]; !ok {
				t.Errorf("code %q has no HTTP status in statusOf", code)
			}
		}
		return true
	})
	if n < 20 {
		t.Fatalf("found only %d codes; is the parser looking at the right file?", n)
	}
}
