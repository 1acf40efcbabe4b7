package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/ingot-dev/ingot/internal/httpapi"
)

// The OpenAPI document (internal/httpapi/openapi.yaml) is checked three ways:
// it loads and validates (TestOpenAPIDocument), it lists exactly the routes
// routes.go registers and the error codes the server answers
// (TestOpenAPIRoutes, TestOpenAPIErrorCodes), and every request the HTTP
// tests send through do() and every answer they get is validated against it
// (validateExchange, called by do).

// openAPI is the embedded document, loaded once for the whole suite.
var openAPI struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// loadOpenAPI returns the embedded document, validated, and its router.
func loadOpenAPI(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	openAPI.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(httpapi.OpenAPIDocument())
		if err != nil {
			openAPI.err = fmt.Errorf("load: %w", err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			openAPI.err = fmt.Errorf("validate: %w", err)
			return
		}
		router, err := legacy.NewRouter(doc)
		if err != nil {
			openAPI.err = fmt.Errorf("router: %w", err)
			return
		}
		openAPI.doc, openAPI.router = doc, router
	})
	if openAPI.err != nil {
		t.Fatalf("openapi.yaml: %v", openAPI.err)
	}
	return openAPI.doc, openAPI.router
}

// peekBody returns the bytes req is about to send, leaving req able to send
// them exactly as it would have (a body of hidden length stays chunked).
func peekBody(t *testing.T, req *http.Request) []byte {
	t.Helper()
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b)))
	return b
}

// validateExchange fails the test unless the request and the answer match the
// OpenAPI document. Requests a test made invalid on purpose (malformed JSON,
// wrong types, unknown fields, missing or wrong credentials, wrong content
// type, oversized bodies) are recognised by the status the server refused them
// with, and only their answers are validated.
func validateExchange(t *testing.T, req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) {
	t.Helper()
	for _, p := range exchangeProblems(t, req, reqBody, status, header, respBody) {
		t.Errorf("openapi.yaml: %s %s answered %d: %s\nrequest body: %s\nresponse body: %s",
			req.Method, req.URL.RequestURI(), status, p, clip(reqBody), clip(respBody))
	}
}

// refusedRequest lists the statuses with which the server refuses a request
// before (or instead of) reading it as the document describes it: such a
// request need not match the document. Every other answer (success, 404 of an
// unknown user, 409, 422, 500) comes after the request passed the server's
// strict decoding, so the request must match the document too.
var refusedRequest = map[int]bool{
	http.StatusBadRequest:            true, // malformed, wrong types, unknown fields, failed validation
	http.StatusUnauthorized:          true, // credentials missing or wrong: checked before the body is read
	http.StatusMethodNotAllowed:      true,
	http.StatusRequestEntityTooLarge: true,
	http.StatusUnsupportedMediaType:  true,
	http.StatusTooManyRequests:       true, // rate limited right after authentication, before the body is read
}

// exchangeProblems is validateExchange's logic: what does not match.
func exchangeProblems(t *testing.T, req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) []string {
	t.Helper()
	doc, router := loadOpenAPI(t)
	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	vreq.ContentLength = int64(len(reqBody))

	lookup := vreq
	if vreq.Method == http.MethodHead {
		// net/http answers HEAD with the GET handler, without a body.
		lookup = vreq.Clone(ctx)
		lookup.Method = http.MethodGet
	}
	route, pathParams, err := router.FindRoute(lookup)
	if err == nil && route.Path != vreq.URL.Path {
		// The router forgives what ServeMux does not, such as a trailing
		// slash: the document has exact paths only.
		err = routers.ErrPathNotFound
	}
	if err != nil {
		return unroutedProblems(doc, vreq, err, status, header, respBody)
	}

	var problems []string
	input := &openapi3filter.RequestValidationInput{
		Request:    vreq,
		PathParams: pathParams,
		Route:      route,
		Options:    validationOptions(),
	}
	input.Options.AuthenticationFunc = credentialsPresent(reqBody)
	if !refusedRequest[status] {
		if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
			problems = append(problems, "request does not match the document, yet was not refused: "+err.Error())
		}
	}
	problems = append(problems, responseProblems(ctx, input, status, header, respBody)...)
	return problems
}

