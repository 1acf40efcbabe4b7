package service

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/webhook"
)

// Webhook endpoints and the delivery log (webhooks.md sections 1 and 5).
// The endpoint is set by the operator (ingot program webhook …), or in the
// sandbox by the program itself; the log is every program's to read.

// WebhookConfig tunes deliveries.
type WebhookConfig struct {
	// AllowPrivate lets endpoints be on loopback, private, link-local,
	// multicast or unspecified addresses: the sandbox, and
	// --webhook-allow-private. Otherwise such URLs are refused when set and
	// at every attempt.
	AllowPrivate bool
	// RetryScale multiplies the retry schedule (the sandbox's
	// --webhook-retry-scale); 0 means 1.
	RetryScale float64
	// Resolve replaces the system resolver of the address checks (tests
	// play DNS rebinding with it); nil means the system's.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Observer is told of every attempt (metrics); nil for none.
	Observer WebhookObserver
	// Workers bounds how many attempts this process makes at once; 0
	// means webhookWorkers.
	Workers int
}

// WebhookObserver receives what metrics count about deliveries.
type WebhookObserver interface {
	// Attempt reports one attempt: its event type, its outcome
	// ("delivered", "retry": failed and tried again later, "failed": failed
	// and given up), and how long it took.
	Attempt(eventType, outcome string, d time.Duration)
}

// secretOverlap is how long a rotated secret keeps signing (section 4).
const secretOverlap = 24 * time.Hour

// WebhookSettings is a program's endpoint as shown to the operator and, in
// the sandbox, to the program.
type WebhookSettings struct {
	ProgramID banking.ProgramID
	URL       string
	// Events are the subscribed types; empty means all.
	Events         []string
	Status         string
	DisabledReason string
	FailingSince   time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Secret is the current signing secret ("whsec_…"): filled when it was
	// just made (NewSecret), or when asked for (the sandbox).
	Secret    string
	NewSecret bool
	// Secrets are when each signing secret was made and, for a rotated
	// one, until when it signs (zero for the current one).
	Secrets []SecretInfo
}

// SecretInfo describes one signing secret without revealing it.
type SecretInfo struct {
	CreatedAt time.Time
	ExpiresAt time.Time
}

// webhookSecretAAD binds a sealed webhook secret to its row.
func webhookSecretAAD(id string) []byte { return []byte("webhook-secret:" + id) }

// newSecret makes and seals a signing secret.
func (s *Service) newSecret(now time.Time) (store.WebhookSecret, string) {
	key := webhook.NewSecret()
	id := "whs_" + randomHex(12)
	return store.WebhookSecret{ID: id, Sealed: s.sealer.Seal(key, webhookSecretAAD(id)), CreatedAt: now},
		webhook.FormatSecret(key)
}

