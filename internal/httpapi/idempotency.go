package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// maxIdemKey is the longest idempotency key accepted.
const maxIdemKey = 255

// inFlightRetrySeconds is the Retry-After of the in-flight 409. Most calls
// finish well within a second; a holder that died is taken over after the
// lease (service.IdempotencyLease), so a client that keeps retrying gets an
// answer either way.
const inFlightRetrySeconds = 1

// idemHeader is the header alias of the idempotent_key body field.
const idemHeader = "Idempotency-Key"

// startIdempotency runs after authentication and strict decoding of a
// mutating call. With a key it reserves the key and returns c bound to the
// reservation (c.Idem set; render makes the answer stored with the change),
// or answers the request itself (replay, 409, 422) and returns done. When
// claims is set (a call whose one Work claims its key: mutationInWork) it
// reserves nothing: c.Idem is set to claim the key in the call's Work
// (service.Claim), and reserveClaimed takes over if that Work does not
// store the answer. Without a key it returns c unchanged.
func (h *handler) startIdempotency(w http.ResponseWriter, r *http.Request, endpoint string, body []byte, c service.Caller,
	render func(any) ([]byte, error), claims bool) (_ service.Caller, done bool) {
	key, hash, err := idemKeyAndHash(r, body, endpoint)
	if err != nil {
		h.writeError(w, r, err)
		return c, true
	}
	if key == "" {
		return c, false
	}
	if claims {
		return h.svc.Claim(c, key, endpoint, hash, render), false
	}
	res, err := h.svc.ReserveIdempotency(r.Context(), c, key, endpoint, hash)
	return h.reserved(w, r, c, res, err, render)
}

// reserveClaimed reserves the key of a claiming call (c.Idem.Claims())
// whose Work did not store its answer with a change, exactly as
// startIdempotency would have before the call: it answers a replay, a
// mismatch or a key in flight itself (done), or returns c bound to the
// reservation, to finish (or, when the Work found the key held, run again)
// as any reserved call.
func (h *handler) reserveClaimed(w http.ResponseWriter, r *http.Request, c service.Caller, render func(any) ([]byte, error)) (_ service.Caller, done bool) {
	res, err := h.svc.ReserveClaimed(r.Context(), c)
	return h.reserved(w, r, c, res, err, render)
}

// reserved answers a reservation that is not the caller's (replay, 409,
// 422) or an error reserving, and returns done; otherwise c bound to it.
func (h *handler) reserved(w http.ResponseWriter, r *http.Request, c service.Caller, res service.Reservation, err error,
	render func(any) ([]byte, error)) (_ service.Caller, done bool) {
	if err != nil {
		h.writeError(w, r, err)
		return c, true
	}
	switch res.Outcome {
	case service.IdemReplay:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(res.Status)
		w.Write(res.Body)
		return c, true
	case service.IdemMismatch:
		h.writeError(w, r, &banking.Error{Code: banking.CodeIdempotencyMismatch,
			Message: "idempotent_key was already used with another endpoint or body"})
		return c, true
	case service.IdemInFlight:
		// Still code conflict (spec section 3), told apart from the final
		// conflicts by its message and by Retry-After, which only this
		// 409 carries: the same request, repeated, will get an answer.
		w.Header().Set("Retry-After", strconv.Itoa(inFlightRetrySeconds))
		h.writeError(w, r, &banking.Error{Code: banking.CodeConflict, Message: apitype.MessageIdempotencyInFlight})
		return c, true
	}
	return h.svc.Bind(c, res, render), false
}

