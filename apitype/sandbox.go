package apitype

// The sandbox control plane (sandbox.md section 1) [extension]: served only
// by `ingot serve --sandbox`, acting on the calling program only.

// SandboxRequest is the body of the control calls that take no fields of
// their own (sandbox/reset, sandbox/clock/get, sandbox/faults/get-all,
// sandbox/faults/clear).
type SandboxRequest struct {
	Common
}

// ClockAdvanceRequest is the body of sandbox/clock/advance: Seconds, from 1
// to 31,536,000 (a year), is how far the program's clock moves.
type ClockAdvanceRequest struct {
	Common
	Seconds *int64 `json:"seconds"`
}

// Clock is the data of sandbox/clock/get and sandbox/clock/advance: the
// program's time, ISO 8601 UTC with milliseconds.
type Clock struct {
	Now string `json:"now"`
}

// KYCDecisionRequest is the body of sandbox/simulate/kyc-decision: the
// decision (Outcome verified or rejected, with optional reason codes) for a
// user whose KYC is pending.
type KYCDecisionRequest struct {
	Common
	UserID      string   `json:"user_id"`
	Outcome     string   `json:"outcome"`
	ReasonsCode []string `json:"reasons_code,omitempty"`
}

// KYBDecisionRequest is the body of sandbox/simulate/kyb-decision: as
// KYCDecisionRequest, for a business whose KYB is pending.
type KYBDecisionRequest struct {
	Common
	BusinessID  string   `json:"business_id"`
	Outcome     string   `json:"outcome"`
	ReasonsCode []string `json:"reasons_code,omitempty"`
}

// FaultRequest is the body of sandbox/faults/set. Path is an API path such
// as "user/create", or "*" for every call but sandbox/*; Status is the
// HTTP error status to answer (400-599), or 0 for a latency-only fault;
// Code (default "injected_fault") and Message are the error envelope's;
// Probability (0 < p <= 1, default 1) is the chance a call is faulted;
// Count (default unlimited) how many calls are; LatencyMS (0-30,000) is
// waited before the answer.
type FaultRequest struct {
	Common
	Path        string   `json:"path"`
	Status      *int     `json:"status"`
	Code        string   `json:"code,omitempty"`
	Message     string   `json:"message,omitempty"`
	Probability *float64 `json:"probability,omitempty"`
	Count       *int64   `json:"count,omitempty"`
	LatencyMS   *int     `json:"latency_ms,omitempty"`
}

// Fault is an injected fault as sandbox/faults/set and get-all answer it.
// Remaining is how many more calls it faults (null: unlimited).
type Fault struct {
	Path        string  `json:"path"`
	Status      int     `json:"status"`
	Code        string  `json:"code"`
	Message     string  `json:"message"`
	Probability float64 `json:"probability"`
	Remaining   *int64  `json:"remaining"`
	LatencyMS   int     `json:"latency_ms"`
	CreatedAt   string  `json:"created_at"`
}
