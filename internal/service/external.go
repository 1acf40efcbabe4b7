package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// External money movement (money.md sections 4.2-4.5): top-ups, payouts
// and program funding, each a pending ledger transaction with its payment
// intent, decided later by the rail's jobs or by an operator through
// SettleMovement, the one method behind `ingot transfers settle` and
// sandbox/simulate/settle.

// jobRail is the job kind of a rail's own decision (RailStep).
const jobRail = "rail.settle"

// railJob is a rail job's payload: the movement, its two accounts (whose
// locks the decision takes), and the steps left, the first due now.
type railJob struct {
	TransactionID banking.TransactionID `json:"transaction_id"`
	Source        banking.AccountID     `json:"source_account_id"`
	Destination   banking.AccountID     `json:"destination_account_id"`
	Steps         []RailStep            `json:"steps"`
}

// Actors of settlement decisions (audit events).
const (
	// ActorCLI is an operator's decision with `ingot transfers settle`.
	ActorCLI = "operator:cli"
	// ActorSandbox is a decision through sandbox/simulate/settle.
	ActorSandbox = "sandbox"
	// railActor is a rail's own decision.
	railActor = "rail"
)

// TopUp charges a linked account of a user to fund an RBA of their
// business (section 4.2).
func (s *Service) TopUp(ctx context.Context, c Caller, in banking.ExternalInput) (banking.Transaction, error) {
	in.Category = banking.CategoryTopUp
	return s.external(ctx, c, in)
}

// Payout sends money from a business's RBA to a linked account of the
// business or its user (section 4.3).
func (s *Service) Payout(ctx context.Context, c Caller, in banking.ExternalInput) (banking.Transaction, error) {
	in.Category = banking.CategoryPayout
	return s.external(ctx, c, in)
}

// FundProgram charges a linked account of the program to fund its master
// RBA (section 4.4).
func (s *Service) FundProgram(ctx context.Context, c Caller, in banking.ExternalInput) (banking.Transaction, error) {
	in.Category, in.UserID, in.BusinessID = banking.CategoryProgramFunding, "", ""
	return s.external(ctx, c, in)
}

// external runs an external movement in section 4's order: the body (400),
// the linked account (404 unless it is the named entity's: the user's own
// or the business's for a top-up or payout, the program's for funding),
// then the RBA and the states under its lock (ExternalWork). It answers
// the pending transaction; the rail's plan is scheduled with it.
func (s *Service) external(ctx context.Context, c Caller, in banking.ExternalInput) (banking.Transaction, error) {
	in.HasKey = c.Idem != nil
	e, err := banking.ParseExternal(in)
	if err != nil {
		return banking.Transaction{}, err
	}
	linked, err := s.store.LinkedAccount(ctx, c.ProgramID, e.Linked)
	if err != nil {
		return banking.Transaction{}, err
	}
	owned := linked.UserID == e.UserID && (linked.BusinessID == "" || linked.BusinessID == e.BusinessID)
	if e.Category == banking.CategoryProgramFunding {
		owned = linked.OwnerType == banking.EntityProgram
	}
	if !owned || linked.Status != "active" {
		return banking.Transaction{}, banking.Errorf(banking.CodeNotFound, "linked bank account not found")
	}
	now := s.nowFor(c.ProgramID)
	clearing := banking.ClearingAccountID(c.ProgramID)
	t := banking.Transaction{
		ID: banking.NewID[banking.TransactionID](now), ProgramID: c.ProgramID, Amount: e.Amount,
		Status: banking.TxPending, Category: e.Category, Method: banking.MethodACH,
		OriginatorType: banking.EntityBusiness, OriginatorID: string(e.BusinessID),
		SourceAccountID: clearing, DestinationAccountID: e.Account,
		Description: e.Description, Reference: e.Reference, Metadata: e.Metadata,
		IdempotentKey: c.idemKey(), CreatedAt: now, UpdatedAt: now,
	}
	dir := banking.Credit
	switch e.Category {
	case banking.CategoryPayout:
		t.SourceAccountID, t.DestinationAccountID, dir = e.Account, clearing, banking.Debit
	case banking.CategoryProgramFunding:
		t.OriginatorType, t.OriginatorID = banking.EntityProgram, string(c.ProgramID)
	}
	pi := banking.PaymentIntent{
		ID: banking.NewID[banking.PaymentIntentID](now), ProgramID: c.ProgramID, TransactionID: t.ID,
		LinkedAccount: linked.ID, Amount: t.Amount, Direction: dir, Action: banking.ActionSettlementNeeded,
		Category: t.Category, Status: t.Status, EntityType: t.OriginatorType, EntityID: t.OriginatorID,
		IdempotentKey: t.IdempotentKey, Metadata: t.Metadata, Description: t.Description, Reference: t.Reference,
		CreatedAt: now, UpdatedAt: now,
	}
	m := store.Movement{Tx: t, Event: banking.NewTransferEvent(&t, banking.EventTransferCreated, c.actor(), nil, now)}
	steps := s.rail.Plan(&t, linked.Last4)
	if m.Settle, err = railJobOf(&t, steps); err != nil {
		return banking.Transaction{}, err
	}
	if m.Settle != nil && steps[0].After <= 0 {
		s.delayOrTake(m.Settle, 0) // due at once: taken
	}
	return s.doMovement(ctx, c, store.ExternalWork(c.ProgramID, e, m, pi))
}

