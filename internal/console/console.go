// Package console serves the operator console (sandbox.md section 3,
// issue 16): server-rendered HTML pages over a deployment's programs,
// users, businesses and review queue, at /console/ beside the API. It
// needs no JavaScript and loads nothing from elsewhere: templates and the
// style sheet are embedded, and every page forbids scripts outright in its
// Content-Security-Policy.
//
// Access is by console token (ingot console token create), never by the
// API's HMAC signatures: a sign-in opens a session kept in the database (so
// several processes share it and a revocation ends it everywhere at once),
// carried in an HttpOnly, SameSite=Strict cookie. Every state change is a
// POST that carries the session's CSRF token and answers with a redirect;
// what it changes goes through the service, which records it in the audit
// trail with the actor "operator:<token name>".
//
// A page is one route, one handler and one template (routes.go): see
// docs/console.md for how to add one.
package console

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/service"
)

// Config wires the console.
type Config struct {
	Service *service.Service
	Logger  *slog.Logger
	// Now is the clock for relative ages and the sign-in limiter; nil
	// means time.Now.
	Now func() time.Time
	// Sandbox marks the pages as a sandbox's (and, once they exist, adds
	// the sandbox's controls).
	Sandbox bool
}

// Console is the console's HTTP handler.
type Console struct {
	svc     *service.Service
	log     *slog.Logger
	now     func() time.Time
	sandbox bool
	pages   *pages
	limiter *signInLimiter
	mux     *http.ServeMux
	// routes is the table the mux was built from (tests walk it).
	routes []route
}

// New returns the console. It panics if an embedded template does not
// parse: that is a build defect, caught by any test.
func New(cfg Config) *Console {
	c := &Console{svc: cfg.Service, log: cfg.Logger, now: cfg.Now, sandbox: cfg.Sandbox}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.limiter = newSignInLimiter(c.now)
	c.pages = mustParsePages(c.now)
	c.mux = http.NewServeMux()
	c.routes = c.table()
	for _, rt := range c.routes {
		c.mux.Handle(rt.pattern, c.handler(rt))
	}
	c.mux.HandleFunc("GET "+Prefix+"assets/{file}", serveAsset)
	c.mux.HandleFunc("GET "+Prefix+"sign-in", c.signInForm)
	c.mux.HandleFunc("POST "+Prefix+"sign-in", c.signIn)
	c.mux.HandleFunc(Prefix, c.notFound)
	return c
}

// Prefix is the path every console page lives under.
const Prefix = "/console/"

// Mount serves the console at Prefix and everything else with api. It
// chooses by path prefix before any router runs, so the API keeps its own
// handling of every other path (no redirects, its error envelope); a path
// that only looks like the console's ("/console/../api/v4/user/get") is the
// API's to refuse.
func Mount(api http.Handler, c *Console) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/console":
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		case strings.HasPrefix(p, Prefix) && strings.HasPrefix(path.Clean(p)+"/", Prefix):
			c.ServeHTTP(w, r)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

// The headers every console answer carries. The policy allows the embedded
// style sheet and images and nothing else: no script of any kind, no inline
// style, no framing, forms posting only back here.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP implements http.Handler: security headers, a log line per
// request (path without its query, which may hold a search for a name),
// and recovery from a handler's panic as a 500 page.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	rec := &recorder{ResponseWriter: w}
	info := &reqInfo{}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			c.log.Error("console panic", "path", r.URL.Path, "panic", p)
			if rec.status == 0 {
				c.errorPage(rec, r, http.StatusInternalServerError, "Something went wrong", "The console could not show this page. The error is in the server's log.")
			}
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start)}
		if info.operator != "" {
			attrs = append(attrs, "operator", info.operator)
		}
		c.log.Info("console", attrs...)
	}()
	c.mux.ServeHTTP(rec, r)
}

// reqInfo is what the log line learns as the request goes.
type reqInfo struct{ operator service.Operator }

type infoKey struct{}

func infoOf(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// recorder remembers the status for the log line.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap exposes the server's writer to http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
