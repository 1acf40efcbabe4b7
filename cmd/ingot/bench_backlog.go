package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
)

// The settle-backlog op of ingot bench: the backlog a server finds when it
// starts (money.md section 4.5: a rail's decisions are durable jobs). With
// the server stopped, it inserts --count pending top-ups straight into
// --bulk-db, each through the service's own TopUp under its own
// idempotent_key, exactly as the API records one (the transaction, its
// entries and pending balance, its payment intent, its audit event and the
// sandbox rail's job), in a process that runs no jobs. The sandbox rail's
// decision is due at once, so the next server to start on the database
// finds every one of them due and settles them with its durable jobs: the
// time from its start until nothing is pending is what `make bench` reports
// as settling a backlog after a restart.

// backlogTargets bounds how many ready businesses the top-ups are spread
// over.
const backlogTargets = 1000

// topUpEndpoint is the API path a top-up is made on; its idempotency keys
// are reserved under it.
const topUpEndpoint = "user/charge-bank-account-fund-business-routable-bank-account"

// benchBacklog is --op settle-backlog: it inserts count pending top-ups
// into database dsn with c workers and reports like any op (a request is a
// top-up inserted).
func (e cliEnv) benchBacklog(dsn, username string, count, c int, asJSON bool) error {
	res := benchResult{Op: "settle-backlog", Mode: "closed", Concurrency: c, SeededVia: "bulk-db"}
	if err := e.settleBacklog(dsn, username, count, c, &res); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	res.DurationS = res.ElapsedS
	fmt.Fprintf(e.stderr, "ingot bench: inserted %d pending top-ups in %.1fs; start the server (--sandbox) to settle them\n",
		res.OK, res.ElapsedS)
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	res.printTable(e.stdout)
	return nil
}

// settleBacklog inserts count pending top-ups of the program whose HMAC
// username is username into database dsn with c workers, spread over the
// program's businesses ready for top-ups whose linked account the sandbox
// rail completes (--op topup readies them), and fills in res: one sample
// per top-up.
func (e cliEnv) settleBacklog(dsn, username string, count, c int, res *benchResult) error {
	st, err := store.Open(e.ctx, dsn, store.Options{})
	if err != nil {
		return fmt.Errorf("open --bulk-db: %w", err)
	}
	defer st.Close()
	p, err := st.ProgramByHMACUsername(e.ctx, username)
	if err != nil {
		return fmt.Errorf("program with HMAC username %q in --bulk-db: %w", username, err)
	}
	ready, err := st.TopUpTargets(e.ctx, p.ID, backlogTargets)
	if err != nil {
		return err
	}
	rail := service.SandboxRail{} // due at once
	var targets []store.TopUpTarget
	for _, t := range ready {
		// Only accounts the rail completes: a pending one (0002) would
		// never settle, a returned one (0003) settles twice.
		if steps := rail.Plan(nil, t.Last4); len(steps) == 1 && steps[0].Outcome == banking.OutcomeCompleted {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("no business of program %s is ready for top-ups (KYB-verified, with an account and a linked "+
			"account the sandbox rail completes): run --op topup against the server first", p.ID)
	}
	// The service of a server that runs no jobs: nothing settles until a
	// server starts.
	svc := service.New(service.Config{Store: st, NoJobs: true, Sandbox: true, Rail: rail})
	defer svc.Close()
	run := runToken()
	var mu sync.Mutex
	samples := make([]sample, 0, count)
	start := time.Now()
	err = eachIndex(e.ctx, c, count, func(i int) error {
		t0 := time.Now()
		if err := topUpOne(e.ctx, svc, p.ID, targets[i%len(targets)], fmt.Sprintf("bench-%s-backlog-%d", run, i), i); err != nil {
			return fmt.Errorf("top-up %d of %d: %w", i+1, count, err)
		}
		s := sample{latency: time.Since(t0), status: http.StatusOK}
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	summarize(res, samples, time.Since(start))
	return nil
}

// topUpOne is top-up i into target t, under key, through the service as
// the API makes it: the key reserved, then TopUp bound to it.
func topUpOne(ctx context.Context, svc *service.Service, pid banking.ProgramID, t store.TopUpTarget, key string, i int) error {
	in := banking.ExternalInput{UserID: string(t.UserID), BusinessID: string(t.BusinessID), Linked: string(t.Linked),
		Account: string(t.Account), Amount: fmt.Sprintf("0.%02d", 1+i%99), Description: "ingot bench settle-backlog"}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	hash := sha256.Sum256(body)
	c := service.Caller{ProgramID: pid}
	r, err := svc.ReserveIdempotency(ctx, c, key, topUpEndpoint, hex.EncodeToString(hash[:]))
	if err != nil {
		return err
	}
	if r.Outcome != service.IdemReserved {
		return fmt.Errorf("idempotent_key %s is taken", key)
	}
	// The stored answer names the transaction; no client replays it.
	c = svc.Bind(c, r, func(answer any) ([]byte, error) {
		tx, _ := answer.(banking.Transaction)
		return json.Marshal(map[string]string{"id": string(tx.ID), "status": string(tx.Status)})
	})
	_, err = svc.TopUp(ctx, c, in)
	return err
}