// finishIdempotency answers a call made under a reserved key. A success was
// stored with its change (or, when no Work ran, is stored now from success);
// a refusal for a state reason (404, 409) is stored now (it changed
// nothing); a 400 or an internal error releases the key so the client may
// retry under it.
func (h *handler) finishIdempotency(w http.ResponseWriter, r *http.Request, ic *service.IdemCall, success func() ([]byte, error), err error) {
	// The answer must be stored even if the client went away meanwhile.
	ctx := context.WithoutCancel(r.Context())
	if err == nil {
		body := ic.StoredAnswer()
		if body == nil {
			var merr error
			if body, merr = success(); merr == nil {
				merr = h.svc.CompleteIdempotency(ctx, ic, http.StatusOK, body)
			}
			if merr != nil {
				h.releaseIdempotency(ctx, r, ic)
				h.writeError(w, r, banking.Internal(merr))
				return
			}
		}
		writeRaw(w, http.StatusOK, body)
		return
	}
	e := banking.AsError(err)
	if e.Code == banking.CodeInternal || e.Code == banking.CodeUnavailable || e.Code == banking.CodeInvalid {
		// None is the call's answer to keep: a retry of an internal or
		// unavailable failure may succeed (and a 503's change may have been
		// made, which the retry then replays), and a 400 is never stored, so
		// the corrected request under the same key executes (api-v4.md
		// section 3).
		h.releaseIdempotency(ctx, r, ic)
		h.writeError(w, r, err)
		return
	}
	status, body := h.errorBody(r, e)
	if cerr := h.svc.CompleteIdempotency(ctx, ic, status, body); cerr != nil {
		h.releaseIdempotency(ctx, r, ic)
		h.log.ErrorContext(r.Context(), "storing an idempotent answer failed", "request_id", requestID(r.Context()), "err", cerr)
	}
	writeRaw(w, status, body)
}

func (h *handler) releaseIdempotency(ctx context.Context, r *http.Request, ic *service.IdemCall) {
	if err := h.svc.ReleaseIdempotency(ctx, ic); err != nil {
		h.log.ErrorContext(r.Context(), "releasing an idempotency key failed", "request_id", requestID(r.Context()), "err", err)
	}
}

// releaseOnPanic, deferred, releases the key of a call that panicked, so the
// client need not wait for the lease to retry, and lets the panic go on.
func (h *handler) releaseOnPanic(r *http.Request, ic *service.IdemCall) {
	if p := recover(); p != nil {
		h.releaseIdempotency(context.WithoutCancel(r.Context()), r, ic)
		panic(p)
	}
}

// errorBody is the exact answer writeError would send for a domain error.
func (h *handler) errorBody(r *http.Request, e *banking.Error) (int, []byte) {
	b, err := json.Marshal(apitype.ErrorEnvelope{
		Status:  apitype.StatusError,
		Message: e.Message,
		Error:   apitype.ErrorDetail{Code: string(e.Code), Fields: e.Fields, RequestID: requestID(r.Context())},
	})
	if err != nil {
		return http.StatusInternalServerError, []byte(`{"status":"error","message":"internal error","error":{"code":"internal"}}` + "\n")
	}
	return statusOf(e.Code), append(b, '\n')
}

// successBody is the exact success answer for data, as writeJSON sends it.
func successBody(data any) ([]byte, error) {
	b, err := json.Marshal(apitype.Envelope[any]{
		Status: apitype.StatusSuccess, Message: "operation completed", Data: data,
	})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// idemKeyAndHash returns the call's idempotency key ("" when none) from the
// idempotent_key body field or its Idempotency-Key header alias, and the hash
// that identifies the request: SHA-256 over the endpoint and the body
// re-encoded canonically (sorted keys, numbers as sent) without api_key and
// idempotent_key, so neither credentials nor the key's carrier matter.
func idemKeyAndHash(r *http.Request, body []byte, endpoint string) (string, string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return "", "", decodeError(err) // cannot happen after strict decoding
	}
	bodyKey, inBody := tree["idempotent_key"].(string)
	headerVals := r.Header.Values(idemHeader)
	if len(headerVals) > 1 {
		return "", "", banking.Invalid("idempotent_key", "the "+idemHeader+" header must be sent once")
	}
	key := bodyKey
	switch {
	case len(headerVals) == 1 && inBody && headerVals[0] != bodyKey:
		return "", "", banking.Invalid("idempotent_key", "differs from the "+idemHeader+" header")
	case len(headerVals) == 1:
		key = headerVals[0]
	case !inBody:
		return "", "", nil
	}
	if err := checkIdemKey(key); err != nil {
		return "", "", err
	}
	delete(tree, "api_key")
	delete(tree, "idempotent_key")
	canon, err := json.Marshal(tree)
	if err != nil {
		return "", "", banking.Internal(err)
	}
	sum := sha256.New()
	sum.Write([]byte(endpoint))
	sum.Write([]byte{0})
	sum.Write(canon)
	return key, hex.EncodeToString(sum.Sum(nil)), nil
}

// checkIdemKey accepts 1 to 255 visible ASCII characters.
func checkIdemKey(k string) error {
	bad := banking.Invalid("idempotent_key", "must be 1 to 255 visible ASCII characters")
	if len(k) == 0 || len(k) > maxIdemKey {
		return bad
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return bad
		}
	}
	return nil
}
