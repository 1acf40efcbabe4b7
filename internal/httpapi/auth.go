package httpapi

import (
	"errors"
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
func (h *handler) authenticate(r *http.Request, body []byte) (service.Caller, error) {
	// A repeated credential header is ambiguous (which one did the client
	// mean, which one did a proxy add?): refuse rather than pick one.
	if len(r.Header.Values("Authorization")) > 1 {
		return service.Caller{}, unauthenticated(msgUnauthorized)
	}
	if len(r.Header[apiKeyHeader]) > 1 {
		return service.Caller{}, unauthenticated(msgBadAPIKey)
	}
	var prog banking.Program
	var lookupErr error
	_, err := signature.Verify(r, body, h.now(), func(username string) ([]byte, error) {
		p, secret, err := h.svc.SigningKey(r.Context(), username)
		if banking.IsCode(err, banking.CodeNotFound) {
			return nil, signature.ErrUnknownUsername
		}
		if err != nil {
			lookupErr = err
			return nil, err
		}
		prog = p
		return secret, nil
	})
	switch {
	case err == nil:
	case lookupErr != nil:
		return service.Caller{}, lookupErr
	case errors.Is(err, signature.ErrNoAuthorization):
		return service.Caller{}, unauthenticated(msgUnauthorized)
	case errors.Is(err, signature.ErrBadDate):
		return service.Caller{}, unauthenticated(msgBadDate)
	case errors.Is(err, signature.ErrCannotVerify):
		return service.Caller{}, unauthenticated(msgCannotVerify)
	case errors.Is(err, signature.ErrMismatch):
		return service.Caller{}, unauthenticated(msgMismatch)
	default:
		return service.Caller{}, banking.Internal(err)
	}

	header := r.Header.Get(apiKeyHeader)
	inBody := bodyAPIKey(body)
	key := header
	if key == "" {
		key = inBody
	}
	if key == "" || (header != "" && inBody != "" && header != inBody) || !prog.APIKeyMatches(key, h.now()) {
		return service.Caller{}, unauthenticated(msgBadAPIKey)
	}
	info(r.Context()).programID = string(prog.ID)
	return service.Caller{ProgramID: prog.ID}, nil
}
