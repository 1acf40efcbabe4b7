// Package apitype holds the JSON wire types of ingot's Banking Platform API v4:
// requests, the user object, and the success and error envelopes. The server
// and the Go SDK share them, so the two cannot disagree about a field name.
package apitype

import (
	"errors"
	"strconv"
)

// Status values of the envelope.
const (
	StatusSuccess = "success"
	StatusError   = "error"
)

// Envelope is every success answer: {"status","message","data"}.
type Envelope[T any] struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Data    T      `json:"data"`
}

// Page is the data of list and single-object answers: items and pagination.
type Page[T any] struct {
	Items      []T        `json:"items"`
	Pagination Pagination `json:"pagination"`
}

// Pagination describes the page returned and the whole result.
type Pagination struct {
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	// Total counts every match, exactly up to 10,000. Past that, counting
	// stops: Total is then a lower bound (10,000, or the items up to the
	// end of this page if more) and TotalIsEstimate is true.
	Total  int    `json:"total"`
	Sort   string `json:"sort"`
	Search string `json:"search"`
	// TotalIsEstimate [extension] is true when more items match than were
	// counted. Omitted when false, so an answer with an exact total is
	// byte for byte what it was before the field existed.
	TotalIsEstimate bool `json:"total_is_estimate,omitempty"`
}

// Common holds the fields every call accepts. Embedded in each request so
// the strict decoder accepts them everywhere.
type Common struct {
	APIKey        string `json:"api_key,omitempty"`
	IdempotentKey string `json:"idempotent_key,omitempty"`
}

// One is the data of single-object answers (create, get, update, block,
// unblock of any entity): a one-item list with pagination {page 1, per_page 1,
// total 1}, as api-v4.md section 3 says.
func One[T any](item T) Page[T] {
	return Page[T]{Items: []T{item}, Pagination: Pagination{Page: 1, PerPage: 1, Total: 1, Sort: SortCreatedDesc}}
}

// Sort orders of lists (api-v4.md section 5, user/get-all [extension]).
const (
	SortCreatedDesc = "created_at:desc"
	SortCreatedAsc  = "created_at:asc"
)

// Number is a JSON number kept as its literal text, so that a value such as
// ownership_percent ("at most two decimals") is checked exactly as sent
// rather than as the float64 nearest to it.
type Number string

// UnmarshalJSON accepts a JSON number and keeps its text; anything else is
// an error (the server answers 400 "must be a number").
func (n *Number) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || !(b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		return errNotNumber
	}
	*n = Number(b)
	return nil
}

// NumberOf is f as a Number (for SDK callers: OwnershipPercent:
// apitype.NumberOf(75.5)).
func NumberOf(f float64) *Number {
	n := Number(strconv.FormatFloat(f, 'f', -1, 64))
	return &n
}

// MarshalJSON writes the literal as it was read.
func (n Number) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// JSONKind names the type for error messages ("must be a number").
func (Number) JSONKind() string { return "a number" }

var errNotNumber = errors.New("not a JSON number")

// Empty is the data of answers that return nothing ("data":{}).
type Empty struct{}

// ErrorEnvelope is every error answer.
type ErrorEnvelope struct {
	Status  string      `json:"status"`
	Message string      `json:"message"`
	Error   ErrorDetail `json:"error"`
}

// ErrorDetail carries the stable machine code, per-field problems and the
// request id to quote to support.
type ErrorDetail struct {
	Code      string            `json:"code"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id"`
	// Hint, only in a sandbox's 401s, says which authentication check
	// failed and what the server saw (api-v4.md section 2.5): for people
	// fixing a client, never for matching on.
	Hint string `json:"hint,omitempty"`
}

// MessageIdempotencyInFlight is the message of the 409 conflict answered
// while the first request under the same idempotent_key is still running.
// That 409, and no other, also carries a Retry-After header: repeating the
// same request later gets the first request's answer. Every other conflict (a
// state transition, a duplicate email) is final.
const MessageIdempotencyInFlight = "a request with this idempotent_key is still in progress; retry later"

// Event is one entry of a user's audit trail (/user/events).
type Event struct {
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	Actor     string            `json:"actor"`
	Reason    string            `json:"reason"`
	Changes   map[string]Change `json:"changes"`
	CreatedAt string            `json:"created_at"`
}

// Change is one field's old and new value in an event.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// TimeFormat is how timestamps travel: UTC, ISO 8601, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"