// unroutedProblems checks a request for a path or method the document does
// not have: an API call path with another method is 405, anything else 404,
// both in the error envelope the document's components describe.
func unroutedProblems(doc *openapi3.T, req *http.Request, routeErr error, status int, header http.Header, respBody []byte) []string {
	want, name := http.StatusNotFound, "NotFound"
	if routeErr.Error() == routers.ErrMethodNotAllowed.Error() {
		if item := doc.Paths.Value(req.URL.Path); item != nil && item.Post != nil {
			want, name = http.StatusMethodNotAllowed, "MethodNotAllowed"
		}
	} else if routeErr.Error() != routers.ErrPathNotFound.Error() {
		return []string{"router: " + routeErr.Error()}
	}
	if status != want {
		return []string{fmt.Sprintf("%s %s is not in the document (%v): want %d", req.Method, req.URL.Path, routeErr, want)}
	}
	resp := doc.Components.Responses[name]
	if resp == nil {
		return []string{"components.responses." + name + " is missing"}
	}
	input := &openapi3filter.RequestValidationInput{
		Request: req,
		Route: &routers.Route{Spec: doc, Path: req.URL.Path, Method: req.Method,
			Operation: &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(want, resp))}},
	}
	return responseProblems(context.Background(), input, status, header, respBody)
}

// validationOptions: every problem, briefly (where and why, without the
// schema), and undocumented statuses are problems too.
func validationOptions() *openapi3filter.Options {
	o := &openapi3filter.Options{IncludeResponseStatus: true, SkipSettingDefaults: true, MultiError: true}
	o.WithCustomSchemaErrorFunc(briefSchemaError)
	return o
}

// briefSchemaError says where and why, following the causes of allOf and
// anyOf failures.
func briefSchemaError(err *openapi3.SchemaError) string {
	msg := fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
	var causes []string
	var multi openapi3.MultiError
	var inner *openapi3.SchemaError
	origin := err.Unwrap() // the Origin, or the JSON Schema 2020-12 validator's error
	switch {
	case strings.HasPrefix(err.Reason, "jsonschema validation failed"):
		// The 2020-12 validator's reason already lists its causes.
	case errors.As(origin, &multi):
		for _, e := range multi {
			if errors.As(e, &inner) {
				causes = append(causes, briefSchemaError(inner))
			} else {
				causes = append(causes, e.Error())
			}
		}
	case errors.As(origin, &inner):
		causes = append(causes, briefSchemaError(inner))
	case origin != nil:
		causes = append(causes, origin.Error())
	}
	if len(causes) > 0 {
		msg += " (" + strings.Join(causes, "; ") + ")"
	}
	return msg
}

func responseProblems(ctx context.Context, input *openapi3filter.RequestValidationInput, status int, header http.Header, respBody []byte) []string {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 status,
		Header:                 header,
		Options:                validationOptions(),
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return []string{"response does not match the document: " + err.Error()}
	}
	return nil
}

// credentialsPresent checks that a request the server did not refuse carries
// the credentials the operation's security schemes name: the api_key header
// (or, as the scheme's description allows, an "api_key" body field), and an
// Authorization header of the hmac scheme. The signature itself is the
// server's to check.
func credentialsPresent(body []byte) openapi3filter.AuthenticationFunc {
	return func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		r, s := in.RequestValidationInput.Request, in.SecurityScheme
		switch {
		case s.Type == "apiKey" && s.In == "header":
			if r.Header.Get(s.Name) != "" {
				return nil
			}
			var fields map[string]any
			_ = json.Unmarshal(body, &fields)
			if v, _ := fields[s.Name].(string); v != "" {
				return nil
			}
			return fmt.Errorf("no %s header or body field", s.Name)
		case s.Type == "http":
			scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			if !strings.EqualFold(scheme, s.Scheme) {
				return fmt.Errorf("Authorization is not of the %s scheme", s.Scheme)
			}
			return nil
		}
		return fmt.Errorf("security scheme %q of type %s is not known to the test", in.SecuritySchemeName, s.Type)
	}
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + fmt.Sprintf("… (%d bytes)", len(b))
	}
	return string(b)
}

