//go:build unix

package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestBankHotAccount: eight clients all paying out of the program master
// account at once, through every process, until it runs dry: no deadlock
// (every request answered, none a 5xx; PostgreSQL counts no deadlock), no
// lost update (every balance exact), and the ledger's invariants.
func TestBankHotAccount(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			b := newBank(t, eng, 10, 0, func(int) int64 { return 10_00 })
			const funds = 400_00
			b.fund(b.master, funds, "wire")
			st := b.openStore()
			deadlocks := func() (n int64) {
				if eng.Name == "postgres" {
					if err := st.DB().QueryRow(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
						t.Fatal(err)
					}
				}
				return n
			}
			before := deadlocks()
			master := bankAccount{typ: "program", entity: b.program, id: b.master}
			load := &bankLoad{}
			// At least 3 s, and on until the master account ran dry (a
			// race-instrumented binary is slow), at most 20 s.
			start := time.Now()
			var dry atomic.Bool
			more := func() bool {
				return time.Since(start) < 3*time.Second || !dry.Load() && time.Since(start) < 20*time.Second
			}
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
					for k := 0; more(); k++ {
						j := rng.IntN(len(b.accounts))
						amount := int64(1 + rng.IntN(5_00))
						body := map[string]any{"amount": banking.FormatAmount(amount), "description": "payout",
							"idempotent_key": fmt.Sprintf("hot-%d-%d", w, k)}
						for k, v := range master.side("source") {
							body[k] = v
						}
						for k, v := range b.accounts[j].side("destination") {
							body[k] = v
						}
						a := &attempt{key: body["idempotent_key"].(string), body: body, from: -1, to: j, amount: amount, sent: time.Now()}
						if !a.send(b.client(w)) {
							t.Errorf("transfer %s got no answer", a.key)
						}
						if a.code == "insufficient_funds" {
							dry.Store(true)
						}
						load.mu.Lock()
						load.attempts = append(load.attempts, a)
						load.mu.Unlock()
					}
				})
			}
			wg.Wait()
			b.waitSettled(30 * time.Second)

			paid := int64(0)
			want := make([]int64, len(b.accounts))
			var acked, refused int
			for _, a := range load.attempts {
				switch {
				case a.status == http.StatusOK:
					acked++
					paid += a.amount
					want[a.to] += a.amount
				case a.status == http.StatusConflict && a.code == "insufficient_funds":
					refused++
				default:
					t.Errorf("transfer %s: %d %s", a.key, a.status, a.code)
				}
			}
			d := b.client(0).call("balance/program-master-rba", map[string]any{}).ok(t).data(t)
			if got, _ := parseBalance(d["available_balance"].(string)); got != funds-paid || d["pending_balance"] != "0.00" {
				t.Errorf("master balance %v, want %s: a lost update", d, banking.FormatAmount(funds-paid))
			}
			for i, a := range b.accounts {
				d := b.client(i).call("balance/user", a.balanceBody()).ok(t).data(t)
				if got, _ := parseBalance(d["available_balance"].(string)); got != a.opening+want[i] {
					t.Errorf("account %d: %v, want %s", i, d, banking.FormatAmount(a.opening+want[i]))
				}
			}
			rep, err := st.CheckLedger(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rep.Problems {
				t.Errorf("ledger: %s", p)
			}
			if n := deadlocks() - before; n != 0 {
				t.Errorf("PostgreSQL detected %d deadlocks", n)
			}
			if refused == 0 {
				t.Errorf("the master account never ran dry: the run proves nothing about overdrafts")
			}
			t.Logf("hot account %s (%d processes, 8 clients, %v): %d payouts from the master account attempted, %d acknowledged "+
				"(%s paid of %s), %d refused insufficient_funds; master and %d destination balances exact; ledger invariants over %d "+
				"transactions; PostgreSQL deadlocks: %d", eng.Name, len(b.nodes), time.Since(start).Round(100*time.Millisecond), len(load.attempts), acked,
				banking.FormatAmount(paid), banking.FormatAmount(funds), refused, len(b.accounts), rep.Transactions, deadlocks()-before)
		})
	}
}

// TestBankBlockMidRun: transfers run among accounts of a user, of the
// businesses that user owns and of others; the user is blocked in the
// middle. Every transfer sent after the block's answer that touches the
// user's account or a business of theirs is 409 blocked, through every
// process; the others go on; the invariants hold.
func TestBankBlockMidRun(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			b := newBank(t, eng, 8, 2, bankOpening)
			owner := b.accounts[len(b.accounts)-1].owner
			own := firstItemIDOf(t, b.client(0).call("user/routable-bank-accounts/issue", map[string]any{"user_id": owner}).ok(t))
			b.accounts = append(b.accounts, bankAccount{typ: "user", entity: owner, id: own, owner: owner, opening: 500_00})
			b.total += 500_00
			b.fund(own, 500_00, "wire")
			touches := func(a *attempt) bool { return b.accounts[a.from].owner == owner || b.accounts[a.to].owner == owner }

			var blockedAt time.Time
			load := b.run(bankClients, 3*time.Second, func() {
				b.client(1).call("user/block", map[string]any{"user_id": owner, "reason": "bank test"}).ok(t)
				blockedAt = time.Now()
			})
			var after, refusedAfter, otherAfter, touchedBefore int
			for _, a := range load.attempts {
				switch {
				case a.sent.After(blockedAt) && touches(a):
					after++
					if a.status == http.StatusConflict && a.code == "blocked" {
						refusedAfter++
					} else {
						t.Errorf("transfer %s sent %v after the block touches the blocked user: %d %s",
							a.key, a.sent.Sub(blockedAt), a.status, a.code)
					}
				case a.sent.After(blockedAt) && a.status == http.StatusOK:
					otherAfter++
				case a.sent.Before(blockedAt) && touches(a) && a.status == http.StatusOK:
					touchedBefore++
				}
			}
			if after == 0 || otherAfter == 0 || touchedBefore == 0 {
				t.Errorf("after the block: %d transfers touched the user, %d others done; before it %d touched the user: "+
					"the run proves nothing", after, otherAfter, touchedBefore)
			}
			b.check(load, " with a user blocked mid-run", "blocked")
			t.Logf("block %s: %d transfers touching the user or their businesses before the block were acknowledged; "+
				"after the block answer, %d touched them, all %d refused blocked, and %d others were acknowledged",
				eng.Name, touchedBefore, after, refusedAfter, otherAfter)
		})
	}
}
