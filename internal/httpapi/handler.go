// Package httpapi serves ingot's Banking Platform API v4 over HTTP: transport
// checks, authentication, strict decoding, envelopes, and the mapping from
// error codes to statuses. Handlers translate between wire types (apitype) and
// the service; they hold no business rules.
package httpapi

import (
	"path"
	"strings"

	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/ingot-dev/ingot/signature"
	"log/slog"
	"net/http"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// DefaultMaxBody is the request body limit (spec section 1).
const DefaultMaxBody = 1 << 20

// Config wires the handler.
type Config struct {
	Service *service.Service
	Logger  *slog.Logger
	// Now is the clock for signature windows; nil means time.Now.
	Now func() time.Time
	// MaxBody is the body limit in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// RateLimit is each program's limit in requests per second (0: none),
	// with bursts of RateBurst (0: the rate rounded up).
	RateLimit float64
	RateBurst int
	// Metrics receives request metrics and is served at /metrics; nil
	// makes a fresh registry.
	Metrics *Metrics
	// MaxHeaderBytes caps the request line and headers (0: no cap here).
	// Over it the answer is 431 headers_too_large in the error envelope; the
	// http.Server's own, larger MaxHeaderBytes stops anything beyond that
	// before it reaches a handler (with net/http's plain-text 431).
	MaxHeaderBytes int
	// Sandbox is "ingot serve --sandbox": every 401 carries error.hint, the
	// check that failed (api-v4.md section 2.5), and the sandbox control
	// plane is served (sandbox.md section 1), with the sandbox's webhook
	// endpoint calls (webhooks.md section 1); without it those calls are 404.
	Sandbox bool
}

type handler struct {
	limiter *limiter
	metrics *Metrics
	svc     *service.Service
	log     *slog.Logger
	now     func() time.Time
	maxBody int64
	// maxHeader is Config.MaxHeaderBytes.
	maxHeader int
	// sandbox is Config.Sandbox.
	sandbox bool
	// paths are the API calls served (routes.go), which faults may name.
	paths map[string]bool
}

// NewHandler returns the complete HTTP API.
func NewHandler(cfg Config) http.Handler {
	h := &handler{svc: cfg.Service, log: cfg.Logger, now: cfg.Now, maxBody: cfg.MaxBody, metrics: cfg.Metrics,
		maxHeader: cfg.MaxHeaderBytes, sandbox: cfg.Sandbox}
	if h.metrics == nil {
		h.metrics = NewMetrics()
	}
	if h.svc != nil {
		h.metrics.watchQueue(h.svc.WebhookQueue)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	h.limiter = newLimiter(cfg.RateLimit, cfg.RateBurst, h.now)
	mux := http.NewServeMux()
	h.routes(mux)
	return h.middleware(mux)
}

type ctxKey int

const reqInfoKey ctxKey = iota

// reqInfo is per-request state the log line needs. It is a pointer in the
// context so that authentication, deep in the chain, can fill in the program.
type reqInfo struct {
	id        string
	programID string
}

func info(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(reqInfoKey).(*reqInfo)
	if ri == nil {
		return &reqInfo{}
	}
	return ri
}

// requestID returns the id assigned to the request, for logs and envelopes.
func requestID(ctx context.Context) string { return info(ctx).id }

// programOf returns the authenticated program's id, or "".
func programOf(ctx context.Context) string { return info(ctx).programID }

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:])
	return "req-" + hex.EncodeToString(b[:])
}

// statusRecorder remembers the status for the request log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap exposes the server's writer, which readBody and
// http.ResponseController need.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// middleware assigns the request id, recovers from panics as internal errors,
// and logs one line per request (never bodies, keys or secrets).
func (h *handler) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := newRequestID()
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey, &reqInfo{id: rid}))
		w.Header().Set("X-Request-Id", rid)
		rec := &statusRecorder{ResponseWriter: w}
		h.metrics.inFlight.Inc()
		defer func() {
			h.metrics.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.writeError(rec, r, banking.Internal(panicError{p}))
			}
			elapsed := time.Since(start)
			h.metrics.observe(r.Pattern, rec.status, elapsed)
			// Room for every attribute, so the line is built without
			// growing a slice on the heap.
			var buf [5]slog.Attr
			attrs := append(appendLogAttrs(buf[:0], r, rec.status), slog.Duration("duration", elapsed))
			if pid := programOf(r.Context()); pid != "" {
				attrs = append(attrs, slog.String("program_id", pid))
			}
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}()
		if h.maxHeader > 0 && headerBytes(r) > h.maxHeader {
			h.writeError(rec, r, banking.Errorf(banking.CodeHeadersTooLarge,
				"request headers are larger than %d bytes", h.maxHeader))
			return
		}
		if !canonicalTarget(r) {
			// Before the mux, which would clean the path and redirect: a
			// client that followed the redirect would get a misleading 401.
			// Counted under the catch-all route, as any unknown path is.
			r.Pattern = "/"
			h.writeError(rec, r, banking.Errorf(banking.CodeNotFound, "no such call: %s %s", r.Method, r.RequestURI))
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// canonicalTarget reports whether the request's path is exactly what it
// names: no doubled slash, no "." or ".." segment, no percent-encoding, no
// trailing slash (api-v4.md section 3: anything else is 404, never a
// redirect). The target may be in absolute form (RFC 9112 section 3.2.2).
func canonicalTarget(r *http.Request) bool {
	raw := signature.OriginForm(r.RequestURI)
	raw, _, _ = strings.Cut(raw, "?")
	return raw == r.URL.Path && raw != "" && raw[0] == '/' && path.Clean(raw) == raw
}

// headerBytes is about how many bytes the request line and headers took on
// the wire, counted as net/http counts against its MaxHeaderBytes.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2 + len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2
}

type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprint("panic: ", p.v) }
