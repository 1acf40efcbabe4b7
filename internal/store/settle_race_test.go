package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// TestSettlementsRaceTransfersAcrossProcesses: through two stores on one
// database (two processes), new transfers among a few RBAs (one of them
// owing an overdraft) and inbound movements to them are each decided
// twice at once, once by each process, completed, failed or blocked at
// random, while other transfers and decisions of the same accounts run:
// every movement is decided exactly once (one answer, one decision event,
// its status the one answered), no deadlock, the total of the RBAs and the
// clearing account unchanged, and every balance equal to its entries. On
// PostgreSQL each decision is one statement (settleInOne), so this is
// where its row locks meet the transfers'.
func TestSettlementsRaceTransfersAcrossProcesses(t *testing.T) {
	forEachEngineDSN(t, func(t *testing.T, dsn string, s1 *store.Store) {
		ctx := context.Background()
		s2 := openStore(t, dsn)
		p := mustProgram(t, s1, "hu_settle_race")
		const n = 4
		var sides []banking.Side
		for i := range n {
			a := mustIssue(t, s1, verifiedUser(t, s1, p.ID, fmt.Sprintf("r%d@x.io", i)), "")
			fund(t, s1, p.ID, a.ID, 200_00)
			sides = append(sides, userSide(a))
		}
		// sides[0] owes 150.00: 300.00 more came in and went out, then came
		// back (an ACH return takes what is available, the rest is owed).
		extra := inboundTx(t, s1, p.ID, sides[0].Account, 300_00, banking.TxCompleted, banking.MethodACH)
		out, err := transfer(s1, p.ID, sides[0], sides[1], 350_00)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := settle(s1, out, banking.TxCompleted); err != nil {
			t.Fatal(err)
		}
		returnOf(t, s1, extra)
		if a, err := s1.Account(ctx, p.ID, sides[0].Account); err != nil || a.Balance.Overdraft != 150_00 {
			t.Fatalf("set-up: %s owes %+v (%v), want 150.00", sides[0].Account, a.Balance, err)
		}
		total := func() int64 {
			var sum int64
			for _, sd := range sides {
				b := balanceOf(t, s1, p.ID, sd.Account)
				sum += b.Posted - b.Overdraft
			}
			return sum + clearingBalance(t, s1, p.ID).Posted
		}
		before := total()

		outcomes := []banking.TxStatus{banking.TxCompleted, banking.TxCompleted, banking.TxFailed, banking.TxBlocked}
		var mu sync.Mutex
		decided := map[banking.TransactionID]banking.TxStatus{}
		var refused atomic.Int64
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				for k := range 25 {
					var tr banking.Transaction
					if k%4 == 3 {
						m := movement(p.ID, "", sides[rng.IntN(n)].Account, int64(1+rng.IntN(90_00)), banking.TxPending)
						m.Tx.Category, m.Tx.Method = banking.CategoryInboundTransfer, banking.MethodACH
						v, err := []*store.Store{s1, s2}[w%2].Do(ctx, store.InboundWork(p.ID, m))
						if err != nil {
							t.Errorf("inbound: %v", err)
							continue
						}
						tr = v.(banking.Transaction)
					} else {
						i := rng.IntN(n)
						j := (i + 1 + rng.IntN(n-1)) % n
						var err error
						tr, err = transfer([]*store.Store{s1, s2}[w%2], p.ID, sides[i], sides[j], int64(1+rng.IntN(90_00)))
						if banking.IsCode(err, banking.CodeInsufficientFunds) {
							refused.Add(1)
							continue
						}
						if err != nil {
							t.Errorf("transfer: %v", err)
							continue
						}
					}
					// Both processes decide it at once, each its own way.
					var answers [2]any
					var errs [2]error
					to := [2]banking.TxStatus{outcomes[rng.IntN(len(outcomes))], outcomes[rng.IntN(len(outcomes))]}
					var race sync.WaitGroup
					for x, s := range []*store.Store{s1, s2} {
						race.Go(func() { answers[x], errs[x] = settle(s, tr, to[x]) })
					}
					race.Wait()
					var got []banking.TxStatus
					for x := range 2 {
						if errs[x] != nil {
							t.Errorf("settle %s as %s: %v", tr.ID, to[x], errs[x])
						}
						if v, ok := answers[x].(banking.Transaction); ok {
							got = append(got, v.Status)
						}
					}
					if len(got) != 1 {
						t.Errorf("%s decided %d times (%v), want once", tr.ID, len(got), got)
						continue
					}
					mu.Lock()
					decided[tr.ID] = got[0]
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if d := store.Deadlocks(s1) + store.Deadlocks(s2); d != 0 {
			t.Errorf("%d deadlock victims, want 0", d)
		}
		if len(decided) == 0 || refused.Load() == 0 {
			t.Errorf("%d movements decided, %d refused: the test wants both", len(decided), refused.Load())
		}
		for id, want := range decided {
			tr, err := s1.Transaction(ctx, p.ID, id)
			if err != nil || tr.Status != want {
				t.Errorf("%s: status %s (%v), answered %s", id, tr.Status, err, want)
			}
			evs, _, err := s1.Events(ctx, p.ID, string(id), 1, 10)
			if err != nil || len(evs) != 2 {
				t.Errorf("%s: %d audit events (%v), want its creation and one decision", id, len(evs), err)
			}
		}
		for _, sd := range sides {
			if b := balanceOf(t, s1, p.ID, sd.Account); b.PendingDebits != 0 || b.PendingCredits != 0 {
				t.Errorf("%s still has pending money: %+v", sd.Account, b)
			}
		}
		if after := total(); after != before {
			t.Errorf("RBAs and clearing hold %s in all, want %s as before", banking.FormatAmount(after), banking.FormatAmount(before))
		}
		mustLedger(t, s1)
	})
}

// TestReleasedFundsRepayAnOverdraft: an RBA with a transfer out still
// pending whose funding comes back (an ACH return takes only what is
// available, the rest is owed): when the transfer fails or is blocked,
// the funds it held are released and repay what the account owes first,
// on the source's side of the settlement (on PostgreSQL settleInOne's
// scaled repayment); when it completes, the debt stays.
func TestReleasedFundsRepayAnOverdraft(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		for i, c := range []struct {
			to   banking.TxStatus
			want banking.Balance
		}{
			{banking.TxFailed, banking.Balance{Posted: 40_00}},
			{banking.TxBlocked, banking.Balance{Posted: 40_00}},
			{banking.TxCompleted, banking.Balance{Posted: 0, Overdraft: 20_00}},
		} {
			p := mustProgram(t, s, fmt.Sprintf("hu_release%d", i))
			a := mustIssue(t, s, verifiedUser(t, s, p.ID, fmt.Sprintf("rel%d@x.io", i)), "")
			fund(t, s, p.ID, a.ID, 40_00)
			in := inboundTx(t, s, p.ID, a.ID, 100_00, banking.TxCompleted, banking.MethodACH)
			tr, err := transfer(s, p.ID, userSide(a), masterSide(p.ID), 60_00)
			if err != nil {
				t.Fatal(err)
			}
			returnOf(t, s, in) // 80.00 available of 100.00: 20.00 owed
			if b := balanceOf(t, s, p.ID, a.ID); b.Overdraft != 20_00 || b.PendingDebits != 60_00 {
				t.Fatalf("set-up: %+v, want 20.00 owed and 60.00 held", b)
			}
			if v, err := settle(s, tr, c.to); err != nil || v == nil {
				t.Fatalf("settle as %s: %v, %v", c.to, v, err)
			}
			if got := balanceOf(t, s, p.ID, a.ID); got != c.want {
				t.Errorf("%s: balance %+v, want %+v", c.to, got, c.want)
			}
		}
		mustLedger(t, s)
	})
}
