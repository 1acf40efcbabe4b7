// Package service is ingot's application layer: it runs the domain rules of
// package banking against the store, seals secrets with the vault, and drives
// KYC checks in the background. The HTTP layer and the CLI call it; neither
// holds business logic of its own.
package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
)

// Config wires a Service.
type Config struct {
	Store  *store.Store
	Sealer *vault.Sealer
	// KYC decides verifications; nil means the sandbox provider without delay.
	KYC kyc.Provider
	// NoJobs keeps this service from running durable jobs: for one-shot
	// commands (program create, audit verify) that must not claim work they
	// will not finish.
	NoJobs bool
	// RoutingNumber is the installation's ABA routing number shown on every
	// RBA; "" means banking.DefaultRoutingNumber. The caller validates it.
	RoutingNumber string
	// ACHSettleDelay is how long an ACH movement of the sandbox rail stays
	// pending before its settlement is due (money.md section 4.5); 0 means
	// at once, in the background.
	ACHSettleDelay time.Duration
	// Rail carries external movements (money.md section 4.5); nil means
	// the sandbox rail with ACHSettleDelay. A production server passes
	// ManualRail unless told otherwise (`--rail`).
	Rail Rail
	// BookSettleDelay is how long a book transfer stays pending before its
	// settlement is due (money.md section 4.1: the sandbox can delay it); 0
	// means at once, in the background.
	BookSettleDelay time.Duration
	// IdempotencyLease is how long a reserved idempotent_key stays "in
	// progress" (409) before another request may take it over: its process
	// is presumed dead by then. 0 means IdempotencyLease (60 s). It must
	// exceed the longest call.
	IdempotencyLease time.Duration
	// JobLease is how long a claimed job stays this process's before any
	// process may claim it again (a process that died holds its jobs that
	// long); 0 means 30 s. Every handler must finish well within it.
	JobLease time.Duration
	// Claimant names this process in its job claims, the same each time
	// the same server starts (ingot serve: its host name and the address it
	// listens on; "" names no one). A start ends the leases its previous
	// run left, so that a killed server's jobs run again as soon as it is
	// back rather than when their leases end (store.EndClaimsOf).
	Claimant string
	// Webhooks tunes webhook deliveries.
	Webhooks WebhookConfig
	// Sandbox gives every program its own clock (sandbox.md section 1:
	// sandbox/clock/advance) and enables the sandbox's control calls.
	Sandbox bool
	// Now is the clock; nil means time.Now. Tests inject a fixed one.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service implements every call of the API on top of the store.
type Service struct {
	store  *store.Store
	sealer *vault.Sealer
	kyc    kyc.Provider
	// kycDelay is how long after submission a KYC or KYB check is due.
	kycDelay time.Duration
	// routing is the routing number of every RBA.
	routing string
	// achDelay is Config.ACHSettleDelay.
	achDelay time.Duration
	// rail is Config.Rail.
	rail Rail
	// bookDelay is Config.BookSettleDelay.
	bookDelay time.Duration
	// idemLease is Config.IdempotencyLease.
	idemLease time.Duration
	// jobLease is Config.JobLease.
	jobLease time.Duration
	now      func() time.Time
	log      *slog.Logger
	// sandbox is Config.Sandbox; clocks caches programs' clock offsets and
	// faults their injected faults (sandbox_*.go).
	sandbox bool
	clocks  clocks
	faults  faultCache

	// jobs holds the job handlers (jobs.go).
	jobs jobRunner

	// bg tracks background work (the job runner, prunes); bgCtx cancels it
	// on Close.
	bg       sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
	// gate lets background goroutines start until Close (spawn).
	gate bgGate
	// takeCtx is the context of taken jobs (take): Close cancels it
	// takeGrace after bgCtx, so a taken settlement normally finishes, but a
	// database that does not answer cannot hold Close for long.
	takeCtx    context.Context
	takeCancel context.CancelFunc
	// takeJobs: this process inserts jobs due at once already claimed and
	// runs them itself (delayOrTake): on SQLite, when it runs jobs
	// (Config.NoJobs unset). A process that runs none leaves its jobs
	// unclaimed for one that does; on PostgreSQL the runner claims them in
	// batches of up to jobBatch, which share groups and the program's chain
	// head (claimed one by one at insert, transfers measured about a tenth
	// slower there).
	takeJobs bool

	// prune paces the pruning of expired idempotency keys.
	prune pruner

	// creds caches SigningKey's successful lookups (credcache.go).
	creds *credCache

	// hooks delivers webhooks (webhook_deliver.go).
	hooks *webhooks
}

// New returns a Service. Call Close to stop background work.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, sealer: cfg.Sealer, kyc: cfg.KYC, now: cfg.Now, log: cfg.Logger,
		creds: newCredCache(credCacheTTL, credCacheMax), routing: cfg.RoutingNumber, jobLease: cfg.JobLease,
		achDelay: cfg.ACHSettleDelay, idemLease: cfg.IdempotencyLease,
		bookDelay: cfg.BookSettleDelay, hooks: newWebhooks(cfg.Webhooks), rail: cfg.Rail, sandbox: cfg.Sandbox}
	if s.rail == nil {
		s.rail = SandboxRail{Delay: cfg.ACHSettleDelay}
	}
	if s.routing == "" {
		s.routing = banking.DefaultRoutingNumber
	}
	if s.idemLease <= 0 {
		s.idemLease = IdempotencyLease
	}
	if s.jobLease <= 0 {
		s.jobLease = jobLease
	}
	if s.kyc == nil {
		s.kyc = kyc.Sandbox{}
	}
	s.kyc, s.kycDelay = kyc.Scheduled(s.kyc)
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.takeCtx, s.takeCancel = context.WithCancel(context.Background())
	s.handle(jobKYCCheck, s.runKYCCheck)
	s.handle(jobKYBCheck, s.runKYBCheck)
	s.handle(jobSettle, s.runSettle)
	s.handle(jobRail, s.runRail)
	// Every Work's events become their webhooks in its transaction.
	s.store.SetEventHook(s.deriveWebhooks)
	if !cfg.NoJobs {
		// Before this process claims or takes any job itself.
		s.endEarlierClaims(cfg.Claimant)
		s.takeJobs = s.store.Engine() == store.SQLite
		s.bg.Add(3)
		go func() {
			defer s.bg.Done()
			s.runJobs(s.bgCtx, s.generalPool())
		}()
		go func() {
			defer s.bg.Done()
			s.runWebhooks(s.bgCtx)
		}()
		go func() {
			defer s.bg.Done()
			s.mergeSearchQueues(s.bgCtx)
		}()
	}
	return s
}