func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	doc, _ := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}

	onDisk, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(httpapi.OpenAPIDocument(), onDisk) {
		t.Errorf("the embedded document differs from openapi.yaml")
	}
	// Served without credentials, byte for byte.
	r := e.raw(http.MethodGet, "/api/v4/openapi.yaml", "", nil).want(t, http.StatusOK, "")
	if ct := r.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	if !bytes.Equal(r.Body, onDisk) {
		t.Errorf("the served document differs from openapi.yaml (%d and %d bytes)", len(r.Body), len(onDisk))
	}
	if n, _ := strconv.Atoi(r.Header.Get("Content-Length")); n != len(onDisk) {
		t.Errorf("Content-Length = %q, want %d", r.Header.Get("Content-Length"), len(onDisk))
	}
	// What is served loads and validates on its own.
	loader := openapi3.NewLoader()
	served, err := loader.LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("load the served document: %v", err)
	}
	if err := served.Validate(loader.Context); err != nil {
		t.Fatalf("validate the served document: %v", err)
	}

	head := e.raw(http.MethodHead, "/api/v4/openapi.yaml", "", nil).want(t, http.StatusOK, "")
	if len(head.Body) != 0 {
		t.Errorf("HEAD answered a body of %d bytes", len(head.Body))
	}
	// Not an API call: other methods are an unknown route, not 405.
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		e.raw(method, "/api/v4/openapi.yaml", "application/json", []byte(`{}`)).
			wantError(t, http.StatusNotFound, "not_found", "")
	}
}

// routesGo returns the routes routes.go registers, as "METHOD /path". It
// fails on a registration it cannot read, so that a new way of registering
// routes cannot slip past TestOpenAPIRoutes. Patterns without a method are
// allowed only for the fallbacks that answer 405 and 404.
func routesGo(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	// The paths of every `for _, rt := range []route{read(h, "path", ...), ...}`
	// (or mutation, or mutationInWork), by the range variable's name.
	rangeKeys := map[string][]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		rs, ok := n.(*ast.RangeStmt)
		if !ok {
			return true
		}
		val, ok1 := rs.Value.(*ast.Ident)
		lit, ok2 := rs.X.(*ast.CompositeLit)
		if !ok1 || !ok2 {
			t.Fatalf("%s: a range routes.go uses that this test cannot read", fset.Position(rs.Pos()))
		}
		for _, elt := range lit.Elts {
			call, ok := elt.(*ast.CallExpr)
			fn, isIdent := call.Fun.(*ast.Ident)
			if !ok || !isIdent || (fn.Name != "read" && fn.Name != "mutation" && fn.Name != "mutationInWork") || len(call.Args) < 2 {
				t.Fatalf("%s: a route routes.go declares that this test cannot read", fset.Position(elt.Pos()))
			}
			s, isStr := str(call.Args[1])
			if !isStr {
				t.Fatalf("%s: a route path that is not a string literal", fset.Position(elt.Pos()))
			}
			rangeKeys[val.Name] = append(rangeKeys[val.Name], s)
		}
		return true
	})

	var routes []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		pos := fset.Position(call.Pos())
		if len(call.Args) != 2 {
			t.Fatalf("%s: %s with %d arguments", pos, sel.Sel.Name, len(call.Args))
		}
		var patterns []string
		switch a := call.Args[0].(type) {
		case *ast.BasicLit:
			s, _ := str(a)
			patterns = []string{s}
		case *ast.BinaryExpr:
			prefix, ok1 := str(a.X)
			sel, ok2 := a.Y.(*ast.SelectorExpr)
			var key *ast.Ident
			if ok2 {
				key, ok2 = sel.X.(*ast.Ident)
			}
			if !ok1 || !ok2 || a.Op != token.ADD || sel.Sel.Name != "path" || rangeKeys[key.Name] == nil {
				t.Fatalf("%s: a route pattern this test cannot read", pos)
			}
			for _, k := range rangeKeys[key.Name] {
				patterns = append(patterns, prefix+k)
			}
		default:
			t.Fatalf("%s: a route pattern this test cannot read", pos)
		}
		for _, p := range patterns {
			method, path, hasMethod := strings.Cut(p, " ")
			if !hasMethod {
				h, _ := call.Args[1].(*ast.SelectorExpr)
				if h == nil || (h.Sel.Name != "methodNotAllowed" && h.Sel.Name != "unknownRoute") {
					t.Fatalf("%s: pattern %q names no method: every route must (only the 405 and 404 fallbacks may not)", pos, p)
				}
				continue
			}
			routes = append(routes, method+" "+path)
		}
		return true
	})
	slices.Sort(routes)
	return routes
}

