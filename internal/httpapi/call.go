package httpapi

import (
	"context"
	"net/http"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// call adapts a typed endpoint to http.Handler, applying the pipeline every
// API call shares, in order: content type (415), body limit (413),
// authentication (401), the program's rate limit (429), strict decoding
// (400), the idempotency key of a mutating call (replay, 409, 422; spec
// section 6), then the endpoint. The order keeps the promise of spec section 2: an unauthenticated request
// executes and writes nothing.
func call[Req any](h *handler, fn func(ctx context.Context, c service.Caller, req *Req) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkContentType(r); err != nil {
			h.writeError(w, r, err)
			return
		}
		body, err := readBody(w, r, h.maxBody)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		caller, err := h.authenticate(r, body)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if err := h.rateLimit(w, caller.ProgramID); err != nil {
			h.writeError(w, r, err)
			return
		}
		var req Req
		if err := decode(body, &req); err != nil {
			h.writeError(w, r, err)
			return
		}
		ic, done := h.startIdempotency(w, r, body, &caller)
		if done {
			return
		}
		if ic != nil {
			defer h.releaseOnPanic(r, ic)
		}
		data, err := fn(r.Context(), caller, &req)
		if ic != nil {
			h.finishIdempotency(w, r, ic, data, err)
			return
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, apitype.Envelope[any]{
			Status: apitype.StatusSuccess, Message: "operation completed", Data: data,
		})
	})
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when the store answers, so a load balancer stops
// sending traffic to a process that lost its database.
func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Store().Ping(r.Context()); err != nil {
		h.log.ErrorContext(r.Context(), "not ready", "request_id", requestID(r.Context()), "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// unknownRoute answers paths the API does not have, in the error envelope.
func (h *handler) unknownRoute(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, banking.Errorf(banking.CodeNotFound, "no such call: %s %s", r.Method, r.URL.Path))
}

// methodNotAllowed answers an API path called with a method other than POST.
func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, banking.Errorf(banking.CodeMethodNotAllowed, "%s requires POST", r.URL.Path))
}
