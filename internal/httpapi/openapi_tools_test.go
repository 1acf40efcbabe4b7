package httpapi_test

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIForOtherTools pins what issue 19 fixed for tools other than
// ours (Redocly's recommended lint, Prism, code generators), so a change
// that undoes it fails here even where make test skips the Node.js linter:
// servers and a licence, a 4XX on every operation, only security scheme
// types such tools know, and examples that validate against their schemas.
func TestOpenAPIForOtherTools(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	if len(doc.Servers) == 0 {
		t.Errorf("no servers")
	}
	if l := doc.Info.License; l == nil || l.Name == "" || (l.URL == "" && l.Identifier == "") {
		t.Errorf("info.license = %+v, want a name and an identifier or url", l)
	}
	for name, s := range doc.Components.SecuritySchemes {
		if s.Value.Type != "apiKey" {
			t.Errorf("security scheme %s is of type %q: tools such as Prism refuse what they do not know; want apiKey", name, s.Value.Type)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			has4xx := false
			for code := range op.Responses.Map() {
				has4xx = has4xx || strings.HasPrefix(code, "4")
			}
			if !has4xx {
				t.Errorf("%s %s has no 4XX response", method, path)
			}
			checkExamples(t, method+" "+path+" request", requestContent(op))
			for code, r := range op.Responses.Map() {
				checkExamples(t, method+" "+path+" "+code, r.Value.Content)
			}
		}
	}
	for name, r := range doc.Components.Responses {
		checkExamples(t, "components.responses."+name, r.Value.Content)
	}
}

func requestContent(op *openapi3.Operation) openapi3.Content {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	return op.RequestBody.Value.Content
}

// checkExamples validates each media type's example against its schema.
func checkExamples(t *testing.T, where string, content openapi3.Content) {
	t.Helper()
	for mt, m := range content {
		if m.Example == nil || m.Schema == nil {
			continue
		}
		if err := m.Schema.Value.VisitJSON(m.Example, openapi3.MultiErrors()); err != nil {
			t.Errorf("%s %s: the example does not match the schema: %v", where, mt, err)
		}
	}
}