// TestOpenAPIRoutes: the document has exactly the routes routes.go registers.
func TestOpenAPIRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(documented)
	registered := routesGo(t)
	if len(registered) < 12 {
		t.Fatalf("read only %d routes from routes.go: %v", len(registered), registered)
	}
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("routes.go registers %s, which openapi.yaml does not document", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("openapi.yaml documents %s, which routes.go does not register", d)
		}
	}

	// And every documented operation is served: none answers the unknown
	// route's 404. (These requests are validated against the document too.)
	e := newEnv(t)
	for _, d := range documented {
		method, path, _ := strings.Cut(d, " ")
		if method == http.MethodPost {
			e.raw(method, path, "application/json", []byte(`{}`)).wantError(t, http.StatusUnauthorized, "unauthenticated", "")
		} else {
			e.raw(method, path, "", nil).want(t, http.StatusOK, "")
		}
	}
}

// errorCodes reads the error codes and the status each maps to from the
// sources: the Code constants of internal/banking/errors.go and the switch of
// statusOf in errors.go (whose default is 500).
func errorCodes(t *testing.T) map[string]int {
	t.Helper()
	fset := token.NewFileSet()
	bank, err := parser.ParseFile(fset, "../banking/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	ast.Inspect(bank, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if typ, _ := vs.Type.(*ast.Ident); typ == nil || typ.Name != "Code" {
			return true
		}
		for i, name := range vs.Names {
			lit, _ := vs.Values[i].(*ast.BasicLit)
			if lit == nil {
				t.Fatalf("Code %s is not a literal", name.Name)
			}
			v, _ := strconv.Unquote(lit.Value)
			byName[name.Name] = v
		}
		return true
	})
	statusByName := map[string]int{}
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			statusByName["Status"+strings.NewReplacer(" ", "", "-", "", "'", "").Replace(text)] = code
		}
	}
	errs, err := parser.ParseFile(fset, "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]int{}
	ast.Inspect(errs, func(n ast.Node) bool {
		cc, ok := n.(*ast.CaseClause)
		if !ok || len(cc.List) == 0 || len(cc.Body) != 1 {
			return true
		}
		ret, _ := cc.Body[0].(*ast.ReturnStmt)
		if ret == nil || len(ret.Results) != 1 {
			return true
		}
		s, _ := ret.Results[0].(*ast.SelectorExpr)
		for _, e := range cc.List {
			c, _ := e.(*ast.SelectorExpr)
			if c == nil || s == nil || statusByName[s.Sel.Name] == 0 || byName[c.Sel.Name] == "" {
				t.Fatalf("%s: statusOf has a case this test cannot read", fset.Position(cc.Pos()))
			}
			codes[byName[c.Sel.Name]] = statusByName[s.Sel.Name]
		}
		return true
	})
	for name, v := range byName {
		if _, ok := codes[v]; !ok {
			codes[v] = http.StatusInternalServerError // statusOf's default
			if name != "CodeInternal" {
				t.Errorf("%s has no case in statusOf: it answers 500", name)
			}
		}
	}
	return codes
}

// codesOf returns the error codes an error response of the document allows
// (its schema is allOf ErrorEnvelope and a schema naming the codes), sorted.
func codesOf(resp *openapi3.ResponseRef) []string {
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || len(mt.Schema.Value.AllOf) != 2 {
		return nil
	}
	detail := mt.Schema.Value.AllOf[1].Value.Properties["error"]
	if detail == nil || detail.Value.Properties["code"] == nil {
		return nil
	}
	var out []string
	for _, v := range detail.Value.Properties["code"].Value.Enum {
		s, _ := v.(string)
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIErrorCodes: the document's error codes are exactly the server's,
// and each error status of every operation carries exactly the codes that
// status has (409 has several: conflict and the refusals of money.md section
// 4). injected_fault answers whatever status its sandbox rule names, so it is
// documented once, as a component.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	codes := errorCodes(t)
	var enum []string
	for _, v := range doc.Components.Schemas["ErrorCode"].Value.Enum {
		enum = append(enum, v.(string))
	}
	slices.Sort(enum)
	if want := slices.Sorted(maps.Keys(codes)); !slices.Equal(enum, want) {
		t.Errorf("ErrorCode enum = %v, want the server's codes %v", enum, want)
	}
	statusCodes := map[int][]string{}
	for code, status := range codes {
		if code != "injected_fault" {
			statusCodes[status] = append(statusCodes[status], code)
		}
	}
	for _, cs := range statusCodes {
		slices.Sort(cs)
	}
	seen := map[string]bool{}
	check := func(where string, status int, resp *openapi3.ResponseRef, want []string) {
		got := codesOf(resp)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d carries codes %q, want %q", where, status, got, want)
		}
		for _, c := range got {
			seen[c] = true
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for s, resp := range op.Responses.Map() {
				status, _ := strconv.Atoi(s)
				// /readyz's 503 is its own {"status":"unavailable"}, not the envelope.
				if status >= 400 && statusCodes[status] != nil && !(path == "/readyz" && status == 503) {
					check(method+" "+path, status, resp, statusCodes[status])
				}
			}
		}
	}
	for name, status := range map[string]int{"NotFound": http.StatusNotFound, "MethodNotAllowed": http.StatusMethodNotAllowed,
		"HeadersTooLarge": http.StatusRequestHeaderFieldsTooLarge, "Unavailable": http.StatusServiceUnavailable} {
		if doc.Components.Responses[name] == nil {
			t.Errorf("components.responses.%s is missing", name)
			continue
		}
		check("components.responses."+name, status, doc.Components.Responses[name], statusCodes[status])
	}
	if r := doc.Components.Responses["InjectedFault"]; r == nil {
		t.Errorf("components.responses.InjectedFault is missing")
	} else {
		check("components.responses.InjectedFault", 0, r, []string{"injected_fault"})
	}
	for code := range codes {
		if !seen[code] {
			t.Errorf("no response of the document carries error code %q", code)
		}
	}
}