// mergeSearchQueuesEvery paces store.MergeSearchQueues: a search reads at
// most about this long's worth of queued index entries.
const mergeSearchQueuesEvery = time.Second

// mergeSearchQueues merges the search indexes' queues every
// mergeSearchQueuesEvery until ctx ends. A failure is logged once per
// streak (a database user that does not own the indexes, a standby) and
// the next tick tries again.
func (s *Service) mergeSearchQueues(ctx context.Context) {
	failing := false
	for {
		s.sleep(ctx, mergeSearchQueuesEvery)
		if ctx.Err() != nil {
			return
		}
		_, err := s.store.MergeSearchQueues(ctx)
		if err != nil && !failing && ctx.Err() == nil {
			s.log.Warn("merging the search indexes' queues failed; searches read them in full until VACUUM merges them", "err", err)
		}
		failing = err != nil
	}
}

// Close stops the job runner and background work and waits for them. No
// background goroutine starts after it begins (spawn). A job cut short stays
// in the jobs table and runs again when its lease ends, in this process's
// successor or another: no decision is ever half-applied. Jobs this process
// took at insert (take) are given takeGrace to finish first, so a graceful
// restart leaves no lease to wait for.
func (s *Service) Close() {
	s.gate.close()
	s.bgCancel()
	t := time.AfterFunc(takeGrace, s.takeCancel)
	s.bg.Wait()
	t.Stop()
	s.takeCancel()
	s.hooks.sender.Close()
}

// Store exposes the store for readiness checks.
func (s *Service) Store() *store.Store { return s.store }

// clock returns the current time at the millisecond precision the API shows.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// randomHex returns n random bytes hex-encoded, always from crypto/rand
// (console tokens and sessions: never guessable, even in a seeded sandbox).
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// seededHex is randomHex for the values --seed makes deterministic
// (banking.SeedIDs): generated program credentials.
func seededHex(n int) string {
	b := make([]byte, n)
	banking.RandomBytes(b)
	return hex.EncodeToString(b)
}

// Credentials are a program's secrets, shown once at creation.
type Credentials struct {
	ProgramID    string `json:"program_id"`
	Name         string `json:"name"`
	APIKey       string `json:"api_key"`
	HMACUsername string `json:"hmac_username"`
	HMACSecret   string `json:"hmac_secret"`
}