// railJobOf is the job of the first of steps about t, due its After after
// t's last change; nil when there are none.
func railJobOf(t *banking.Transaction, steps []RailStep) (*store.NewJob, error) {
	if len(steps) == 0 {
		return nil, nil
	}
	payload, err := json.Marshal(railJob{TransactionID: t.ID, Source: t.SourceAccountID,
		Destination: t.DestinationAccountID, Steps: steps})
	if err != nil {
		return nil, banking.Internal(err)
	}
	return &store.NewJob{Program: t.ProgramID, Kind: jobRail, Payload: payload, RunAt: t.UpdatedAt.Add(steps[0].After)}, nil
}

// runRail is the handler of a rail job: it takes the first step's decision
// in the Work that completes the job (so exactly once), scheduling the next
// step with it. A movement decided meanwhile (an operator was quicker) is
// left as it is.
func (s *Service) runRail(ctx context.Context, j store.Job) error {
	var p railJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || len(p.Steps) == 0 {
		return banking.Errorf(banking.CodeInvalid, "rail job payload: %v", err)
	}
	now := s.nowFor(j.Program)
	step := p.Steps[0]
	var next *store.NewJob
	if len(p.Steps) > 1 {
		rest := railJob{TransactionID: p.TransactionID, Source: p.Source, Destination: p.Destination, Steps: p.Steps[1:]}
		payload, err := json.Marshal(rest)
		if err != nil {
			return banking.Internal(err)
		}
		next = &store.NewJob{Program: j.Program, Kind: jobRail, Payload: payload, RunAt: now.Add(rest.Steps[0].After)}
	}
	w, err := s.decision(j.Program, p.TransactionID, p.Source, p.Destination, step.Outcome, step.ReturnCode, railActor, now, next)
	if err != nil {
		return err
	}
	w.Job = &j
	_, err = s.store.Do(ctx, w)
	if banking.IsCode(err, banking.CodeConflict) {
		return nil // another process holds the job now and decides it
	}
	return err
}

// decision is the Work of outcome o about transaction id of program pid
// (accounts src and dst), by actor at now: SettleWork for a pending one's
// completion, failure or block (with next scheduled on completion),
// ReturnWork for a completed one's return. Either answers nil when the
// transaction is not in the state the outcome needs.
func (s *Service) decision(pid banking.ProgramID, id banking.TransactionID, src, dst banking.AccountID,
	o banking.Outcome, code, actor string, now time.Time, next *store.NewJob) (store.Work, error) {
	d := store.Settlement{At: now, Then: next}
	typ := banking.EventTransferCompleted
	switch o {
	case banking.OutcomeCompleted:
		d.Status = banking.TxCompleted
	case banking.OutcomeFailed:
		d.Status, d.FailureReason, typ = banking.TxFailed, banking.ReturnReason(code), banking.EventTransferFailed
	case banking.OutcomeBlocked:
		d.Status, d.FailureReason, typ = banking.TxBlocked, "blocked: compliance hold", banking.EventTransferBlocked
	case banking.OutcomeReturned:
		r := banking.Transaction{ID: banking.NewID[banking.TransactionID](now), CreatedAt: now, UpdatedAt: now}
		return store.ReturnWork(pid, id, src, dst, banking.ReturnReason(code), r,
			func(orig, ret *banking.Transaction) (banking.Event, banking.Event) {
				return banking.NewTransferEvent(orig, banking.EventTransferReturned, actor, nil, now),
					banking.NewTransferEvent(ret, banking.EventTransferCompleted, actor, nil, now)
			}), nil
	default:
		return store.Work{}, banking.Invalid("outcome", "must be completed, failed, blocked or returned")
	}
	return store.SettleWork(pid, id, src, dst, d, func(t *banking.Transaction) banking.Event {
		return banking.NewTransferEvent(t, typ, actor, nil, now)
	}), nil
}

