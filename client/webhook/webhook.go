// Package webhook receives ingot's webhooks (webhooks.md): it verifies a
// delivery's Standard Webhooks signature and decodes its body into typed
// events. A Go receiver is a few lines:
//
//	http.Handle("/hooks", webhook.Handler(os.Getenv("INGOT_WEBHOOK_SECRET"),
//		func(ctx context.Context, ev webhook.Event) error {
//			log.Printf("%s %s about %s", ev.Data.EventID, ev.Event, ev.Data.ResourceID)
//			return nil // 2xx: delivered; an error: 500, and ingot retries
//		}))
//
// Deliveries are at least once and in no guaranteed order: deduplicate on
// Data.EventID, which is the same on every attempt.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The Standard Webhooks headers of every delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Tolerance is how far a delivery's webhook-timestamp may be from the
// receiver's clock (Standard Webhooks' default): older deliveries are
// refused as possible replays.
const Tolerance = 5 * time.Minute

// Verification errors; Verify's error wraps one of them.
var (
	// ErrMissingHeaders: a webhook-* header is missing.
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	// ErrTimestamp: webhook-timestamp is malformed or too far from now.
	ErrTimestamp = errors.New("webhook: timestamp out of tolerance")
	// ErrSignature: no signature matches the body with this secret.
	ErrSignature = errors.New("webhook: no signature matches")
	// ErrSecret: the secret is not "whsec_" + Base64.
	ErrSecret = errors.New("webhook: malformed secret")
)

// Verify checks a delivery: its webhook-signature holds a v1 signature made
// with secret ("whsec_…", as ingot shows it) over webhook-id,
// webhook-timestamp and the exact body, and the timestamp is within
// Tolerance of now. During a secret rotation ingot signs with both
// secrets, so either verifies.
func Verify(secret string, headers http.Header, body []byte) error {
	return VerifyAt(secret, headers, body, time.Now())
}

// VerifyAt is Verify with the receiver's clock given (tests).
func VerifyAt(secret string, headers http.Header, body []byte, now time.Time) error {
	id, ts, sig := headers.Get(HeaderID), headers.Get(HeaderTimestamp), headers.Get(HeaderSignature)
	if id == "" || ts == "" || sig == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrTimestamp, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: %s from now", ErrTimestamp, d.Round(time.Second))
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil || len(strings.TrimPrefix(secret, "whsec_")) == 0 {
		return ErrSecret
	}
	if err := wh.VerifyIgnoringTimestamp(body, headers); err != nil {
		return fmt.Errorf("%w (%v)", ErrSignature, err)
	}
	return nil
}

// Handler is a complete receiver: it reads the body (at most 1 MiB),
// verifies it (401 when it does not verify), decodes it (400 when it is not
// an event) and calls fn; nil answers 204 (delivered), an error 500 (ingot
// tries again later).
func Handler(secret string, fn func(ctx context.Context, ev Event) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		if err := Verify(secret, r.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		ev, err := Parse(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), ev); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// Parse decodes a delivery's body (verify it first).
func Parse(body []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return ev, fmt.Errorf("webhook: body is not an event: %w", err)
	}
	if ev.Event == "" || ev.Data.EventID == "" || ev.Data.EventType != ev.Event {
		return ev, errors.New("webhook: body is not an event: event, data.event_id or data.event_type missing")
	}
	return ev, nil
}