// CreateProgram makes a program with fresh credentials. Only the API key's
// hash and the sealed HMAC secret are stored.
func (s *Service) CreateProgram(ctx context.Context, name string) (Credentials, error) {
	c, p, ev, err := s.newProgram(name)
	if err != nil {
		return Credentials{}, err
	}
	if err := s.store.CreateProgram(ctx, p, ev); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// CreateFirstProgram makes a program only when none exists (the sandbox's
// bootstrap) and reports whether it did.
func (s *Service) CreateFirstProgram(ctx context.Context, name string) (Credentials, bool, error) {
	c, p, ev, err := s.newProgram(name)
	if err != nil {
		return Credentials{}, false, err
	}
	created, err := s.store.CreateFirstProgram(ctx, p, ev)
	if err != nil || !created {
		return Credentials{}, false, err
	}
	return c, true, nil
}

// newProgram generates a program's credentials, its stored form and its
// program.created event.
func (s *Service) newProgram(name string) (Credentials, banking.Program, banking.Event, error) {
	if err := banking.ValidateProgramName(name); err != nil {
		return Credentials{}, banking.Program{}, banking.Event{}, err
	}
	now := s.clock()
	c := newCredentials(string(banking.NewProgramID(now)), name)
	p := banking.Program{
		ID:               banking.ProgramID(c.ProgramID),
		Name:             name,
		APIKeyHash:       banking.HashAPIKey(c.APIKey),
		HMACUsername:     c.HMACUsername,
		HMACSecretSealed: s.sealer.Seal([]byte(c.HMACSecret), []byte(c.HMACUsername)),
		CreatedAt:        now,
	}
	ev := banking.Event{
		ID: banking.NewEventID(now), ProgramID: p.ID, SubjectID: string(p.ID),
		Type: banking.EventProgramCreated, Actor: "operator",
		Changes:   banking.Changes{"name": {From: "", To: name}},
		CreatedAt: now,
	}
	return c, p, ev, nil
}

// ErrCredentialExpired is the cause of SigningKey's not_found for an HMAC
// username a rotation replaced and whose grace period is over.
var ErrCredentialExpired = errors.New("credential past its grace period")

// SigningKey returns the program an HMAC username signs for and that
// credential's secret in clear, for signature verification. The username may
// be the program's current one or one a rotation replaced whose grace period
// has not ended; a replaced one past its grace is not_found, with a message
// saying so (for the sandbox's 401 hint). It runs on every signed request,
// so a found credential is cached (credcache.go); a miss or an error is not
// cached. The secret returned is the caller's own copy.
func (s *Service) SigningKey(ctx context.Context, username string) (banking.Program, []byte, error) {
	now := s.now()
	if p, secret, ok := s.creds.get(username, now); ok {
		return p, secret, nil
	}
	p, err := s.store.ProgramByCredential(ctx, username)
	if err != nil {
		return p, nil, err
	}
	sealed := p.HMACSecretSealed
	if username != p.HMACUsername {
		r, _ := p.RetiredByUsername(username)
		if !r.Live(now) {
			return banking.Program{}, nil, &banking.Error{Code: banking.CodeNotFound, Err: ErrCredentialExpired,
				Message: fmt.Sprintf("HMAC username %s was replaced by a credential rotation at %s and its grace period ended at %s",
					username, r.RetiredAt.UTC().Format(time.RFC3339), r.ExpiresAt.UTC().Format(time.RFC3339))}
		}
		sealed = r.HMACSecretSealed
	}
	secret, err := s.sealer.Open(sealed, []byte(username))
	if err != nil {
		return p, nil, banking.Internal(err)
	}
	s.creds.put(username, p, secret, now)
	return p, secret, nil
}

// FreshSigningKey is SigningKey read from the store, not the cache, which it
// then refreshes: for a request whose api_key the cached program does not
// know, because a rotation (perhaps by another process) made it live since.
func (s *Service) FreshSigningKey(ctx context.Context, username string) (banking.Program, []byte, error) {
	s.creds.drop(username)
	return s.SigningKey(ctx, username)
}

// CheckKey verifies that the master key opens every program's secret, so a
// wrong key is reported at start with the key ids involved, instead of as a
// 500 on the first signed request.
func (s *Service) CheckKey(ctx context.Context) error { return CheckKey(ctx, s.store, s.sealer) }

// CheckKey verifies that sealer's master key opens every program's HMAC
// secret in st. A command that seals new values with a key that does not fit
// the database would make it unusable: its server then refuses to start.
func CheckKey(ctx context.Context, st *store.Store, sealer *vault.Sealer) error {
	ps, err := st.Programs(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if _, err := sealer.Open(p.HMACSecretSealed, []byte(p.HMACUsername)); err != nil {
			return fmt.Errorf("the master key (id %s) cannot open program %s's secret: %w; use the key its programs were created with",
				sealer.KeyID(), p.ID, err)
		}
	}
	return nil
}
