//go:build unix

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// The bank tests' fixture: a program on one database served by one "ingot
// serve" (SQLite) or two (PostgreSQL), with accounts of users and
// businesses funded through the sandbox's inbound transfers.

// bankAccount is one account of the fixture.
type bankAccount struct {
	typ, entity, id string // entity type and id, account id
	owner           string // the user: the holder, or the business's owner
	business        string // the business, or ""
	opening         int64  // opening balance, cents
}

// side is the account as a transfer names it.
func (a bankAccount) side(prefix string) map[string]any {
	return map[string]any{prefix + "_entity_type": a.typ, prefix + "_entity_id": a.entity,
		prefix + "_routable_bank_account_id": a.id}
}

// balanceBody reads the account's balance.
func (a bankAccount) balanceBody() map[string]any {
	b := map[string]any{"user_id": a.owner, "routable_bank_account_id": a.id}
	if a.business != "" {
		b["business_id"] = a.business
	}
	return b
}

// node is one serving process; clients follow it across a restart.
type node struct {
	args []string
	srv  atomic.Pointer[server]
	cl   atomic.Pointer[client]
}

// bank is the fixture.
type bank struct {
	t        *testing.T
	eng      string
	dsn      string
	env      []string
	creds    credentials
	nodes    []*node
	program  string // prog-…
	master   string // its master account
	accounts []bankAccount
	// total is the sum of the opening balances, cents.
	total int64
	// wires counts the inbound wires (the events check counts them: a
	// wire completes without a transfer.created).
	wires int
}

