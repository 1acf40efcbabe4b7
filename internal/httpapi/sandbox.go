package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
)

// The sandbox control plane (sandbox.md section 1), served only with
// --sandbox (routes.go). Its rules live in the service (sandbox*.go).

func (h *handler) reset(ctx context.Context, c service.Caller, _ *apitype.SandboxRequest) (struct{}, error) {
	return h.svc.Reset(ctx, c)
}

func (h *handler) clockGet(ctx context.Context, c service.Caller, _ *apitype.SandboxRequest) (any, error) {
	now, err := h.svc.ClockNow(ctx, c)
	if err != nil {
		return nil, err
	}
	return apitype.Clock{Now: wireTime(now)}, nil
}

func (h *handler) clockAdvance(ctx context.Context, c service.Caller, r *apitype.ClockAdvanceRequest) (time.Time, error) {
	if r.Seconds == nil {
		return time.Time{}, banking.Invalid("seconds", "is required: a whole number from 1 to 31536000")
	}
	return h.svc.AdvanceClock(ctx, c, *r.Seconds)
}

// clockAnswer is a program time as the clock calls answer it.
func clockAnswer(t time.Time) any { return apitype.Clock{Now: wireTime(t)} }

func (h *handler) simulateKYC(ctx context.Context, c service.Caller, r *apitype.KYCDecisionRequest) (banking.User, error) {
	return h.svc.SimulateKYC(ctx, c, r.UserID, service.SimulatedDecision{Outcome: r.Outcome, ReasonsCode: r.ReasonsCode})
}

func (h *handler) simulateKYB(ctx context.Context, c service.Caller, r *apitype.KYBDecisionRequest) (banking.Business, error) {
	return h.svc.SimulateKYB(ctx, c, r.BusinessID, service.SimulatedDecision{Outcome: r.Outcome, ReasonsCode: r.ReasonsCode})
}

func (h *handler) setFault(ctx context.Context, c service.Caller, r *apitype.FaultRequest) (store.Fault, error) {
	return h.svc.SetFault(ctx, c, service.FaultInput{Path: r.Path, Status: r.Status, Code: r.Code, Message: r.Message,
		Probability: r.Probability, Count: r.Count, LatencyMS: r.LatencyMS}, h.faultable)
}

func (h *handler) faults(ctx context.Context, c service.Caller, _ *apitype.SandboxRequest) (any, error) {
	fs, err := h.svc.Faults(ctx, c)
	if err != nil {
		return nil, err
	}
	items := make([]apitype.Fault, 0, len(fs))
	for i := range fs {
		items = append(items, wireFault(&fs[i]))
	}
	return apitype.Page[apitype.Fault]{Items: items, Pagination: apitype.Pagination{
		Page: 1, PerPage: max(len(items), 1), Total: len(items), Sort: apitype.SortCreatedDesc}}, nil
}

func (h *handler) clearFaults(ctx context.Context, c service.Caller, _ *apitype.SandboxRequest) (struct{}, error) {
	return h.svc.ClearFaults(ctx, c)
}

func faultPage(f store.Fault) any { return apitype.One(wireFault(&f)) }

func wireFault(f *store.Fault) apitype.Fault {
	w := apitype.Fault{Path: f.Path, Status: f.Status, Code: f.Code, Message: f.Message, Probability: f.Probability,
		LatencyMS: f.LatencyMS, CreatedAt: wireTime(f.CreatedAt)}
	if f.Remaining >= 0 {
		n := f.Remaining
		w.Remaining = &n
	}
	return w
}

// faultable reports whether path is a call a fault may name: one the API
// serves, outside sandbox/*.
func (h *handler) faultable(path string) bool {
	return h.paths[path] && !strings.HasPrefix(path, "sandbox/")
}

// injectFault applies the caller's injected fault to this call of endpoint
// (sandbox.md section 1), after authentication and before anything runs.
// It reports whether it answered: a status fault answers its error
// envelope (after its latency) and the call executes nothing; a
// latency-only fault only waits. sandbox/* calls are never faulted.
func (h *handler) injectFault(w http.ResponseWriter, r *http.Request, endpoint string, pid banking.ProgramID) bool {
	if !h.sandbox || strings.HasPrefix(endpoint, "sandbox/") {
		return false
	}
	f, err := h.svc.FaultFor(r.Context(), pid, endpoint)
	if err != nil {
		h.writeError(w, r, err)
		return true
	}
	if f == nil {
		return false
	}
	if f.LatencyMS > 0 {
		t := time.NewTimer(time.Duration(f.LatencyMS) * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true // the client went away: nothing to answer
		}
	}
	if f.Status == 0 {
		return false
	}
	writeJSON(w, f.Status, apitype.ErrorEnvelope{
		Status:  apitype.StatusError,
		Message: f.Message,
		Error:   apitype.ErrorDetail{Code: f.Code, RequestID: requestID(r.Context())},
	})
	return true
}
