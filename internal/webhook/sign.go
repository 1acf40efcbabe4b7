package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Signatures follow Standard Webhooks (webhooks.md section 4, and
// https://www.standardwebhooks.com): the headers webhook-id (the event id),
// webhook-timestamp (Unix seconds of the attempt) and webhook-signature,
// "v1," + Base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed with
// the secret's bytes; after a rotation one signature per secret that still
// signs, separated by spaces. The signing itself is the reference library's
// (docs/decisions.md).

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts a secret as it is shown: "whsec_" + Base64.
const SecretPrefix = "whsec_"

// secretBytes is the length of a new secret: 32 bytes, inside the 24-64
// Standard Webhooks asks for.
const secretBytes = 32

// NewSecret returns a fresh random secret's bytes.
func NewSecret() []byte {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return b
}

// FormatSecret shows a secret's bytes as "whsec_" + Base64.
func FormatSecret(key []byte) string { return SecretPrefix + base64.StdEncoding.EncodeToString(key) }

// ParseSecret reads a secret shown by FormatSecret (the prefix is optional,
// as Standard Webhooks libraries accept).
func ParseSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("webhook secret: want whsec_ followed by Base64")
	}
	return key, nil
}

// Sign returns the webhook-signature header of one attempt: a "v1,…"
// signature per key, in order, separated by spaces. keys must not be empty.
func Sign(keys [][]byte, id string, at time.Time, body []byte) string {
	sigs := make([]string, 0, len(keys))
	for _, k := range keys {
		wh, _ := standardwebhooks.NewWebhookRaw(k) // never fails
		sig, _ := wh.Sign(id, at, body)            // never fails
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " ")
}

// Timestamp is the webhook-timestamp header's value for at.
func Timestamp(at time.Time) string { return strconv.FormatInt(at.Unix(), 10) }
