package service

import (
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// Rails (money.md section 4.5): what carries an external movement (a
// top-up, a payout, a program funding) to the outside world and decides
// how it ends, like KYC's provider. A rail answers, when the movement is
// created, the decisions it will take by itself; they are scheduled as
// durable jobs in the movement's own transaction, so they survive any
// restart and run once. A movement no step decides stays pending until an
// operator (`ingot transfers settle`, the console) or the sandbox control
// plane (sandbox/simulate/settle) decides it.

// Rail carries external movements.
type Rail interface {
	// Name is the rail's name: "sandbox" or "manual".
	Name() string
	// Plan is what the rail decides by itself about movement t, whose
	// linked account's number ends in last4: steps in order, each due
	// After the one before it (the first after the movement's creation).
	// Empty means the movement waits for an operator.
	Plan(t *banking.Transaction, last4 string) []RailStep
}

// RailStep is one decision a rail takes by itself.
type RailStep struct {
	After      time.Duration   `json:"after"`
	Outcome    banking.Outcome `json:"outcome"`
	ReturnCode string          `json:"return_code,omitempty"`
}

// SandboxRail decides by the linked account number's last four digits
// after Delay (money.md section 4.5): 0001 fails with R01, 0002 stays
// pending, 0003 completes and is returned with R10 one delay later, 0004 is
// blocked, anything else completes. (The same idea as Modern Treasury's
// test counterparties.)
type SandboxRail struct{ Delay time.Duration }

// Name is "sandbox".
func (SandboxRail) Name() string { return "sandbox" }

// Plan decides by last4.
func (r SandboxRail) Plan(_ *banking.Transaction, last4 string) []RailStep {
	switch last4 {
	case "0001":
		return []RailStep{{After: r.Delay, Outcome: banking.OutcomeFailed, ReturnCode: "R01"}}
	case "0002":
		return nil
	case "0003":
		return []RailStep{{After: r.Delay, Outcome: banking.OutcomeCompleted},
			{After: r.Delay, Outcome: banking.OutcomeReturned, ReturnCode: "R10"}}
	case "0004":
		return []RailStep{{After: r.Delay, Outcome: banking.OutcomeBlocked}}
	}
	return []RailStep{{After: r.Delay, Outcome: banking.OutcomeCompleted}}
}

// ManualRail is production's rail until a bank's is plugged in: it decides
// nothing, so every external movement stays pending until an operator
// settles it with `ingot transfers settle` (from the bank's ACH files).
type ManualRail struct{}

// Name is "manual".
func (ManualRail) Name() string { return "manual" }

// Plan is empty: an operator decides.
func (ManualRail) Plan(*banking.Transaction, string) []RailStep { return nil }