// SettleMovement decides movement rawID of the caller's program (sandbox.md
// section 1, `ingot transfers settle`): outcome completed, failed or
// blocked for a pending movement of any kind (book transfers, inbound
// transfers, top-ups, payouts, program funding), returned for a completed
// one (not itself a return), with return_code R01 to R99 (default R01) as
// its failure_reason. Anything else is 409 conflict. actor is recorded in
// the audit events. It answers the transaction after the decision (a
// returned one: the original, now returned; the return is a new
// transaction naming it in reversed_transaction_id).
func (s *Service) SettleMovement(ctx context.Context, c Caller, rawID, rawOutcome, rawCode, actor string) (banking.Transaction, error) {
	var missing error
	if rawID == "" {
		missing = banking.Invalid("transaction_id", "is required")
	}
	o, code, err := banking.ParseOutcome(rawOutcome, rawCode)
	if err := joinInvalid(missing, err); err != nil {
		return banking.Transaction{}, err
	}
	id, ok := banking.ParseID[banking.TransactionID](rawID)
	if !ok {
		return banking.Transaction{}, banking.Errorf(banking.CodeNotFound, "transaction not found")
	}
	t, err := s.store.Transaction(ctx, c.ProgramID, id)
	if err != nil {
		return banking.Transaction{}, err
	}
	want := banking.TxPending
	if o == banking.OutcomeReturned {
		want = banking.TxCompleted
		if t.Category == banking.CategoryReturn {
			return banking.Transaction{}, banking.Errorf(banking.CodeConflict, "a return cannot be returned")
		}
	}
	if t.Status != want {
		return banking.Transaction{}, banking.Errorf(banking.CodeConflict, "transaction is %s: %s needs it %s", t.Status, o, want)
	}
	w, err := s.decision(c.ProgramID, id, t.SourceAccountID, t.DestinationAccountID, o, code, actor, s.nowFor(c.ProgramID), nil)
	if err != nil {
		return banking.Transaction{}, err
	}
	w.Idem = c.finish()
	run := w.Run
	w.Run = func(ctx context.Context, tx *store.Tx) (any, error) {
		v, err := run(ctx, tx)
		if err == nil && v == nil {
			// Decided meanwhile by another process or the rail.
			return nil, banking.Errorf(banking.CodeConflict, "transaction is no longer %s", want)
		}
		return v, err
	}
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.Transaction{}, err
	}
	return v.(banking.Transaction), nil
}

// SettleByID is SettleMovement for an operator who names the transaction
// alone (`ingot transfers settle ID`): its program is read first.
func (s *Service) SettleByID(ctx context.Context, rawID, outcome, code string) (banking.Transaction, error) {
	id, ok := banking.ParseID[banking.TransactionID](rawID)
	if !ok {
		return banking.Transaction{}, banking.Errorf(banking.CodeNotFound, "transaction not found")
	}
	t, err := s.store.TransactionAnywhere(ctx, id)
	if err != nil {
		return banking.Transaction{}, err
	}
	return s.SettleMovement(ctx, Caller{ProgramID: t.ProgramID}, rawID, outcome, code, ActorCLI)
}

// PendingMovements lists up to limit pending transactions of every program,
// oldest first (`ingot transfers list --status pending`).
func (s *Service) PendingMovements(ctx context.Context, limit int) ([]banking.Transaction, error) {
	return s.store.PendingTransactions(ctx, "", limit)
}

// PaymentIntents lists the caller's payment intents (payment-intent/
// program/all).
func (s *Service) PaymentIntents(ctx context.Context, c Caller, f banking.IntentFilter) ([]banking.PaymentIntent, banking.Total, error) {
	return s.store.PaymentIntents(ctx, c.ProgramID, f)
}

// Report lists every transaction of the caller's program in a range,
// oldest first (transactions/report).
func (s *Service) Report(ctx context.Context, c Caller, start, end, direction string) ([]banking.Transaction, error) {
	r, err := banking.ParseReportRange(start, end, direction)
	if err != nil {
		return nil, err
	}
	return s.store.Report(ctx, c.ProgramID, r)
}

// Summary totals the master RBA's posted credits and debits in a range
// (balance/program-transaction-summary).
func (s *Service) Summary(ctx context.Context, c Caller, start, end, direction string) (banking.Summary, error) {
	r, err := banking.ParseReportRange(start, end, direction)
	if err != nil {
		return banking.Summary{}, err
	}
	return s.store.Summary(ctx, c.ProgramID, r)
}
