package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// fundTx puts amount cents into RBA id from outside, completed at once,
// and returns the transaction.
func fundTx(t *testing.T, s *store.Store, pid banking.ProgramID, id banking.AccountID, amount int64) banking.Transaction {
	t.Helper()
	return inboundTx(t, s, pid, id, amount, banking.TxCompleted, banking.MethodWire)
}

// inboundTx records amount cents entering RBA id from outside (the
// program's clearing account) by method, in status, and returns the
// transaction.
func inboundTx(t *testing.T, s *store.Store, pid banking.ProgramID, id banking.AccountID, amount int64, status banking.TxStatus, method banking.Method) banking.Transaction {
	t.Helper()
	m := movement(pid, "", id, amount, status)
	m.Tx.Category, m.Tx.Method = banking.CategoryInboundTransfer, method
	v, err := s.Do(context.Background(), store.InboundWork(pid, m))
	if err != nil {
		t.Fatalf("inbound %s to %s: %v", status, id, err)
	}
	return v.(banking.Transaction)
}

// returnOf returns completed transaction tr (an ACH return).
func returnOf(t *testing.T, s *store.Store, tr banking.Transaction) {
	t.Helper()
	r := banking.Transaction{ID: banking.NewID[banking.TransactionID](t0), CreatedAt: t0, UpdatedAt: t0}
	v, err := s.Do(context.Background(), store.ReturnWork(tr.ProgramID, tr.ID, tr.SourceAccountID, tr.DestinationAccountID,
		"R10 customer advises not authorized", r, func(orig, ret *banking.Transaction) (banking.Event, banking.Event) {
			return banking.NewTransferEvent(orig, banking.EventTransferReturned, "test", nil, t0),
				banking.NewTransferEvent(ret, banking.EventTransferCompleted, "test", nil, t0)
		}))
	if err != nil || v == nil {
		t.Fatalf("return %s: %v, %v", tr.ID, v, err)
	}
}

// overdrawn is an RBA that owes owed cents: funded, the money spent on a
// transfer to the master account, then the funding returned.
func overdrawn(t *testing.T, s *store.Store, email string, owed int64) (banking.Program, banking.Account) {
	t.Helper()
	p := mustProgram(t, s, "hu_"+email)
	a := mustIssue(t, s, verifiedUser(t, s, p.ID, email), "")
	in := fundTx(t, s, p.ID, a.ID, owed)
	tr, err := transfer(s, p.ID, userSide(a), masterSide(p.ID), owed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := settle(s, tr, banking.TxCompleted); err != nil {
		t.Fatal(err)
	}
	returnOf(t, s, in)
	if b := balanceOf(t, s, p.ID, a.ID); b.Overdraft != owed || b.Available() != 0 {
		t.Fatalf("after returning spent money: %+v, want overdraft %d and nothing available", b, owed)
	}
	return p, a
}

// TestConcurrentCreditsRepayOnce: many credits to an account that owes,
// at once (each its own Work, in parallel on PostgreSQL), repay exactly
// what it owes and no more; the rest is available and the ledger exact.
func TestConcurrentCreditsRepayOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		p, a := overdrawn(t, s, "many@example.com", 45_50)
		const n, each = 40, 1_00 // 40.00 in: 5.50 still owed
		credit := func(amount int64) {
			m := movement(p.ID, "", a.ID, amount, banking.TxCompleted)
			m.Tx.Category, m.Tx.Method = banking.CategoryInboundTransfer, banking.MethodWire
			if _, err := s.Do(context.Background(), store.InboundWork(p.ID, m)); err != nil {
				t.Errorf("credit: %v", err) // not Fatal: another goroutine
			}
		}
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { credit(each) })
		}
		wg.Wait()
		if b := balanceOf(t, s, p.ID, a.ID); b.Overdraft != 5_50 || b.Available() != 0 {
			t.Errorf("after 40.00 of credits: %+v, want 5.50 owed and nothing available", b)
		}
		for range 3 {
			wg.Go(func() { credit(3_00) })
		}
		wg.Wait()
		if b := balanceOf(t, s, p.ID, a.ID); b.Overdraft != 0 || b.Available() != 3_50 {
			t.Errorf("after 9.00 more: %+v, want nothing owed and 3.50 available", b)
		}
		mustLedger(t, s)
	})
}

// TestLedgerCheckOverdraftWithMoney: the ledger check reports an account
// that owes while it has money available, and migration 0016 repays such
// an account (left by credits before credits repaid) out of what it has.
func TestLedgerCheckOverdraftWithMoney(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		p, a := overdrawn(t, s, "legacy@example.com", 30_00)
		// As a credit of 50.00 booked before this rule left it: posted up
		// by 50.00, the overdraft untouched (the entries match: a credit's
		// entry is raised by as much).
		fund(t, s, p.ID, a.ID, 50_00)
		q := `UPDATE accounts SET posted = posted + 3000, overdraft = overdraft + 3000 WHERE id = ?`
		if s.Engine() == store.Postgres {
			q = strings.Replace(q, "?", "$1", 1)
		}
		if _, err := s.DB().Exec(q, a.ID); err != nil {
			t.Fatal(err)
		}
		if b := balanceOf(t, s, p.ID, a.ID); b.Overdraft != 30_00 || b.Available() != 50_00 {
			t.Fatalf("legacy state %+v, want 30.00 owed and 50.00 available", b)
		}
		r, err := s.CheckLedger(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := "account " + string(a.ID) + ": owes 30.00 while 50.00 is available"
		if len(r.Problems) != 1 || r.Problems[0] != want {
			t.Errorf("ledger problems = %q, want [%q]", r.Problems, want)
		}

		ms, err := store.Migrations(s.Engine())
		if err != nil {
			t.Fatal(err)
		}
		var sql string
		for _, m := range ms {
			if m.Version == 16 {
				sql = m.SQL
			}
		}
		if !strings.Contains(sql, "overdraft") {
			t.Fatalf("migration 0016 not found or not about overdrafts: %q", sql)
		}
		if _, err := s.DB().Exec(sql); err != nil {
			t.Fatal(err)
		}
		if b := balanceOf(t, s, p.ID, a.ID); b.Overdraft != 0 || b.Available() != 20_00 {
			t.Errorf("after migration 0016: %+v, want nothing owed and 20.00 available", b)
		}
		mustLedger(t, s)
	})
}
