package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/signature"
)

// The 401 messages of spec section 2, after Kong's hmac-auth.
const (
	msgUnauthorized = "Unauthorized"
	msgBadDate      = "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication"
	msgCannotVerify = "HMAC signature cannot be verified"
	msgMismatch     = "HMAC signature does not match"
	msgBadAPIKey    = "Invalid API key"
)

// apiKeyHeader is the canonical form of the "api_key" header's name, the key
// net/http stores it under. Header.Get("api_key") would canonicalize the name
// again, allocating, on every call.
const apiKeyHeader = "Api_key"

func unauthenticated(msg string) error {
	return &banking.Error{Code: banking.CodeUnauthenticated, Message: msg}
}

// authenticate checks both layers of spec section 2: the HMAC signature, then
// the program API key, which must belong to the signer's program. It runs
// before anything else touches the request, so a failure executes nothing.
// A refusal keeps the gateway's message; refuse adds the cause (authhint.go).
func (h *handler) authenticate(r *http.Request, body []byte) (service.Caller, error) {
	now := h.now()
	// A repeated credential header is ambiguous (which one did the client
	// mean, which one did a proxy add?): refuse rather than pick one.
	if len(r.Header.Values("Authorization")) > 1 {
		return service.Caller{}, h.refuse(r, msgUnauthorized, func() string {
			return hintSignature(r, body, now, signature.ErrNoAuthorization, nil, "")
		})
	}
	if len(r.Header[apiKeyHeader]) > 1 {
		return service.Caller{}, h.refuse(r, msgBadAPIKey, func() string {
			return hintAPIKey(nil, "", "", true, now)
		})
	}
	var prog banking.Program
	var secret []byte
	var lookupErr error
	var signer string
	miss := ""
	_, err := signature.Verify(r, body, now, func(username string) ([]byte, error) {
		signer = username
		p, s, err := h.svc.SigningKey(r.Context(), username)
		if banking.IsCode(err, banking.CodeNotFound) {
			if errors.Is(err, service.ErrCredentialExpired) {
				miss = banking.AsError(err).Message
			}
			return nil, signature.ErrUnknownUsername
		}
		if err != nil {
			lookupErr = err
			return nil, err
		}
		prog, secret = p, s
		return s, nil
	})
	cause := func() string { return hintSignature(r, body, now, err, secret, miss) }
	switch {
	case err == nil:
	case lookupErr != nil:
		return service.Caller{}, lookupErr
	case errors.Is(err, signature.ErrNoAuthorization):
		return service.Caller{}, h.refuse(r, msgUnauthorized, cause)
	case errors.Is(err, signature.ErrBadDate):
		return service.Caller{}, h.refuse(r, msgBadDate, cause)
	case errors.Is(err, signature.ErrCannotVerify):
		return service.Caller{}, h.refuse(r, msgCannotVerify, cause)
	case errors.Is(err, signature.ErrMismatch):
		return service.Caller{}, h.refuse(r, msgMismatch, cause)
	default:
		return service.Caller{}, banking.Internal(err)
	}

	header := r.Header.Get(apiKeyHeader)
	inBody := bodyAPIKey(body)
	key := header
	if key == "" {
		key = inBody
	}
	if key != "" && (header == "" || inBody == "" || header == inBody) && !prog.APIKeyValid(key, now) {
		// The program may come from the signing-credential cache, from
		// before a rotation made key one of its live keys: look once more in
		// the store before refusing (a refusal costs that read, a success
		// nothing).
		if p, _, err := h.svc.FreshSigningKey(r.Context(), signer); err == nil {
			prog = p
		}
	}
	if key == "" || (header != "" && inBody != "" && header != inBody) || !prog.APIKeyValid(key, now) {
		return service.Caller{}, h.refuse(r, msgBadAPIKey, func() string {
			return hintAPIKey(&prog, header, inBody, false, now)
		})
	}
	info(r.Context()).programID = string(prog.ID)
	return service.Caller{ProgramID: prog.ID}, nil
}

// refuse builds the 401 with msg. In the sandbox the answer carries the
// cause as error.hint (api-v4.md section 2.5); anywhere, the cause is logged
// at debug level, so an operator can find it without showing it to clients.
// cause runs only when one of the two wants it: a refusal in production at
// the default log level costs nothing more than before.
func (h *handler) refuse(r *http.Request, msg string, cause func() string) error {
	e := &banking.Error{Code: banking.CodeUnauthenticated, Message: msg}
	debug := h.log.Enabled(r.Context(), slog.LevelDebug)
	if !h.sandbox && !debug {
		return e
	}
	why := cause()
	if debug {
		h.log.DebugContext(r.Context(), "authentication refused", "request_id", requestID(r.Context()),
			"message", msg, "cause", why)
	}
	if h.sandbox {
		e.Hint = why
	}
	return e
}
