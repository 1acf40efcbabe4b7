package service

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Injected faults (sandbox/faults/*, sandbox.md section 1). They are kept
// in the database, so every process serving the sandbox applies them; each
// process reads a program's faults through a cache that lives faultTTL (a
// change made here is seen at once, another process's within faultTTL). A
// counted fault is spent in the database (store.TakeFault), so its count
// holds exactly across calls and processes.

// faultTTL is how long a program's cached faults are trusted.
const faultTTL = 200 * time.Millisecond

// Fault limits (sandbox.md section 1).
const (
	MaxFaultLatencyMS = 30_000
	// DefaultFaultCode is the error code of a fault that names none.
	DefaultFaultCode = "injected_fault"
	maxFaultMessage  = 500
)

type faultCache struct {
	mu sync.Mutex
	m  map[banking.ProgramID]cachedFaults
}

type cachedFaults struct {
	faults []store.Fault
	read   time.Time
}

// FaultInput is the body of sandbox/faults/set; nil pointers are absent
// fields.
type FaultInput struct {
	Path        string
	Status      *int
	Code        string
	Message     string
	Probability *float64
	Count       *int64
	LatencyMS   *int
}

// SetFault is sandbox/faults/set: it validates in (path one of the API's,
// as known reports, or "*"; status 400-599, or 0 for latency only with
// latency_ms above 0; probability in (0, 1], default 1; count at least 1,
// default unlimited; latency_ms 0-30000; code like the API's error codes)
// and stores it as the caller's fault of that path, replacing any, and
// answers it.
func (s *Service) SetFault(ctx context.Context, c Caller, in FaultInput, known func(string) bool) (store.Fault, error) {
	f := store.Fault{Path: in.Path, Code: in.Code, Message: in.Message, Probability: 1, Remaining: -1, CreatedAt: s.nowFor(c.ProgramID)}
	bad := map[string]string{}
	switch {
	case in.Path == "":
		bad["path"] = "is required: an API path such as user/create, or *"
	case strings.HasPrefix(in.Path, "sandbox/"):
		// Before known, which may not list them: the rule is the answer.
		bad["path"] = "faults never apply to sandbox/* calls"
	case in.Path != "*" && !known(in.Path):
		bad["path"] = "names no call of the API (a path such as user/create, or *)"
	}
	if in.LatencyMS != nil {
		f.LatencyMS = *in.LatencyMS
		if f.LatencyMS < 0 || f.LatencyMS > MaxFaultLatencyMS {
			bad["latency_ms"] = "must be from 0 to 30000"
		}
	}
	switch {
	case in.Status == nil:
		bad["status"] = "is required: an HTTP error status from 400 to 599, or 0 for latency only"
	case *in.Status == 0:
		if f.LatencyMS <= 0 {
			if _, ok := bad["latency_ms"]; !ok {
				bad["latency_ms"] = "must be above 0 for a latency-only fault (status 0)"
			}
		}
	case *in.Status < 400 || *in.Status > 599:
		bad["status"] = "must be an HTTP error status from 400 to 599, or 0 for latency only"
	}
	if in.Status != nil {
		f.Status = *in.Status
	}
	if in.Probability != nil {
		f.Probability = *in.Probability
		if !(f.Probability > 0 && f.Probability <= 1) {
			bad["probability"] = "must be above 0 and at most 1"
		}
	}
	if in.Count != nil {
		f.Remaining = *in.Count
		if f.Remaining < 1 {
			bad["count"] = "must be at least 1 (absent: unlimited)"
		}
	}
	if f.Code == "" {
		f.Code = DefaultFaultCode
	} else if !faultCode(f.Code) {
		bad["code"] = "must be 1 to 64 lowercase letters, digits and underscores"
	}
	if f.Message == "" {
		f.Message = "injected fault (sandbox/faults/set)"
	} else if banking.CheckReason(f.Message) != nil || len(f.Message) > maxFaultMessage {
		bad["message"] = "must be at most 500 characters of printable text"
	}
	if len(bad) > 0 {
		return store.Fault{}, &banking.Error{Code: banking.CodeInvalid, Message: "validation failed", Fields: bad}
	}
	if err := s.store.SetFault(ctx, c.ProgramID, f); err != nil {
		return store.Fault{}, err
	}
	s.forgetFaults(c.ProgramID)
	return f, nil
}

// faultCode reports whether code looks like the API's error codes.
func faultCode(code string) bool {
	if len(code) < 1 || len(code) > 64 {
		return false
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// Faults is sandbox/faults/get-all: the caller's faults by path.
func (s *Service) Faults(ctx context.Context, c Caller) ([]store.Fault, error) {
	return s.store.Faults(ctx, c.ProgramID)
}

// ClearFaults is sandbox/faults/clear: every fault of the caller goes.
func (s *Service) ClearFaults(ctx context.Context, c Caller) (struct{}, error) {
	err := s.store.ClearFaults(ctx, c.ProgramID)
	s.forgetFaults(c.ProgramID)
	return struct{}{}, err
}

func (s *Service) forgetFaults(pid banking.ProgramID) {
	s.faults.mu.Lock()
	delete(s.faults.m, pid)
	s.faults.mu.Unlock()
}

// FaultFor decides whether this call of path by program pid is faulted,
// and answers the fault that applies (the path's own before "*"), or nil.
// A status fault means the call must not run; a latency-only one (Status
// 0) delays it. Only a sandbox's handler asks.
func (s *Service) FaultFor(ctx context.Context, pid banking.ProgramID, path string) (*store.Fault, error) {
	now := s.now()
	s.faults.mu.Lock()
	c, ok := s.faults.m[pid]
	s.faults.mu.Unlock()
	if !ok || now.Sub(c.read) > faultTTL || now.Before(c.read) {
		fs, err := s.store.Faults(ctx, pid)
		if err != nil {
			return nil, err
		}
		c = cachedFaults{faults: fs, read: now}
		s.faults.mu.Lock()
		if s.faults.m == nil {
			s.faults.m = map[banking.ProgramID]cachedFaults{}
		}
		s.faults.m[pid] = c
		s.faults.mu.Unlock()
	}
	var f *store.Fault
	for i := range c.faults {
		if c.faults[i].Remaining == 0 {
			continue // spent: it shadows "*" no longer
		}
		switch c.faults[i].Path {
		case path:
			f = &c.faults[i]
		case "*":
			if f == nil {
				f = &c.faults[i]
			}
		}
	}
	if f == nil {
		return nil, nil
	}
	if f.Probability < 1 && rand.Float64() >= f.Probability {
		return nil, nil
	}
	if f.Remaining > 0 {
		took, err := s.store.TakeFault(ctx, pid, f.Path)
		if err != nil {
			return nil, err
		}
		if !took {
			return nil, nil
		}
	}
	out := *f
	return &out, nil
}
