//go:build unix

package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// The bank test, in the manner of Jepsen's: accounts with known opening
// balances, concurrent clients moving money between them at random (some
// overdrawing on purpose) through every serving process, then the
// invariants: the total is unchanged, no available balance was ever
// negative (every balance read during the run is checked), every account's
// balance equals the sum of its entries, every acknowledged transfer is
// there once and every refused one left nothing. Run on PostgreSQL with two
// processes on one database, on SQLite with one; and again with a process
// SIGKILLed in the middle and restarted.

// Sizes of the bank test: bounded runs, a few seconds each.
const (
	bankUsers      = 45
	bankBusinesses = 5
	bankClients    = 10
	bankRun        = 4 * time.Second
)

// bankOpening is account i's opening balance: 100.00 and 7.00 more per
// account.
func bankOpening(i int) int64 { return 100_00 + int64(i)*7_00 }

func TestBankInvariants(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			b := newBank(t, eng, bankUsers, bankBusinesses, bankOpening)
			load := b.run(bankClients, bankRun, nil)
			b.check(load, "")
		})
	}
}

func TestBankInvariantsWithSIGKILL(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			// Settlements due 300 ms after each transfer, so that many are
			// pending when the process dies; short leases, so that the
			// settlements it had claimed run again soon after, and the keys
			// of its requests cut short are taken over by their retries.
			b := newBank(t, eng, bankUsers, bankBusinesses, bankOpening, "--book-settle-delay", "300ms",
				"--job-lease", "2s", "--idempotency-lease", "2s")
			st := b.openStore()
			load := b.run(bankClients, bankRun, func() {
				// Counted just before the kill: the restarted process may
				// settle them all before a count after it could run.
				var pending int
				if err := st.DB().QueryRow(`SELECT count(*) FROM ledger_transactions WHERE status = 'pending'`).Scan(&pending); err != nil {
					t.Error(err)
				}
				killedAt := time.Now()
				b.restart(0)
				t.Logf("%s: node 0 SIGKILLed and restarted in %v; %d transfers pending just before the kill", eng.Name,
					time.Since(killedAt).Round(time.Millisecond), pending)
				if pending == 0 {
					t.Errorf("no transfer was pending at the kill: the test proves nothing about them")
				}
			})
			b.check(load, " with node 0 SIGKILLed mid-run")
		})
	}
}

// run drives clients for d, each pairing random accounts and reading a
// random balance after every transfer. midway, when set, runs once half
// way through while the clients go on. Attempts left without an answer
// (their server died) are resolved afterwards under their keys.
func (b *bank) run(clients int, d time.Duration, midway func()) *bankLoad {
	load := &bankLoad{clients: clients, took: d}
	n := len(b.accounts)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			pick := func() (int, int) {
				i := rng.IntN(n)
				return i, (i + 1 + rng.IntN(n-1)) % n
			}
			for k := 0; time.Now().Before(deadline); k++ {
				a := b.randomTransfer(rng, fmt.Sprintf("bank-%d-%d", w, k), pick)
				a.sent = time.Now()
				if !a.send(b.client(w)) {
					load.retried.Add(1)
					time.Sleep(20 * time.Millisecond) // the server is down: do not spin
				}
				load.mu.Lock()
				load.attempts = append(load.attempts, a)
				load.mu.Unlock()
				b.checkRead(b.client(w+k), rng.IntN(n), load)
			}
		})
	}
	if midway != nil {
		time.Sleep(d / 2)
		midway()
	}
	wg.Wait()
	b.resolve(load)
	return load
}

