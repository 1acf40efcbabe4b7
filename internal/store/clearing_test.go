package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// pendingInbound records amount cents entering RBA id from outside,
// pending: a movement from the program's clearing account, the kind of
// movement whose settlement defers its clearing delta (clearing.go).
func pendingInbound(t *testing.T, s *store.Store, pid banking.ProgramID, id banking.AccountID, amount int64) banking.Transaction {
	t.Helper()
	return inboundTx(t, s, pid, id, amount, banking.TxPending, banking.MethodACH)
}

func clearingBalance(t *testing.T, s *store.Store, pid banking.ProgramID) banking.Balance {
	t.Helper()
	b, err := store.ClearingBalance(context.Background(), s, pid)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSettlementsSumClearingExactly: many settlements of one program's
// external movements, from two pools on one database (two processes) at
// once, so they share groups and the groups race, while inbound transfers
// completed at once move the clearing account in their own works; its
// balance, written once per group, ends as exact as one write per
// settlement would leave it: completed amounts posted out of it, failed
// ones released, nothing pending, every balance in step with its entries.
func TestSettlementsSumClearingExactly(t *testing.T) {
	forEachEngineDSN(t, func(t *testing.T, dsn string, s1 *store.Store) {
		s2 := openStore(t, dsn)
		p := mustProgram(t, s1, "hu_clearing")
		const accounts, each = 4, 30
		var rbas []banking.AccountID
		for i := range accounts {
			rbas = append(rbas, mustIssue(t, s1, verifiedUser(t, s1, p.ID, fmt.Sprintf("c%d@x.io", i)), "").ID)
		}
		var pending []banking.Transaction
		want := map[banking.AccountID]int64{}
		var completed int64
		for i := range accounts * each {
			tr := pendingInbound(t, s1, p.ID, rbas[i%accounts], int64(100+i))
			pending = append(pending, tr)
			if i%5 != 0 { // every fifth fails
				want[tr.DestinationAccountID] += tr.Amount
				completed += tr.Amount
			}
		}
		// Inbound transfers completed at once meanwhile: works that name
		// the clearing account and write it themselves, racing the groups
		// that write it once at their end.
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Go(func() {
				s := []*store.Store{s1, s2}[w%2]
				for i := w; i < len(pending); i += 16 {
					to := banking.TxCompleted
					if i%5 == 0 {
						to = banking.TxFailed
					}
					v, err := settle(s, pending[i], to)
					if err != nil || v == nil {
						t.Errorf("settle %d: %v (answer %v)", i, err, v)
					}
					if i%3 == 0 {
						id, amount := rbas[(i+1)%accounts], int64(7+i)
						m := movement(p.ID, "", id, amount, banking.TxCompleted)
						m.Tx.Category, m.Tx.Method = banking.CategoryInboundTransfer, banking.MethodWire
						if _, err := s.Do(context.Background(), store.InboundWork(p.ID, m)); err != nil {
							t.Errorf("inbound %d: %v", i, err)
							continue
						}
						mu.Lock()
						want[id] += amount
						completed += amount
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if store.LargestGroup(s1) < 2 && store.LargestGroup(s2) < 2 {
			t.Errorf("no group held two works: the test wants settlements sharing a group")
		}
		if d := store.Deadlocks(s1) + store.Deadlocks(s2); d != 0 {
			t.Errorf("%d deadlock victims, want 0", d)
		}
		c := clearingBalance(t, s1, p.ID)
		if c != (banking.Balance{Posted: -completed}) {
			t.Errorf("clearing balance %+v, want posted %d, nothing pending or owed", c, -completed)
		}
		for _, id := range rbas {
			if b := balanceOf(t, s1, p.ID, id); b.Posted != want[id] || b.PendingCredits != 0 {
				t.Errorf("%s: posted %d, pending credits %d; want %d, 0", id, b.Posted, b.PendingCredits, want[id])
			}
		}
		mustLedger(t, s1)
	})
}

// TestSettlementsDoNotWaitOnClearing: on PostgreSQL, a settlement of a
// program commits while another group, mid-way through a settlement of the
// same program (another account), holds its locks: settlements name no
// clearing account, so one program's settlement groups do not run one at a
// time (issue 13's backlog). Both then leave the clearing balance exact.
func TestSettlementsDoNotWaitOnClearing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		if s.Engine() != store.Postgres {
			t.Skip("SQLite runs one group at a time by design")
		}
		p := mustProgram(t, s, "hu_nowait")
		a := mustIssue(t, s, verifiedUser(t, s, p.ID, "a@x.io"), "")
		b := mustIssue(t, s, verifiedUser(t, s, p.ID, "b@x.io"), "")
		ta, tb := pendingInbound(t, s, p.ID, a.ID, 1_00), pendingInbound(t, s, p.ID, b.ID, 2_00)

		entered, release := make(chan struct{}), make(chan struct{})
		w := store.SettleWork(p.ID, ta.ID, ta.SourceAccountID, ta.DestinationAccountID,
			store.Settlement{Status: banking.TxCompleted, At: t0}, func(x *banking.Transaction) banking.Event {
				return banking.NewTransferEvent(x, banking.EventTransferCompleted, "test", nil, t0)
			})
		run := w.Run
		w.Run = func(ctx context.Context, tx *store.Tx) (any, error) {
			v, err := run(ctx, tx)
			close(entered)
			<-release // the group keeps its locks meanwhile
			return v, err
		}
		doneA := make(chan error, 1)
		go func() { _, err := s.Do(context.Background(), w); doneA <- err }()
		<-entered
		doneB := make(chan error, 1)
		go func() { _, err := settle(s, tb, banking.TxCompleted); doneB <- err }()
		var errB error
		select {
		case errB = <-doneB:
		case <-time.After(10 * time.Second):
			t.Errorf("a settlement of the same program waited 10 s for another group's settlement")
			close(release)
			errB = <-doneB
		}
		if errB != nil {
			t.Errorf("settle b: %v", errB)
		}
		select {
		case <-release:
		default:
			close(release)
		}
		if err := <-doneA; err != nil {
			t.Errorf("settle a: %v", err)
		}
		if c := clearingBalance(t, s, p.ID); c != (banking.Balance{Posted: -3_00}) {
			t.Errorf("clearing balance %+v, want posted -300, nothing pending or owed", c)
		}
		mustLedger(t, s)
	})
}
