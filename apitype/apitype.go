// Package apitype holds the JSON wire types of ingot's Banking Platform API v4:
// requests, the user object, and the success and error envelopes. The server
// and the Go SDK share them, so the two cannot disagree about a field name.
package apitype

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
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
	Total   int    `json:"total"`
	Sort    string `json:"sort"`
	Search  string `json:"search"`
}

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
}

// MessageIdempotencyInFlight is the message of the 409 conflict answered
// while the first request under the same idempotent_key is still running.
// That 409, and no other, also carries a Retry-After header: repeating the
// same request later gets the first request's answer. Every other conflict (a
// state transition, a duplicate email) is final.
const MessageIdempotencyInFlight = "a request with this idempotent_key is still in progress; retry later"

// User is the user object: exactly the documented keys, every one a string.
type User struct {
	ID          string `json:"id"`
	UUID        string `json:"uuid"`
	FirstName   string `json:"first_name"`
	MiddleName  string `json:"middle_name"`
	LastName    string `json:"last_name"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phone_number"`
	DateOfBirth string `json:"date_of_birth"`
	AddressOne  string `json:"address_one"`
	AddressTwo  string `json:"address_two"`
	City        string `json:"city"`
	State       string `json:"state"`
	Country     string `json:"country"`
	PostalCode  string `json:"postal_code"`
	SSNLast4    string `json:"ssn_last_4"`
	Status      string `json:"status"`
	KYCStatus   string `json:"kyc_status"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

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

// MetaData is a name/value pair kept with a user.
type MetaData struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TimeFormat is how timestamps travel: UTC, ISO 8601, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"
