package client

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Error is an error answer of the API. Code is the stable machine code to
// branch on (or use errors.Is with the sentinels); Message is for people;
// RequestID is what to quote to the server's operator, who finds the details
// in the server log under it.
type Error struct {
	// StatusCode is the HTTP status; 0 in the sentinels.
	StatusCode int
	// Code is the machine code of spec section 3, e.g. "not_found".
	Code string
	// Message is the server's human-readable message.
	Message string
	// Fields names the request fields that failed validation and why.
	Fields map[string]string
	// RequestID identifies the request in the server's log.
	RequestID string
	// Hint, from a sandbox server only, says which authentication check a
	// 401 failed and how to fix it (api-v4.md section 2.5). For people:
	// branch on Code.
	Hint string
}

// Error describes the answer in one line, including the failing fields, so
// that a logged error is enough to fix a validation problem.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ingot: %s", e.Code)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if len(e.Fields) > 0 {
		b.WriteString(" [")
		for i, k := range slices.Sorted(maps.Keys(e.Fields)) {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s", k, e.Fields[k])
		}
		b.WriteString("]")
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, "; hint: %s", e.Hint)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the like work: any *Error target
// with a Code matches an answer with the same Code, because the code, not
// the message or status, is the stable part of the contract.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code != "" && t.Code == e.Code
}

// Sentinels for errors.Is, one per error code of the contract. They are
// compared by Code only; treat them as read-only.
var (
	// ErrInvalid: the request was malformed or failed validation (400);
	// Error.Fields says which fields.
	ErrInvalid = &Error{Code: "invalid", Message: "invalid request"}
	// ErrUnauthenticated: API key or HMAC signature refused (401), including
	// a signing clock more than five minutes off the server's.
	ErrUnauthenticated = &Error{Code: "unauthenticated", Message: "unauthenticated"}
	// ErrNotFound: no such user, business, owner or document in the
	// caller's program (404).
	ErrNotFound = &Error{Code: "not_found", Message: "not found"}
	// ErrConflict: the transition is not allowed in the current state, the
	// email is taken (409, returned at once), or the idempotent_key's first
	// request was still in flight after every retry (409, message
	// apitype.MessageIdempotencyInFlight).
	ErrConflict = &Error{Code: "conflict", Message: "conflict"}
	// ErrBlocked: the entity, its owning user, or the account involved is
	// blocked (409), e.g. sending a blocked business to KYB.
	ErrBlocked = &Error{Code: "blocked", Message: "blocked"}
	// ErrNotVerified: the entity involved has not passed KYC/KYB (409), e.g.
	// sending a business to KYB before its owning user passed KYC.
	ErrNotVerified = &Error{Code: "not_verified", Message: "not verified"}
	// ErrAccountNotActive: the source account of a movement is frozen or
	// closed, or its destination closed (409).
	ErrAccountNotActive = &Error{Code: "account_not_active", Message: "account not active"}
	// ErrInsufficientFunds: the source account's available balance is below
	// the amount (409). The refusal is kept under the call's idempotent_key:
	// once funds arrive, send the movement again under a new key.
	ErrInsufficientFunds = &Error{Code: "insufficient_funds", Message: "insufficient funds"}
	// ErrTooLarge: the body is over the server's limit (413).
	ErrTooLarge = &Error{Code: "too_large", Message: "request too large"}
	// ErrUnsupportedMediaType: the body was not sent as JSON (415).
	ErrUnsupportedMediaType = &Error{Code: "unsupported_media_type", Message: "unsupported media type"}
	// ErrIdempotencyMismatch: an idempotent_key was reused with another
	// body or endpoint (422).
	ErrIdempotencyMismatch = &Error{Code: "idempotency_mismatch", Message: "idempotency key mismatch"}
	// ErrRateLimited: over the program's rate limit (429) even after the
	// retries the client was allowed.
	ErrRateLimited = &Error{Code: "rate_limited", Message: "rate limited"}
	// ErrUnavailable: the server's database cannot be reached for now (503),
	// after every retry the client was allowed. A mutation that got it may
	// or may not have been made: retry it under the same idempotent_key.
	ErrUnavailable = &Error{Code: "unavailable", Message: "unavailable"}
	// ErrInternal: the server failed (500, or any answer without a usable
	// error envelope and no better-fitting code).
	ErrInternal = &Error{Code: "internal", Message: "internal error"}
)

// codeOfStatus derives a code when the answer carries no error envelope (a
// proxy's HTML page, an empty body), so errors.Is still works on it.
func codeOfStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return ErrInvalid.Code
	case http.StatusUnauthorized:
		return ErrUnauthenticated.Code
	case http.StatusNotFound:
		return ErrNotFound.Code
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return ErrConflict.Code
	case http.StatusRequestEntityTooLarge:
		return ErrTooLarge.Code
	case http.StatusUnsupportedMediaType:
		return ErrUnsupportedMediaType.Code
	case http.StatusUnprocessableEntity:
		return ErrIdempotencyMismatch.Code
	case http.StatusTooManyRequests:
		return ErrRateLimited.Code
	case http.StatusRequestHeaderFieldsTooLarge:
		return "headers_too_large"
	case http.StatusServiceUnavailable:
		return ErrUnavailable.Code
	}
	return ErrInternal.Code
}

// decodeError builds the *Error of a non-2xx answer. It never fails: an
// unreadable body still yields the status and a derived code.
func decodeError(status int, h http.Header, body []byte) *Error {
	e := &Error{StatusCode: status}
	var env struct {
		Message string `json:"message"`
		Error   struct {
			Code      string            `json:"code"`
			Fields    map[string]string `json:"fields"`
			RequestID string            `json:"request_id"`
			Hint      string            `json:"hint"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
		e.Code, e.Message = env.Error.Code, env.Message
		e.Fields, e.RequestID, e.Hint = env.Error.Fields, env.Error.RequestID, env.Error.Hint
	} else {
		e.Code = codeOfStatus(status)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if e.RequestID == "" {
		e.RequestID = h.Get("X-Request-Id")
	}
	return e
}
