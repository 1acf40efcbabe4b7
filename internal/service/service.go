// Package service is ingot's application layer: it runs the domain rules of
// package banking against the store, seals secrets with the vault, and drives
// KYC checks in the background. The HTTP layer and the CLI call it; neither
// holds business logic of its own.
package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	// Webhooks tunes webhook deliveries.
	Webhooks WebhookConfig
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
	now      func() time.Time
	log      *slog.Logger

	// jobs holds the job handlers (jobs.go).
	jobs jobRunner

	// bg tracks background work (the job runner, prunes); bgCtx cancels it
	// on Close.
	bg       sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc

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
		creds: newCredCache(credCacheTTL, credCacheMax), hooks: newWebhooks(cfg.Webhooks)}
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
	s.handle(jobKYCCheck, s.runKYCCheck)
	s.handle(jobKYBCheck, s.runKYBCheck)
	// Every Work's events become their webhooks in its transaction.
	s.store.SetEventHook(s.deriveWebhooks)
	if !cfg.NoJobs {
		s.bg.Add(2)
		go func() {
			defer s.bg.Done()
			s.runJobs(s.bgCtx, s.generalPool())
		}()
		s.hooks.delivering.Store(true)
		go func() {
			defer s.bg.Done()
			s.runWebhooks(s.bgCtx)
		}()
	}
	return s
}

// Close stops the job runner and background work and waits for them. A job
// cut short stays in the jobs table and runs again when its lease ends, in
// this process's successor or another: no decision is ever half-applied.
func (s *Service) Close() {
	s.bgCancel()
	s.bg.Wait()
	s.hooks.sender.Close()
}

// Store exposes the store for readiness checks.
func (s *Service) Store() *store.Store { return s.store }

// clock returns the current time at the millisecond precision the API shows.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// randomHex returns n random bytes hex-encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
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
	c := Credentials{
		ProgramID:    string(banking.NewProgramID(now)),
		Name:         name,
		APIKey:       "ak_" + randomHex(20),
		HMACUsername: "hu_" + randomHex(8),
		HMACSecret:   randomHex(32),
	}
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

// SigningKey returns the program owning an HMAC username and its secret in
// clear, for signature verification. It runs on every signed request, so a
// found credential is cached for credCacheTTL; a miss or an error is not
// cached. The secret returned is the caller's own copy.
func (s *Service) SigningKey(ctx context.Context, username string) (banking.Program, []byte, error) {
	if p, secret, ok := s.creds.get(username, s.now()); ok {
		return p, secret, nil
	}
	p, err := s.store.ProgramByHMACUsername(ctx, username)
	if err != nil {
		return p, nil, err
	}
	secret, err := s.sealer.Open(p.HMACSecretSealed, []byte(p.HMACUsername))
	if err != nil {
		return p, nil, banking.Internal(err)
	}
	s.creds.put(username, p, secret, s.now())
	return p, secret, nil
}

// CheckKey verifies that the master key opens every program's secret, so a
// wrong key is reported at start with the key ids involved, instead of as a
// 500 on the first signed request.
func (s *Service) CheckKey(ctx context.Context) error {
	ps, err := s.store.Programs(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if _, err := s.sealer.Open(p.HMACSecretSealed, []byte(p.HMACUsername)); err != nil {
			return fmt.Errorf("the master key (id %s) cannot open program %s's secret: %w; start ingot with the key its programs were created with",
				s.sealer.KeyID(), p.ID, err)
		}
	}
	return nil
}
