package client

import (
	"context"
	"fmt"
	"time"

	"github.com/ingot-dev/ingot/apitype"
)

// Sandbox is the sandbox control plane (sandbox.md section 1, docs/sandbox.md):
// calls that exist only on a server started with `ingot serve --sandbox`
// (elsewhere they fail with ErrNotFound) and act on the client's program
// only. Reach it as c.Sandbox, e.g. c.Sandbox.Reset(ctx).
type Sandbox struct{ c *Client }

// Reset deletes all of the program's data (users, businesses, accounts,
// ledger, audit trail, webhook events, jobs, idempotency keys, faults and
// clock offset) in one transaction and recreates its master account empty.
// The credentials and the webhook endpoint stay. Safe to retry.
func (s Sandbox) Reset(ctx context.Context) error {
	req := apitype.SandboxRequest{}
	ensureKey(&req.Common)
	return s.c.send(ctx, "sandbox/reset", req, true, nil)
}

// Now reads the program's clock: the real time plus every advance.
func (s Sandbox) Now(ctx context.Context) (time.Time, error) {
	return s.clock(ctx, "sandbox/clock/get", apitype.SandboxRequest{})
}

// Advance moves the program's clock forward by d (whole seconds, 1 s to
// 365 days; else ErrInvalid) and returns the new time, once everything due
// by then (settlements, delayed KYC/KYB checks, webhook retries) has run.
func (s Sandbox) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	secs := int64(d / time.Second)
	req := apitype.ClockAdvanceRequest{Seconds: &secs}
	ensureKey(&req.Common)
	return s.clock(ctx, "sandbox/clock/advance", req)
}

func (s Sandbox) clock(ctx context.Context, path string, req any) (time.Time, error) {
	var out apitype.Clock
	if err := s.c.send(ctx, path, req, true, &out); err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(apitype.TimeFormat, out.Now)
	if err != nil {
		return time.Time{}, fmt.Errorf("ingot: %s answered now %q: %w", path, out.Now, err)
	}
	return t, nil
}

// DecideKYC decides a pending KYC now, as the provider would: outcome
// "verified" or "rejected", with optional reason codes. A user not pending
// is ErrConflict.
func (s Sandbox) DecideKYC(ctx context.Context, userID, outcome string, reasons ...string) (apitype.User, error) {
	req := apitype.KYCDecisionRequest{UserID: userID, Outcome: outcome, ReasonsCode: reasons}
	ensureKey(&req.Common)
	return single[apitype.User](ctx, s.c, "sandbox/simulate/kyc-decision", req)
}

// DecideKYB decides a pending KYB now; its owners and documents follow. A
// business not pending is ErrConflict.
func (s Sandbox) DecideKYB(ctx context.Context, businessID, outcome string, reasons ...string) (apitype.Business, error) {
	req := apitype.KYBDecisionRequest{BusinessID: businessID, Outcome: outcome, ReasonsCode: reasons}
	ensureKey(&req.Common)
	return single[apitype.Business](ctx, s.c, "sandbox/simulate/kyb-decision", req)
}

// SetFault injects a fault: calls of req.Path ("user/create", or "*") then
// answer req.Status with code injected_fault (or req.Code), executing
// nothing, with req.Probability, req.Count times, after req.LatencyMS; a
// Status of 0 only delays the real answer. It replaces the path's fault.
func (s Sandbox) SetFault(ctx context.Context, req apitype.FaultRequest) (apitype.Fault, error) {
	ensureKey(&req.Common)
	return single[apitype.Fault](ctx, s.c, "sandbox/faults/set", req)
}

// Faults lists the program's faults.
func (s Sandbox) Faults(ctx context.Context) ([]apitype.Fault, error) {
	page, err := pageOf[apitype.Fault](ctx, s.c, "sandbox/faults/get-all", apitype.SandboxRequest{})
	return page.Items, err
}

// ClearFaults removes every fault of the program.
func (s Sandbox) ClearFaults(ctx context.Context) error {
	req := apitype.SandboxRequest{}
	ensureKey(&req.Common)
	return s.c.send(ctx, "sandbox/faults/clear", req, true, nil)
}
