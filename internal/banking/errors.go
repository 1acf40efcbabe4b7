// Package banking is ingot's domain: users, programs, their validation and
// state transitions, and the one error type every layer speaks. It does no I/O,
// so every rule here can be tested with plain values.
package banking

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error class. Clients switch on it, so the
// set only grows; the HTTP status for each code is chosen in one place
// (internal/httpapi/errors.go).
type Code string

// The error codes of the API contract, section 3.
const (
	CodeInvalid             Code = "invalid"
	CodeUnauthenticated     Code = "unauthenticated"
	CodeNotFound            Code = "not_found"
	CodeConflict            Code = "conflict"
	CodeTooLarge            Code = "too_large"
	CodeUnsupportedMedia    Code = "unsupported_media_type"
	CodeIdempotencyMismatch Code = "idempotency_mismatch"
	CodeRateLimited         Code = "rate_limited"
	CodeMethodNotAllowed    Code = "method_not_allowed"
	CodeHeadersTooLarge     Code = "headers_too_large"
	CodeInternal            Code = "internal"
	// The refusals of money.md section 4 and businesses.md section 7, all
	// HTTP 409: the entity (or its owning user) or account is blocked, has
	// not passed KYC/KYB, is frozen or closed, or lacks the funds.
	CodeBlocked           Code = "blocked"
	CodeNotVerified       Code = "not_verified"
	CodeAccountNotActive  Code = "account_not_active"
	CodeInsufficientFunds Code = "insufficient_funds"
	// CodeInjectedFault is a sandbox fault rule's answer (sandbox.md section
	// 1), with the status the rule names.
	CodeInjectedFault Code = "injected_fault"
	// CodeUnavailable is 503: the database cannot be reached for now; a
	// mutation may or may not have committed.
	CodeUnavailable Code = "unavailable"
)

// Error is the single error type of ingot. Message and Fields are safe to show
// to the client; Err is the internal cause, which is only ever logged.
type Error struct {
	Code    Code
	Message string
	// Fields maps a request field to what is wrong with it (validation only).
	Fields map[string]string
	// Err is the underlying cause; never sent to clients.
	Err error
	// Hint tells a client's developer what to fix, in more detail than
	// Message, which clients may match on. It is set only where the detail
	// is safe to show: the sandbox's 401s (api-v4.md section 2.5).
	Hint string
}

// Error implements error. It includes the cause so logs carry it.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a client-facing message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected cause. The client sees only "internal error";
// the cause goes to the log with the request id.
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// ErrorCode returns the code of err, or CodeInternal when err is not an *Error:
// anything unclassified is by definition unexpected.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError converts any error to an *Error, classifying unknown ones as internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code Code) bool { return err != nil && ErrorCode(err) == code }

// fieldErrors accumulates validation failures so a client sees every wrong field
// at once, not one per round trip.
type fieldErrors map[string]string

func (f fieldErrors) add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "validation failed", Fields: f}
}

// Invalid builds a validation error for one field.
func Invalid(field, msg string) *Error {
	return &Error{Code: CodeInvalid, Message: "validation failed", Fields: map[string]string{field: msg}}
}