// newBank starts the servers (two on PostgreSQL) with extra serve args and
// creates users accounts of KYC-verified users, plus businesses accounts of
// KYB-verified businesses of one more user, funding account i with
// opening(i) cents: even ones by wire, odd ones by ACH (settled by jobs).
func newBank(t *testing.T, eng testenv.Engine, users, businesses int, opening func(i int) int64, args ...string) *bank {
	t.Helper()
	b := &bank{t: t, eng: eng.Name, dsn: eng.DSN(t), env: childEnv()}
	b.creds = createProgram(t, b.env, "bank", "--db", b.dsn)
	args = append([]string{"--sandbox", "--db", b.dsn}, args...)
	n := 1
	if eng.Name == "postgres" {
		n = 2
	}
	for range n {
		nd := &node{args: args}
		s := startServe(t, b.env, false, args...)
		nd.srv.Store(s)
		nd.cl.Store(newClient(t, s, b.creds))
		b.nodes = append(b.nodes, nd)
	}
	c := b.client(0)
	b.master = firstItemIDOf(t, c.call("program/routable-bank-accounts/get", map[string]any{}).ok(t))
	b.program = "prog-" + strings.TrimPrefix(b.master, "rbac-")

	b.accounts = make([]bankAccount, users+businesses)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range users {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := b.client(i)
			uid := c.call("user/create", newUserBody(fmt.Sprintf("bank%03d@example.com", i), "123-45-6789")).ok(t).user(t)["id"].(string)
			c.call("user/send-verification-request", map[string]any{"user_id": uid}).ok(t)
			if st := waitKYC(t, c, uid); st != "verified" {
				t.Errorf("user %d: kyc_status %s", i, st)
				return
			}
			id := firstItemIDOf(t, c.call("user/routable-bank-accounts/issue", map[string]any{"user_id": uid}).ok(t))
			b.accounts[i] = bankAccount{typ: "user", entity: uid, id: id, owner: uid}
		})
	}
	if businesses > 0 {
		wg.Go(func() {
			c := b.client(1)
			owner := c.call("user/create", newUserBody("owner@example.com", "123-45-6789")).ok(t).user(t)["id"].(string)
			c.call("user/send-verification-request", map[string]any{"user_id": owner}).ok(t)
			if st := waitKYC(t, c, owner); st != "verified" {
				t.Errorf("owner: kyc_status %s", st)
				return
			}
			for k := range businesses {
				bid := b.verifiedBusiness(c, owner, fmt.Sprintf("12-34567%02d", 10+k))
				id := firstItemIDOf(t, c.call("business/routable-bank-accounts/issue",
					map[string]any{"user_id": owner, "business_id": bid}).ok(t))
				b.accounts[users+k] = bankAccount{typ: "business", entity: bid, id: id, owner: owner, business: bid}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i := range b.accounts {
		b.accounts[i].opening = opening(i)
		b.total += b.accounts[i].opening
		rail := "wire"
		if i%2 == 1 {
			rail = "ach"
		}
		b.fund(b.accounts[i].id, b.accounts[i].opening, rail)
	}
	b.waitSettled(30 * time.Second)
	return b
}

// fund puts cents into account id from outside by rail.
func (b *bank) fund(id string, cents int64, rail string) {
	if rail == "wire" {
		b.wires++
	}
	b.client(0).call("sandbox/simulate/inbound-transfer", map[string]any{"routable_bank_account_id": id,
		"amount": banking.FormatAmount(cents), "rail": rail, "description": "opening balance"}).ok(b.t)
}

// verifiedBusiness creates a business of owner with one owner of record and
// passes it through KYB.
func (b *bank) verifiedBusiness(c *client, owner, ein string) string {
	t := b.t
	bid := firstItemIDOf(t, c.call("business/create", map[string]any{"user_id": owner, "business_name": "Bank " + ein,
		"ein": ein, "business_type": "llc", "business_address": "1 Market St", "city": "San Francisco", "state": "CA",
		"zipcode": "94105", "country": "US", "email": "ops@bank.example", "phone_number": "+14155550100"}).ok(t))
	c.call("business/add-business-owner", map[string]any{"user_id": owner, "business_id": bid, "name": "Grace Hopper",
		"email": "grace@bank.example", "address": "1 Navy Way", "phone_number": "+14155550111",
		"ownership_percent": 100, "date_of_birth": "1906-12-09", "ssn": "123-45-6789"}).ok(t)
	c.call("business/send-verification-request", map[string]any{"user_id": owner, "business_id": bid}).ok(t)
	deadline := time.Now().Add(kycTimeout)
	for {
		st := c.call("business/get", map[string]any{"user_id": owner, "business_id": bid}).ok(t).items(t)[0]["kyb_status"]
		if st == "verified" {
			return bid
		}
		if st != "pending" || time.Now().After(deadline) {
			t.Fatalf("business %s: kyb_status %v", ein, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client is the client of node i % the number of nodes.
func (b *bank) client(i int) *client { return b.nodes[i%len(b.nodes)].cl.Load() }

// restart kills node i with SIGKILL and starts it again on the same
// database; its clients follow.
func (b *bank) restart(i int) {
	nd := b.nodes[i]
	old := nd.srv.Load()
	if err := old.cmd.Process.Kill(); err != nil {
		b.t.Errorf("kill: %v", err)
	}
	<-old.done
	s := startServe(b.t, b.env, false, nd.args...)
	nd.srv.Store(s)
	nd.cl.Store(newClient(b.t, s, b.creds))
}

// openStore opens the fixture's database directly.
func (b *bank) openStore() *store.Store {
	st, err := store.Open(context.Background(), b.dsn, store.Options{})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { st.Close() })
	return st
}

// waitSettled waits until no transaction of the database is pending.
func (b *bank) waitSettled(within time.Duration) {
	b.t.Helper()
	st := b.openStore()
	deadline := time.Now().Add(within)
	for {
		var n int
		if err := st.DB().QueryRow(`SELECT count(*) FROM ledger_transactions WHERE status = 'pending'`).Scan(&n); err != nil {
			b.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%d transactions still pending %v later", n, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstItemIDOf is the id of a single-object answer.
func firstItemIDOf(t *testing.T, r response) string {
	t.Helper()
	id, _ := r.items(t)[0]["id"].(string)
	if id == "" {
		t.Fatalf("no id in %s", r.body)
	}
	return id
}

// attempt is one transfer a client sent, and what became of it.
type attempt struct {
	key      string
	body     map[string]any
	from, to int   // account indexes
	amount   int64 // cents
	sent     time.Time
	status   int    // HTTP status of the final answer
	code     string // its error code
	id       string // the transaction, when acknowledged
}

// bankLoad is what a run did, for the invariants and the log.
type bankLoad struct {
	mu       sync.Mutex
	attempts []*attempt
	reads    atomic.Int64 // balance reads checked during the run
	retried  atomic.Int64 // attempts whose first answer was lost, sent again
	clients  int
	took     time.Duration
}

// transferPath is the book transfer call.
const transferPath = "book-transfer/routable-bank-account-to-routable-bank-account-transfer"

// send makes the transfer of a through client c and records its answer;
// ok is false when no answer came (the server died, or 503), so the same
// request must be sent again under its key.
func (a *attempt) send(c *client) bool {
	status, body := rawCallJSON(c, transferPath, a.body)
	if status == 0 || status >= 500 {
		return false
	}
	if status == http.StatusConflict && strings.Contains(fmt.Sprint(body["message"]), "still in progress") {
		return false
	}
	a.status = status
	if e, ok := body["error"].(map[string]any); ok {
		a.code, _ = e["code"].(string)
	}
	if status == http.StatusOK {
		a.id = firstItemID(body)
	}
	return true
}

// randomTransfer is a transfer between two different accounts: mostly of a
// plausible amount, one in ten far beyond any balance (an overdraft on
// purpose).
func (b *bank) randomTransfer(rng *rand.Rand, key string, pick func() (int, int)) *attempt {
	i, j := pick()
	amount := int64(1 + rng.IntN(100_00))
	if rng.IntN(10) == 0 {
		amount = 9_999_999_00
	}
	body := map[string]any{"amount": banking.FormatAmount(amount), "description": "bank test", "idempotent_key": key}
	for k, v := range b.accounts[i].side("source") {
		body[k] = v
	}
	for k, v := range b.accounts[j].side("destination") {
		body[k] = v
	}
	return &attempt{key: key, body: body, from: i, to: j, amount: amount}
}

// checkRead reads account i's balance through c and checks it is a
// well-formed, non-negative balance; false when no answer came.
func (b *bank) checkRead(c *client, i int, load *bankLoad) bool {
	status, body := rawCallJSON(c, "balance/user", b.accounts[i].balanceBody())
	if status == 0 || status >= 500 {
		return false
	}
	d, _ := body["data"].(map[string]any)
	avail, _ := d["available_balance"].(string)
	pending, _ := d["pending_balance"].(string)
	a, err1 := parseBalance(avail)
	p, err2 := parseBalance(pending)
	if status != http.StatusOK || err1 != nil || err2 != nil || a < 0 || p < 0 {
		b.t.Errorf("balance of account %d: %d %v", i, status, body)
	}
	load.reads.Add(1)
	return true
}

// parseBalance reads a balance string, zero and negatives included (which
// ParseAmount, a movement's parser, refuses).
func parseBalance(s string) (int64, error) {
	if strings.HasPrefix(s, "-") {
		v, err := parseBalance(s[1:])
		return -v, err
	}
	if s == "0.00" {
		return 0, nil
	}
	return banking.ParseAmount("balance", s)
}

// resolve sends every attempt that got no answer again under its key until
// it gets one (the first answer, replayed, or the transfer made now).
func (b *bank) resolve(load *bankLoad) {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, a := range load.attempts {
		for a.status == 0 {
			if time.Now().After(deadline) {
				b.t.Fatalf("no answer for %s within 60 s", a.key)
			}
			if !a.send(b.client(rand.IntN(len(b.nodes)))) {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
}