// checkEndpoint validates a URL and event list as they are set: the URL's
// form and addresses (section 1) and known event types. Field names are the
// API's (webhook_url, events).
func (s *Service) checkEndpoint(ctx context.Context, url string, events []string) ([]string, error) {
	fields := map[string]string{}
	if url == "" {
		fields["webhook_url"] = "is required"
	} else if err := s.hooks.guard.CheckURL(ctx, url); err != nil {
		fields["webhook_url"] = err.Error()
	}
	var out []string
	for _, e := range events {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			continue
		case !webhook.Known(webhook.Type(e)):
			fields["events"] = "unknown event type " + e + "; known types: " + joinTypes()
		default:
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	if len(fields) > 0 {
		return nil, &banking.Error{Code: banking.CodeInvalid, Message: "invalid webhook endpoint", Fields: fields}
	}
	return out, nil
}

func joinTypes() string {
	ts := webhook.Types()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return strings.Join(out, ", ")
}

var errNoProgram = banking.Errorf(banking.CodeNotFound, "program not found")

// SetWebhook sets a program's endpoint (enabled, failures forgotten). The
// first set, or one after DeleteWebhook, makes the signing secret and
// answers it once (NewSecret); later ones keep it, so a receiver keeps
// verifying across a change of URL.
func (s *Service) SetWebhook(ctx context.Context, pid banking.ProgramID, url string, events []string) (WebhookSettings, error) {
	events, err := s.checkEndpoint(ctx, url, events)
	if err != nil {
		return WebhookSettings{}, err
	}
	if err := s.programExists(ctx, pid); err != nil {
		return WebhookSettings{}, err
	}
	now := s.nowFor(pid)
	sec, shown := s.newSecret(now)
	ep, stored, err := s.store.SetWebhookEndpoint(ctx, store.WebhookEndpoint{ProgramID: pid, URL: url, Events: events,
		CreatedAt: now, UpdatedAt: now}, sec)
	if err != nil {
		return WebhookSettings{}, err
	}
	out, err := s.Webhook(ctx, pid, false)
	if err != nil {
		return WebhookSettings{}, err
	}
	out.URL = ep.URL
	if stored {
		out.Secret, out.NewSecret = shown, true
	}
	return out, nil
}

// programExists is not_found for an unknown program (the CLI names one).
func (s *Service) programExists(ctx context.Context, pid banking.ProgramID) error {
	ps, err := s.store.Programs(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.ID == pid {
			return nil
		}
	}
	return errNoProgram
}

// Webhook reads a program's endpoint; withSecret also opens and answers its
// current signing secret (the sandbox's program/webhook/get).
func (s *Service) Webhook(ctx context.Context, pid banking.ProgramID, withSecret bool) (WebhookSettings, error) {
	ep, secrets, err := s.store.WebhookEndpoint(ctx, pid, s.nowFor(pid))
	if err != nil {
		return WebhookSettings{}, err
	}
	out := WebhookSettings{ProgramID: pid, URL: ep.URL, Events: ep.Events, Status: ep.Status,
		DisabledReason: ep.DisabledReason, FailingSince: ep.FailingSince, CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt}
	for _, sec := range secrets {
		out.Secrets = append(out.Secrets, SecretInfo{CreatedAt: sec.CreatedAt, ExpiresAt: sec.ExpiresAt})
	}
	if withSecret && len(secrets) > 0 {
		key, err := s.sealer.Open(secrets[0].Sealed, webhookSecretAAD(secrets[0].ID))
		if err != nil {
			return WebhookSettings{}, banking.Internal(err)
		}
		out.Secret = webhook.FormatSecret(key)
	}
	return out, nil
}

// RotateWebhookSecret makes a new signing secret and answers it; the
// previous one keeps signing for 24 hours (deliveries carry both
// signatures meanwhile).
func (s *Service) RotateWebhookSecret(ctx context.Context, pid banking.ProgramID) (string, error) {
	sec, shown := s.newSecret(s.nowFor(pid))
	if err := s.store.RotateWebhookSecret(ctx, pid, sec, secretOverlap); err != nil {
		return "", err
	}
	return shown, nil
}

// DeleteWebhook removes a program's endpoint and secrets; pending
// deliveries fail. The log stays.
func (s *Service) DeleteWebhook(ctx context.Context, pid banking.ProgramID) error {
	return s.store.DeleteWebhookEndpoint(ctx, pid, s.nowFor(pid))
}

// WebhookFilter selects a page of the delivery log (section 5).
type WebhookFilter = store.WebhookFilter

// WebhookEvents lists a program's webhook events (or deliveries: one per
// event) matching f, newest first, with the total.
func (s *Service) WebhookEvents(ctx context.Context, c Caller, f WebhookFilter) ([]store.WebhookEvent, int, error) {
	if f.EventID != "" && !webhook.ValidEventID(f.EventID) {
		return []store.WebhookEvent{}, 0, nil // names no event
	}
	switch f.Status {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed:
	default:
		return nil, 0, banking.Invalid("status", "must be pending, delivered or failed")
	}
	if f.Type != "" && !webhook.Known(webhook.Type(f.Type)) {
		return nil, 0, banking.Invalid("event_type", "unknown event type; known types: "+joinTypes())
	}
	return s.store.WebhookEvents(ctx, c.ProgramID, f)
}

var errNoWebhookEvent = banking.Errorf(banking.CodeNotFound, "webhook event not found")

// Redeliver makes one more delivery of an event due now, whatever its
// status, with the same event_id (section 5), and answers the event as
// it then is (pending). The redelivery is a webhook.redelivered audit event
// about the webhook event, by the caller's actor (the program, or the
// console's operator).
func (s *Service) Redeliver(ctx context.Context, c Caller, eventID string) (store.WebhookEvent, error) {
	if eventID == "" {
		return store.WebhookEvent{}, banking.Invalid("event_id", "is required")
	}
	if !webhook.ValidEventID(eventID) {
		return store.WebhookEvent{}, errNoWebhookEvent
	}
	w := store.RedeliverWork(c.ProgramID, eventID, s.nowFor(c.ProgramID), c.actor())
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return store.WebhookEvent{}, err
	}
	return v.(store.WebhookEvent), nil
}

// WebhookQueue reports the deliveries waiting for an attempt and how long
// the oldest has waited, for metrics: the job rows' (store.WebhookQueue)
// and, on SQLite, the first deliveries this process holds without one.
func (s *Service) WebhookQueue(ctx context.Context) (int, time.Duration, error) {
	n, oldest, err := s.store.WebhookQueue(ctx)
	handed, since := s.hooks.handedQueue()
	n += handed
	if !since.IsZero() && (oldest.IsZero() || since.Before(oldest)) {
		oldest = since
	}
	if err != nil || oldest.IsZero() {
		return n, 0, err
	}
	return n, max(s.now().Sub(oldest), 0), nil
}
