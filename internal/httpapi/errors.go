package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
)

// statusOf is the one place an error code becomes an HTTP status.
func statusOf(code banking.Code) int {
	switch code {
	case banking.CodeInvalid:
		return http.StatusBadRequest
	case banking.CodeUnauthenticated:
		return http.StatusUnauthorized
	case banking.CodeNotFound:
		return http.StatusNotFound
	case banking.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case banking.CodeConflict, banking.CodeBlocked, banking.CodeNotVerified,
		banking.CodeAccountNotActive, banking.CodeInsufficientFunds:
		return http.StatusConflict
	case banking.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case banking.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case banking.CodeIdempotencyMismatch:
		return http.StatusUnprocessableEntity
	case banking.CodeRateLimited:
		return http.StatusTooManyRequests
	case banking.CodeHeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	case banking.CodeUnavailable:
		return http.StatusServiceUnavailable
	case banking.CodeInjectedFault:
		// A sandbox fault rule names its own status (Error.Status); a rule
		// without one answers as an internal failure would.
		return http.StatusInternalServerError
	}
	return http.StatusInternalServerError
}

// writeError answers with the error envelope. Internal causes go to the log
// with the request id and never to the client.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := banking.AsError(err)
	rid := requestID(r.Context())
	if e.Code == banking.CodeInternal {
		h.log.ErrorContext(r.Context(), "internal error", "request_id", rid, "route", r.URL.Path, "err", err)
	}
	if (e.Code == banking.CodeRateLimited || e.Code == banking.CodeUnavailable) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(1))
	}
	if e.Code == banking.CodeUnavailable {
		// Logged like an internal error: the operator must hear of it.
		h.log.ErrorContext(r.Context(), "database unavailable", "request_id", rid, "route", r.URL.Path, "err", err)
	}
	if e.Code == banking.CodeMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeJSON(w, statusOf(e.Code), apitype.ErrorEnvelope{
		Status:  apitype.StatusError,
		Message: e.Message,
		Error:   apitype.ErrorDetail{Code: string(e.Code), Fields: e.Fields, RequestID: rid, Hint: e.Hint},
	})
}

// appendLogAttrs appends the request log line's common attributes to dst;
// never bodies or keys.
func appendLogAttrs(dst []slog.Attr, r *http.Request, status int) []slog.Attr {
	return append(dst, slog.String("request_id", requestID(r.Context())), slog.String("route", r.URL.Path), slog.Int("status", status))
}
