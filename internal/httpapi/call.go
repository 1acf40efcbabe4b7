package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// route is one call of the API: its path under /api/v4/ and its handler.
type route struct {
	path    string
	handler http.Handler
}

// read declares a call that changes nothing; it ignores idempotent_key.
func read[Req any](h *handler, path string, fn func(ctx context.Context, c service.Caller, req *Req) (any, error)) route {
	return route{path, serve(h, path, readCall, fn, func(v any) any { return v })}
}

// callKind is how a call treats idempotent_key.
type callKind int

const (
	// readCall ignores it.
	readCall callKind = iota
	// reserveFirst reserves the key before the call runs (its own Work of
	// the group committer) and stores the answer with the change.
	reserveFirst
	// claimInWork lets the call's one Work insert the key with its answer
	// (service.Claim): a fresh key costs no reservation of its own.
	claimInWork
)

// mutation declares a call that changes state, and so honours
// idempotent_key (api-v4.md section 6). fn returns the domain answer, the
// value of the Work that made the change; answer turns it into the data of
// the success envelope. answer also runs inside that Work's transaction,
// where the idempotent answer is rendered and stored with the change.
func mutation[Req, Res any](h *handler, path string, fn func(ctx context.Context, c service.Caller, req *Req) (Res, error), answer func(Res) any) route {
	return route{path, serve(h, path, reserveFirst, fn, answer)}
}

// mutationInWork declares a mutation whose key its Work claims: fn must run
// exactly one Work, which carries the caller's Idem, and write nothing
// before it (a read is fine), so that the call either commits with its
// key's answer or changes nothing. Otherwise as mutation: when the Work
// fails or finds the key held, the key is reserved as mutation's is, and
// the answers are the same.
func mutationInWork[Req, Res any](h *handler, path string, fn func(ctx context.Context, c service.Caller, req *Req) (Res, error), answer func(Res) any) route {
	return route{path, serve(h, path, claimInWork, fn, answer)}
}

// serve adapts a typed endpoint to http.Handler, applying the pipeline every
// API call shares, in order: content type (415), body limit (413),
// authentication (401), the program's rate limit (429), an injected fault
// (sandbox only: sandbox.md section 1), strict decoding
// (400), the idempotency key of a mutating call (replay, 409, 422; spec
// section 6), then the endpoint. The order keeps the promise of spec section 2: an unauthenticated request
// executes and writes nothing.
func serve[Req, Res any](h *handler, endpoint string, kind callKind, fn func(ctx context.Context, c service.Caller, req *Req) (Res, error), answer func(Res) any) http.Handler {
	// render is the exact success body of an answer, for the idempotency
	// layer, which sees the Work's value as any.
	render := func(v any) ([]byte, error) {
		res, ok := v.(Res)
		if !ok {
			return nil, fmt.Errorf("%s: its work answered a %T, want %T", endpoint, v, res)
		}
		return successBody(answer(res))
	}
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
		if h.sandbox && h.injectFault(w, r, endpoint, caller.ProgramID) {
			return
		}
		var req Req
		if err := decode(body, &req); err != nil {
			h.writeError(w, r, err)
			return
		}
		if kind != readCall {
			var done bool
			caller, done = h.startIdempotency(w, r, endpoint, body, caller, render, kind == claimInWork)
			if done {
				return
			}
			if caller.Idem != nil && !caller.Idem.Claims() {
				defer h.releaseOnPanic(r, caller.Idem)
			}
		}
		res, err := fn(r.Context(), caller, &req)
		if caller.Idem != nil && caller.Idem.Claims() {
			if stored := caller.Idem.StoredAnswer(); err == nil && stored != nil {
				writeRaw(w, http.StatusOK, stored)
				return
			}
			// The Work did not commit with the key: reserve it now, which
			// answers a replay, mismatch or in-flight key as a reservation
			// before the call would have; only when the key is this
			// call's does the Work's refusal or failure become its answer.
			// When the Work found the key held, its outcome says nothing
			// about the call: the call runs again under the reservation
			// (the key expired, its holder's lease ran out, or it was
			// released or pruned meanwhile). Only a failed COMMIT, which
			// may have taken effect, can make the reservation find this
			// very call's answer: it is then answered as a replay rather
			// than the 500 a reserved call would get.
			taken := caller.Idem.Taken()
			var done bool
			if caller, done = h.reserveClaimed(w, r, caller, render); done {
				return
			}
			defer h.releaseOnPanic(r, caller.Idem)
			if taken {
				res, err = fn(r.Context(), caller, &req)
			}
		}
		if caller.Idem != nil {
			h.finishIdempotency(w, r, caller.Idem, func() ([]byte, error) { return successBody(answer(res)) }, err)
			return
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, apitype.Envelope[any]{
			Status: apitype.StatusSuccess, Message: "operation completed", Data: answer(res),
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
