package main

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// The money ops of ingot bench. They need a server started with --sandbox:
// accounts are funded with its sandbox/simulate/inbound-transfer.
//
//	transfer      a book transfer between two random accounts of the
//	              --users pre-created ones (each a KYC-verified user's own
//	              account, funded first)
//	transfer-hot  a book transfer from the program master account (funded
//	              first) to a random one of those accounts: every request
//	              locks the same source balance
//
// Every transfer carries its own idempotent_key, as a real client's must.

// Funding of the money ops: enough that no transfer of at most
// benchMaxCents ever runs short in a run.
const (
	benchAccountFunds = "1000000.00"  // each account (uniform transfers)
	benchMasterFunds  = "10000000.00" // the master account, per funding call
	benchMasterFunded = 5             // funding calls of the master account
	benchMaxCents     = 100           // transfers move 0.01 to 1.00
)

// moneyBench is the state of the money ops: the funded accounts.
type moneyBench struct {
	users    []string // user ids, as b.ids
	accounts []string // users[i]'s account
	program  string   // the program's id
	master   string   // its master account
	keys     atomic.Int64
}

// isMoneyOp reports whether op needs funded accounts.
func isMoneyOp(op string) bool { return op == "transfer" || op == "transfer-hot" }

// moneySeed verifies the pre-created users, issues each an account and
// funds the accounts the op draws from, with c workers.
func (b *bencher) moneySeed(ctx context.Context, c int) error {
	m := &moneyBench{users: b.ids, accounts: make([]string, len(b.ids))}
	status, answer, err := b.post("program/routable-bank-accounts/get", []byte(`{}`), true)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("program/routable-bank-accounts/get answered %d %v: %s", status, err, strings.TrimSpace(string(answer)))
	}
	if m.master, err = firstID(answer); err != nil {
		return err
	}
	m.program = "prog-" + strings.TrimPrefix(m.master, "rbac-")
	first := eachIndex(ctx, c, len(m.users), func(i int) error {
		acct, err := b.accountFor(ctx, m.users[i], b.op == "transfer")
		m.accounts[i] = acct
		return err
	})
	if first != nil {
		return first
	}
	if b.op == "transfer-hot" {
		for range benchMasterFunded {
			if _, err := b.mustPost("sandbox/simulate/inbound-transfer", map[string]string{
				"routable_bank_account_id": m.master, "amount": benchMasterFunds, "rail": "wire"}); err != nil {
				return err
			}
		}
	}
	b.money = m
	return nil
}

// verifyUser sends user uid to KYC and waits for the sandbox's verdict.
func (b *bencher) verifyUser(ctx context.Context, uid string) error {
	if _, err := b.mustPost("user/send-verification-request", map[string]string{"user_id": uid}); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		answer, err := b.mustPost("user/get", map[string]string{"user_id": uid})
		if err != nil {
			return err
		}
		var env struct {
			Data struct {
				Items []struct {
					KYCStatus string `json:"kyc_status"`
				} `json:"items"`
			} `json:"data"`
		}
		if json.Unmarshal(answer, &env) == nil && len(env.Data.Items) == 1 && env.Data.Items[0].KYCStatus == "verified" {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("user %s was not KYC-verified within 30 s (is the server running with --sandbox?)", uid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// accountFor sends user uid to KYC, waits for the sandbox's verdict, issues
// the user an account and, with fund, funds it; it returns the account id.
func (b *bencher) accountFor(ctx context.Context, uid string, fund bool) (string, error) {
	if err := b.verifyUser(ctx, uid); err != nil {
		return "", err
	}
	answer, err := b.mustPost("user/routable-bank-accounts/issue", map[string]string{"user_id": uid})
	if err != nil {
		return "", err
	}
	acct, err := firstID(answer)
	if err != nil || !fund {
		return acct, err
	}
	_, err = b.mustPost("sandbox/simulate/inbound-transfer", map[string]string{
		"routable_bank_account_id": acct, "amount": benchAccountFunds, "rail": "wire"})
	return acct, err
}

// mustPost sends body to path and returns the answer of a 200, or an error
// naming the answer.
func (b *bencher) mustPost(path string, body any) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	status, answer, err := b.post(path, raw, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d: %s", path, status, strings.TrimSpace(string(answer)))
	}
	return answer, nil
}

// firstID is the id of the single item of an answer.
func firstID(answer []byte) (string, error) {
	var env struct {
		Data struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal(answer, &env); err != nil || len(env.Data.Items) != 1 || env.Data.Items[0].ID == "" {
		return "", fmt.Errorf("want one item with an id, got %s", strings.TrimSpace(string(answer)))
	}
	return env.Data.Items[0].ID, nil
}

// nextTransfer builds the next transfer of the money ops.
func (b *bencher) nextTransfer(rng *mrand.Rand) []byte {
	m := b.money
	n := len(m.accounts)
	j := rng.IntN(n)
	src := map[string]string{"source_entity_type": "program", "source_entity_id": m.program, "source_routable_bank_account_id": m.master}
	if b.op == "transfer" {
		i := rng.IntN(n)
		if n > 1 {
			j = (i + 1 + rng.IntN(n-1)) % n
		}
		src = map[string]string{"source_entity_type": "user", "source_entity_id": m.users[i], "source_routable_bank_account_id": m.accounts[i]}
	}
	body := map[string]string{
		"amount":                  fmt.Sprintf("%d.%02d", 0, 1+rng.IntN(benchMaxCents-1)),
		"destination_entity_type": "user", "destination_entity_id": m.users[j], "destination_routable_bank_account_id": m.accounts[j],
		"description":    "ingot bench",
		"idempotent_key": fmt.Sprintf("bench-%s-%d", b.run, m.keys.Add(1)),
	}
	for k, v := range src {
		body[k] = v
	}
	raw, _ := json.Marshal(body)
	return raw
}