// TestOpenAPIValidatorBites: validateExchange is not vacuous. Answers and
// requests that break the document are reported.
func TestOpenAPIValidatorBites(t *testing.T) {
	e := newEnv(t)
	c := e.program("acme")
	id := c.newUser(t, "ada@example.com")
	good := c.call("user/get", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
	req, err := c.signed("user/get", map[string]any{"user_id": id})
	if err != nil {
		t.Fatal(err)
	}
	body := peekBody(t, req)
	if p := exchangeProblems(t, req, body, good.Status, good.Header, good.Body); len(p) != 0 {
		t.Fatalf("a good exchange has problems: %v", p)
	}

	withUser := func(edit func(u map[string]any)) []byte {
		var env map[string]any
		if err := json.Unmarshal(good.Body, &env); err != nil {
			t.Fatal(err)
		}
		data := env["data"].(map[string]any)
		edit(data["items"].([]any)[0].(map[string]any))
		b, _ := json.Marshal(env)
		return b
	}
	noRequestID := good.Header.Clone()
	noRequestID.Del("X-Request-Id")
	unsigned := req.Clone(context.Background())
	unsigned.Header.Del("Authorization")
	noKey := req.Clone(context.Background())
	noKey.Header.Del("api_key")
	for _, tc := range []struct {
		name   string
		req    *http.Request
		body   []byte
		status int
		header http.Header
		resp   []byte
	}{
		{"extra key in the user", req, body, 200, good.Header, withUser(func(u map[string]any) { u["ssn"] = "123456789" })},
		{"key missing from the user", req, body, 200, good.Header, withUser(func(u map[string]any) { delete(u, "uuid") })},
		{"number for a string", req, body, 200, good.Header, withUser(func(u map[string]any) { u["city"] = 5 })},
		{"unknown status value", req, body, 200, good.Header, withUser(func(u map[string]any) { u["status"] = "deleted" })},
		{"timestamp without milliseconds", req, body, 200, good.Header, withUser(func(u map[string]any) { u["created_at"] = "2026-04-16T12:34:56Z" })},
		{"no X-Request-Id", req, body, 200, noRequestID, good.Body},
		{"undocumented status", req, body, http.StatusTeapot, good.Header, good.Body},
		{"error code of another status", req, body, 404, good.Header,
			[]byte(`{"status":"error","message":"x","error":{"code":"conflict","request_id":"req-0123456789abcdef01234567"}}`)},
		{"unknown request field accepted", req, []byte(`{"user_id":"` + id + `","nickname":"x"}`), 200, good.Header, good.Body},
		{"no Authorization accepted", unsigned, body, 200, good.Header, good.Body},
		{"no api_key accepted", noKey, body, 200, good.Header, good.Body},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := exchangeProblems(t, tc.req, tc.body, tc.status, tc.header, tc.resp)
			if len(p) == 0 {
				t.Fatalf("not reported")
			}
			t.Logf("reported: %s", p[0])
		})
	}

	// An unknown path must answer 404 and an API path's other methods 405.
	get := httptest.NewRequest(http.MethodGet, "/api/v4/user/get", nil)
	if p := exchangeProblems(t, get, nil, http.StatusNotFound, good.Header, good.Body); len(p) == 0 {
		t.Errorf("GET of an API path answered 404: not reported")
	}
}