// check asserts every invariant after a run and logs the figures. A
// refusal is insufficient_funds, or one of the codes also allowed.
func (b *bank) check(load *bankLoad, how string, also ...string) {
	t := b.t
	t.Helper()
	b.waitSettled(60 * time.Second)
	st := b.openStore()
	ctx := context.Background()

	acked := map[string]*attempt{}
	refused := map[string]int{}
	for _, a := range load.attempts {
		switch {
		case a.status == http.StatusOK:
			acked[a.id] = a
		case a.status == http.StatusConflict && (a.code == "insufficient_funds" || slices.Contains(also, a.code)):
			refused[a.code]++
		default:
			t.Errorf("transfer %s answered %d %s, want 200 or 409 insufficient_funds %v", a.key, a.status, a.code, also)
		}
		if a.amount == 9_999_999_00 && a.status == http.StatusOK {
			t.Errorf("transfer %s of %s was acknowledged: more money than the bank holds", a.key, banking.FormatAmount(a.amount))
		}
	}

	// 1. The ledger's own invariants: each balance equals the sum of its
	//    entries, every transaction's entries sum to zero, no RBA negative.
	rep, err := st.CheckLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Errorf("ledger: %s", p)
	}
	// 2. Every acknowledged transfer is there, once, completed, as asked.
	byKey := map[string]int{}
	rows, err := st.DB().Query(`SELECT id, idempotent_key, status, amount, source_account_id, destination_account_id
		FROM ledger_transactions WHERE category = 'book_transfer'`)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for rows.Next() {
		var id, key, status, src, dst string
		var amount int64
		if err := rows.Scan(&id, &key, &status, &amount, &src, &dst); err != nil {
			t.Fatal(err)
		}
		byKey[key]++
		a := acked[id]
		switch {
		case a == nil:
			t.Errorf("transaction %s (key %s) was never acknowledged", id, key)
		case status != "completed" || amount != a.amount || key != a.key ||
			src != b.accounts[a.from].id || dst != b.accounts[a.to].id:
			t.Errorf("transaction %s: %s %d %s→%s under %s, want completed %d %s→%s under %s", id, status, amount, src, dst,
				key, a.amount, b.accounts[a.from].id, b.accounts[a.to].id, a.key)
		default:
			found++
		}
	}
	rows.Close()
	if found != len(acked) {
		t.Errorf("%d of %d acknowledged transfers are in the ledger", found, len(acked))
	}
	// 3. Every refused one left nothing behind.
	for _, a := range load.attempts {
		if a.status != http.StatusOK && byKey[a.key] != 0 {
			t.Errorf("refused transfer %s left %d transactions", a.key, byKey[a.key])
		}
		if byKey[a.key] > 1 {
			t.Errorf("transfer %s is in the ledger %d times", a.key, byKey[a.key])
		}
	}
	// 4. The total is unchanged, nothing is pending, and every balance read
	//    through the API equals the ledger's (the sum of its entries, 1).
	var total int64
	want := map[string]int64{}
	for _, a := range b.accounts {
		want[a.id] = a.opening
	}
	for _, a := range acked {
		want[b.accounts[a.from].id] -= a.amount
		want[b.accounts[a.to].id] += a.amount
	}
	for i, a := range b.accounts {
		d := b.client(i).call("balance/user", a.balanceBody()).ok(t).data(t)
		avail, _ := parseBalance(d["available_balance"].(string))
		if d["pending_balance"] != "0.00" || avail != want[a.id] {
			t.Errorf("account %d (%s): %v, want available %s and nothing pending", i, a.id, d, banking.FormatAmount(want[a.id]))
		}
		total += avail
	}
	if total != b.total {
		t.Errorf("total %s, want the opening %s", banking.FormatAmount(total), banking.FormatAmount(b.total))
	}
	// 5. Every movement wrote its events, and the audit chain is intact.
	var created, completed, txs int
	st.DB().QueryRow(`SELECT count(*) FROM events WHERE type = 'transfer.created'`).Scan(&created)
	st.DB().QueryRow(`SELECT count(*) FROM events WHERE type = 'transfer.completed'`).Scan(&completed)
	st.DB().QueryRow(`SELECT count(*) FROM ledger_transactions`).Scan(&txs)
	// Wires complete at once (one event); everything else was created
	// pending, then completed.
	if created != txs-b.wires || completed != txs {
		t.Errorf("%d transfer.created and %d transfer.completed events for %d transactions (%d wires)", created, completed, txs, b.wires)
	}
	if r := runCLI(t, b.env, "audit", "verify", "--db", b.dsn); r.code != 0 {
		t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	reasons := []string{}
	for _, k := range slices.Sorted(maps.Keys(refused)) {
		reasons = append(reasons, fmt.Sprintf("%s %d", k, refused[k]))
	}
	t.Logf("bank test %s%s: %d accounts (%d processes, %d clients, %v): %d transfers attempted, %d acknowledged, "+
		"refused: %s; %d answers lost and resolved under their keys; %d balance reads checked non-negative during the run; "+
		"invariants checked: ledger (%d accounts, %d transactions, %d entries: balances = entry sums, entries sum to 0, "+
		"no RBA negative), total %s unchanged, %d acknowledged present once, %d refused left nothing, %d API balances = ledger, "+
		"%d+%d transfer events, audit chain intact",
		b.eng, how, len(b.accounts), len(b.nodes), load.clients, load.took, len(load.attempts), len(acked),
		strings.Join(reasons, ", "), load.retried.Load(), load.reads.Load(), rep.Accounts, rep.Transactions, rep.Entries,
		banking.FormatAmount(b.total), found, len(load.attempts)-len(acked), len(b.accounts), created, completed)
}
