package service

import (
	"context"
	"encoding/json"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Money movement (money.md section 4) and its settlement on the durable
// jobs: a movement is created pending in one Work that also schedules its
// "transfer.settle" job; the job's Work posts the entries and completes the
// job in one transaction, so a pending movement survives any restart and
// completes exactly once, by whichever process claims its job.

// jobSettle is the job kind that settles a pending movement.
const jobSettle = "transfer.settle"

// settleActor is the audit actor of settlements.
const settleActor = "ledger"

// settleJob is a settlement job's payload: the transaction and its two
// accounts, whose locks the settlement takes before it reads anything.
type settleJob struct {
	TransactionID banking.TransactionID `json:"transaction_id"`
	Source        banking.AccountID     `json:"source_account_id"`
	Destination   banking.AccountID     `json:"destination_account_id"`
}

// idemKey is the caller's idempotent_key, or "".
func (c Caller) idemKey() string {
	if c.Idem == nil {
		return ""
	}
	return c.Idem.ref.Key
}

// BookTransfer moves money between two RBAs of the caller's program
// (section 4.1), checking in section 4's order: the body (400, the
// idempotent_key included), the ids (404), then under both accounts' locks
// blocked, not_verified, account_not_active and insufficient_funds (409).
// It answers the transaction, pending; its settlement is due at once (or
// after Config.BookSettleDelay).
func (s *Service) BookTransfer(ctx context.Context, c Caller, in banking.BookTransferInput) (banking.Transaction, error) {
	in.HasKey = c.Idem != nil
	bt, err := banking.ParseBookTransfer(c.ProgramID, in)
	if err != nil {
		return banking.Transaction{}, err
	}
	now := s.nowFor(c.ProgramID)
	t := banking.Transaction{
		ID: banking.NewID[banking.TransactionID](now), ProgramID: c.ProgramID, Amount: bt.Amount,
		Status: banking.TxPending, Category: banking.CategoryBookTransfer, Method: banking.MethodBook,
		OriginatorType: bt.Source.Type, OriginatorID: bt.Source.EntityID,
		SourceAccountID: bt.Source.Account, DestinationAccountID: bt.Destination.Account,
		Description: bt.Description, Reference: bt.Reference, Metadata: bt.Metadata,
		IdempotentKey: c.idemKey(), CreatedAt: now, UpdatedAt: now,
	}
	m, err := s.movement(t, banking.EventTransferCreated, c.actor())
	if err != nil {
		return banking.Transaction{}, err
	}
	s.delayOrTake(m.Settle, s.bookDelay)
	return s.doMovement(ctx, c, store.BookTransferWork(c.ProgramID, bt.Source, bt.Destination, m))
}

// SimulateInbound puts money into RBA rawAccount from outside (sandbox.md
// section 1): by ACH it is pending, then settled by its job (due after the
// sandbox rail's delay, Config.ACHSettleDelay); by wire it is
// completed at once. An account of a blocked holder receives nothing (409
// blocked, businesses.md section 7), nor does a closed one (409
// account_not_active); a frozen one does. currency is nil when none was
// sent.
func (s *Service) SimulateInbound(ctx context.Context, c Caller, rawAccount, amount, rail, description string, currency *string) (banking.Transaction, error) {
	in, err := banking.ParseInboundTransfer(rawAccount, amount, rail, description, currency)
	if err != nil {
		return banking.Transaction{}, err
	}
	now := s.nowFor(c.ProgramID)
	t := banking.Transaction{
		ID: banking.NewID[banking.TransactionID](now), ProgramID: c.ProgramID, Amount: in.Amount,
		Status: banking.TxPending, Category: banking.CategoryInboundTransfer, Method: banking.Method(in.Rail),
		OriginatorType: banking.EntityProgram, OriginatorID: string(c.ProgramID),
		SourceAccountID: banking.ClearingAccountID(c.ProgramID), DestinationAccountID: in.Account,
		Description: in.Description, IdempotentKey: c.idemKey(), CreatedAt: now, UpdatedAt: now,
	}
	typ := banking.EventTransferCreated
	if in.Rail == banking.RailWire {
		t.Status, t.PostingDate, typ = banking.TxCompleted, now, banking.EventTransferCompleted
	}
	m, err := s.movement(t, typ, c.actor())
	if err != nil {
		return banking.Transaction{}, err
	}
	if m.Settle != nil {
		s.delayOrTake(m.Settle, s.achDelay)
	}
	return s.doMovement(ctx, c, store.InboundWork(c.ProgramID, m))
}

// movement is t with its event and, when pending, its settlement job, due
// at once.
func (s *Service) movement(t banking.Transaction, typ banking.EventType, actor string) (store.Movement, error) {
	m := store.Movement{Tx: t, Event: banking.NewTransferEvent(&t, typ, actor, nil, t.CreatedAt)}
	if t.Status != banking.TxPending {
		return m, nil
	}
	payload, err := json.Marshal(settleJob{TransactionID: t.ID, Source: t.SourceAccountID, Destination: t.DestinationAccountID})
	if err != nil {
		return m, banking.Internal(err)
	}
	m.Settle = &store.NewJob{Program: t.ProgramID, Kind: jobSettle, Payload: payload, RunAt: t.CreatedAt}
	return m, nil
}

// doMovement runs the one Work of a movement call.
func (s *Service) doMovement(ctx context.Context, c Caller, w store.Work) (banking.Transaction, error) {
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.Transaction{}, err
	}
	return v.(banking.Transaction), nil
}

// runSettle is the handler of a settlement job: it completes the pending
// transaction, posting its entries, in the Work that also completes the
// job, so it happens once however many processes try. A transaction
// decided meanwhile is left as it is.
func (s *Service) runSettle(ctx context.Context, j store.Job) error {
	var p settleJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return banking.Errorf(banking.CodeInvalid, "settlement job payload: %v", err)
	}
	now := s.nowFor(j.Program)
	w := store.SettleWork(j.Program, p.TransactionID, p.Source, p.Destination,
		store.Settlement{Status: banking.TxCompleted, At: now}, func(t *banking.Transaction) banking.Event {
			return banking.NewTransferEvent(t, banking.EventTransferCompleted, settleActor, nil, now)
		})
	w.Job = &j
	_, err := s.store.Do(ctx, w)
	if banking.IsCode(err, banking.CodeConflict) {
		return nil // another process holds the job now and settles it
	}
	return err
}
