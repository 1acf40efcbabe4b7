//go:build unix

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestBankExternal is the bank test with money crossing the installation's
// edge: concurrent clients top up business accounts from linked accounts
// and pay out to them (sandbox rail: normal ones complete, 0001 fails with
// R01, 0003 completes and is returned with R10) while book transfers move
// money between the accounts; settlements run in the background on every
// process (two on PostgreSQL), and node 0 is SIGKILLed and restarted
// mid-run. Then: the ledger's invariants hold (balances = entries, no RBA
// negative, every program's entries sum to zero, so money is conserved
// through the clearing account); the accounts hold exactly their opening
// balances plus completed top-ups minus completed payouts plus book
// transfers (a returned movement counts for nothing, its return undid it),
// less nothing owed; every movement was decided exactly once (one decision
// event, at most one return) and no rail job is left.
func TestBankExternal(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			b := newBank(t, eng, 0, 4, func(int) int64 { return 500_00 }, "--ach-settle-delay", "150ms",
				"--job-lease", "2s", "--idempotency-lease", "2s")
			owner := b.accounts[0].owner
			type linked struct{ id, last4 string }
			links := make([][]linked, len(b.accounts))
			for i, a := range b.accounts {
				for k, n := range []string{"4400006789", "4400000001", "4400000003"} {
					id := firstItemIDOf(t, b.client(0).call("users/bank-accounts/save", map[string]any{"user_id": owner,
						"business_id": a.business, "first_name": "Grace", "last_name": "Hopper", "account_number": n,
						"routing_number": "021000021", "idempotent_key": fmt.Sprintf("link-%d-%d", i, k)}).ok(t))
					links[i] = append(links[i], linked{id, n[len(n)-4:]})
				}
			}
			st := b.openStore()
			var mu sync.Mutex
			acked := map[string]string{} // transaction id -> category
			refused := map[string]int{}
			deadline := time.Now().Add(bankRun)
			var wg sync.WaitGroup
			for w := range bankClients {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
					for k := 0; time.Now().Before(deadline); k++ {
						i := rng.IntN(len(b.accounts))
						a, l := b.accounts[i], links[i][rng.IntN(3)]
						amount := banking.FormatAmount(int64(1 + rng.IntN(150_00)))
						key := fmt.Sprintf("ext-%d-%d", w, k)
						path, body := "", map[string]any{"user_id": owner, "amount": amount, "idempotent_key": key}
						switch rng.IntN(3) {
						case 0:
							path = "user/charge-bank-account-fund-business-routable-bank-account"
							body["account_id"], body["receiver_business_id"], body["routable_bank_account_id"] = l.id, a.business, a.id
						case 1:
							path = "payout/business/routable-bank-account-to-linked-bank-account"
							body["business_id"], body["source_account_id"], body["destination_account_id"] = a.business, a.id, l.id
						default:
							path = transferPath
							j := (i + 1 + rng.IntN(len(b.accounts)-1)) % len(b.accounts)
							body = map[string]any{"amount": amount, "description": "bank test", "idempotent_key": key}
							for k, v := range a.side("source") {
								body[k] = v
							}
							for k, v := range b.accounts[j].side("destination") {
								body[k] = v
							}
						}
						// Sent again under its key until answered: the
						// server may be down, or the key in flight.
						var status int
						var answer map[string]any
						for try := 0; try < 200; try++ {
							status, answer = rawCallJSON(b.client(w), path, body)
							if status != 0 && status < 500 && !(status == http.StatusConflict &&
								strings.Contains(fmt.Sprint(answer["message"]), "still in progress")) {
								break
							}
							time.Sleep(25 * time.Millisecond)
						}
						mu.Lock()
						switch {
						case status == http.StatusOK:
							acked[firstItemID(answer)] = path
						case status == http.StatusConflict:
							e, _ := answer["error"].(map[string]any)
							refused[fmt.Sprint(e["code"])]++
						default:
							t.Errorf("%s %s answered %d %v", path, key, status, answer)
						}
						mu.Unlock()
					}
				})
			}
			time.Sleep(bankRun / 2)
			b.restart(0)
			wg.Wait()

			// Wait until every decision, returns included, has run.
			for end := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				var pending, jobs int
				st.DB().QueryRow(`SELECT count(*) FROM ledger_transactions WHERE status = 'pending'`).Scan(&pending)
				st.DB().QueryRow(`SELECT count(*) FROM jobs WHERE kind IN ('rail.settle', 'transfer.settle')`).Scan(&jobs)
				if pending == 0 && jobs == 0 {
					break
				}
				if time.Now().After(end) {
					t.Fatalf("%d pending, %d settlement jobs left after 60 s", pending, jobs)
				}
			}
			ctx := context.Background()
			rep, err := st.CheckLedger(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rep.Problems {
				t.Errorf("ledger: %s", p)
			}
			// The accounts hold what the decided movements say.
			want := b.total
			byStatus := map[string]int{}
			rows, err := st.DB().Query(`SELECT id, category, status, amount, source_account_id, destination_account_id
				FROM ledger_transactions WHERE category IN ('top_up', 'payout', 'book_transfer')`)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id, cat, status, src, dst string
				var amount int64
				if err := rows.Scan(&id, &cat, &status, &amount, &src, &dst); err != nil {
					t.Fatal(err)
				}
				if _, ok := acked[id]; !ok {
					t.Errorf("transaction %s (%s) was never acknowledged", id, cat)
				}
				n++
				byStatus[cat+" "+status]++
				if status != "completed" {
					continue
				}
				switch cat {
				case "top_up":
					want += amount
				case "payout":
					want -= amount
				}
			}
			rows.Close()
			if n != len(acked) {
				t.Errorf("%d movements in the ledger, %d acknowledged", n, len(acked))
			}
			var held, owed int64
			for _, a := range b.accounts {
				acct, err := st.Account(ctx, banking.ProgramID(b.program), banking.AccountID(a.id))
				if err != nil {
					t.Fatal(err)
				}
				held += acct.Balance.Posted
				owed += acct.Balance.Overdraft
			}
			if held-owed != want {
				t.Errorf("the accounts hold %s (owing %s), want %s", banking.FormatAmount(held), banking.FormatAmount(owed), banking.FormatAmount(want))
			}
			// Each movement decided once: one decision event, at most one
			// return, and every returned one has exactly one.
			var twice, returnsTwice, unreturned int
			st.DB().QueryRow(`SELECT count(*) FROM (SELECT subject_id FROM events WHERE type IN
				('transfer.completed', 'transfer.failed', 'transfer.blocked') GROUP BY subject_id HAVING count(*) > 1) d`).Scan(&twice)
			st.DB().QueryRow(`SELECT count(*) FROM (SELECT reversed_transaction_id FROM ledger_transactions
				WHERE category = 'return' GROUP BY reversed_transaction_id HAVING count(*) > 1) d`).Scan(&returnsTwice)
			st.DB().QueryRow(`SELECT count(*) FROM ledger_transactions t WHERE t.status = 'returned' AND NOT EXISTS
				(SELECT 1 FROM ledger_transactions r WHERE r.reversed_transaction_id = t.id)`).Scan(&unreturned)
			if twice != 0 || returnsTwice != 0 || unreturned != 0 {
				t.Errorf("decided twice: %d; returned twice: %d; returned without a return: %d", twice, returnsTwice, unreturned)
			}
			for _, want := range []string{"top_up completed", "top_up failed", "top_up returned", "payout completed"} {
				if byStatus[want] == 0 {
					t.Errorf("no %s movement: the run proves little (%v)", want, byStatus)
				}
			}
			if r := runCLI(t, b.env, "audit", "verify", "--db", b.dsn); r.code != 0 {
				t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			t.Logf("bank test with external movements on %s (%d processes, node 0 SIGKILLed mid-run): %d movements "+
				"acknowledged %v, refused %v; accounts hold %s, owing %s; ledger: %d accounts, %d transactions, %d entries",
				eng.Name, len(b.nodes), len(acked), byStatus, refused, banking.FormatAmount(held), banking.FormatAmount(owed),
				rep.Accounts, rep.Transactions, rep.Entries)
		})
	}
}
