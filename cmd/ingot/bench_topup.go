package main

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"sync/atomic"
	"time"
)

// The topup op of ingot bench: a top-up (money.md section 4.2) from a
// linked account of a random one of the --users pre-created users into
// their KYB-verified business's account. It needs a server started with
// --sandbox (and its default --ach-settle-delay 0): the sandbox rail
// settles every top-up at once in the background, so the op measures a
// movement's creation with its settlement running alongside.

// topupBench is the state of the topup op: each user's business, its
// account and the linked account that funds it.
type topupBench struct {
	users, businesses, accounts, linked []string
	keys                                atomic.Int64
}

// topupSeed gives every pre-created user a business with an owner, has it
// KYB-verified by the sandbox, issues it an account and links an external
// account, with c workers.
func (b *bencher) topupSeed(ctx context.Context, c int) error {
	businesses, err := b.seedBusinesses(ctx, c)
	if err != nil {
		return err
	}
	m := &topupBench{users: b.ids, businesses: businesses, accounts: make([]string, len(b.ids)), linked: make([]string, len(b.ids))}
	first := eachIndex(ctx, c, len(m.users), func(i int) error { return b.topupAccount(ctx, m, i) })
	b.topup = m
	return first
}

// topupAccount readies user i's business: owner, KYB, account, linked
// account (its number ends in 6789: the sandbox rail completes it).
func (b *bencher) topupAccount(ctx context.Context, m *topupBench, i int) error {
	uid, bid := m.users[i], m.businesses[i]
	if err := b.verifyUser(ctx, uid); err != nil {
		return err
	}
	if _, err := b.mustPost("business/add-business-owner", map[string]any{"user_id": uid, "business_id": bid,
		"name": "Bench Owner", "email": "owner@example.com", "address": "1 Main St", "phone_number": "+14155550111",
		"ownership_percent": 100, "date_of_birth": "1970-01-01", "ssn": "611-22-4471"}); err != nil {
		return err
	}
	if _, err := b.mustPost("business/send-verification-request", map[string]string{"user_id": uid, "business_id": bid}); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		answer, err := b.mustPost("business/get", map[string]string{"user_id": uid, "business_id": bid})
		if err != nil {
			return err
		}
		var env struct {
			Data struct {
				Items []struct {
					KYBStatus string `json:"kyb_status"`
				} `json:"items"`
			} `json:"data"`
		}
		if json.Unmarshal(answer, &env) == nil && len(env.Data.Items) == 1 && env.Data.Items[0].KYBStatus == "verified" {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("business %s was not KYB-verified within 30 s (is the server running with --sandbox?)", bid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	answer, err := b.mustPost("business/routable-bank-accounts/issue", map[string]string{"user_id": uid, "business_id": bid})
	if err != nil {
		return err
	}
	if m.accounts[i], err = firstID(answer); err != nil {
		return err
	}
	answer, err = b.mustPost("users/bank-accounts/save", map[string]string{"user_id": uid, "business_id": bid,
		"first_name": "Bench", "last_name": "Owner", "account_number": fmt.Sprintf("%08d6789", i),
		"routing_number": "021000021", "idempotent_key": fmt.Sprintf("bench-%s-link-%d", b.run, i)})
	if err != nil {
		return err
	}
	m.linked[i], err = firstID(answer)
	return err
}

// nextTopUp builds the next top-up of the topup op.
func (b *bencher) nextTopUp(rng *mrand.Rand) []byte {
	m := b.topup
	i := rng.IntN(len(m.users))
	raw, _ := json.Marshal(map[string]string{
		"user_id": m.users[i], "receiver_business_id": m.businesses[i], "routable_bank_account_id": m.accounts[i],
		"account_id": m.linked[i], "amount": fmt.Sprintf("%d.%02d", 0, 1+rng.IntN(benchMaxCents-1)),
		"description": "ingot bench", "idempotent_key": fmt.Sprintf("bench-%s-t%d", b.run, m.keys.Add(1)),
	})
	return raw
}
