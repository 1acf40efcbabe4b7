package client

import (
	cryptorand "crypto/rand"
	"encoding/hex"
	"maps"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/apitype"
)

// readPaths are the calls that change nothing, so sending them twice is
// harmless and they may always be retried. Every other path, the known
// mutations (create, update, block, unblock, send-verification-request) and
// any path this version does not know, is treated as a mutation, because
// guessing wrong there could act twice.
var readPaths = map[string]bool{
	"user/get-all":                               true,
	"user/get":                                   true,
	"user/events":                                true,
	"business/get":                               true,
	"business/get-all":                           true,
	"business/events":                            true,
	"business/get-business-owners":               true,
	"business/get-business-owner-documents":      true,
	"business/customers/get-all":                 true,
	"business/routable-bank-accounts/get-single": true,
	"routable-bank-accounts/get-all":             true,
	"program/routable-bank-accounts/get":         true,
	"balance/user":                               true,
	"balance/program-master-rba":                 true,
	"transactions/business":                      true,
	"transactions/user":                          true,
	"transactions/single":                        true,
	"transactions/program-rba":                   true,
	"sandbox/clock/get":                          true,
	"sandbox/faults/get-all":                     true,
}

// delay is the backoff before retry number attempt+1: exponential from the
// base, capped, with "equal jitter" (half fixed, half random) so that many
// clients failing together do not retry in lockstep, yet each still waits a
// meaningful minimum.
func (c *Client) delay(attempt int) time.Duration {
	d := c.backoff
	for i := 0; i < attempt && d < c.backoffMax; i++ {
		d *= 2
	}
	d = min(d, c.backoffMax)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// retryAfter reads a Retry-After header: delay-seconds (what ingot sends)
// or an HTTP date (what some proxies send). Anything else means no advice.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// inFlightPrefix is the part of apitype.MessageIdempotencyInFlight that
// servers from before it gained "; retry later" (and Retry-After) also send.
const inFlightPrefix = "a request with this idempotent_key is still in progress"

// inFlight reports whether an error answer is the 409 of an idempotent_key
// whose first request is still running, the one conflict a retry can fix (see
// the package documentation). Retry-After is the signal: the server sets it on
// no other 409. The message is the fallback for a proxy that drops headers.
func inFlight(status int, h http.Header, e *Error) bool {
	if status != http.StatusConflict || e.Code != ErrConflict.Code {
		return false
	}
	return h.Get("Retry-After") != "" || strings.HasPrefix(e.Message, inFlightPrefix)
}

// newIdempotentKey returns a fresh random key. 128 random bits make a
// collision with another call of the same program practically impossible,
// and a collision is what would make the server replay the wrong answer.
func newIdempotentKey() string {
	b := make([]byte, 16)
	_, _ = cryptorand.Read(b) // cannot fail: crypto/rand aborts the program instead
	return hex.EncodeToString(b)
}

// ensureKey gives a request an idempotent_key unless the caller chose one.
// It runs once per logical call, before the first attempt, so every attempt
// carries the same key and the server can recognise the retries.
func ensureKey(c *apitype.Common) {
	if c.IdempotentKey == "" {
		c.IdempotentKey = newIdempotentKey()
	}
}

var commonType = reflect.TypeFor[apitype.Common]()

// withIdempotentKey returns a copy of body that carries an idempotent_key,
// and whether it could make one. It understands the bodies whose shape it
// can be sure of: a map[string]any, and a struct (or pointer to one) that
// embeds apitype.Common, which covers every apitype request. The caller's
// value is never modified.
func withIdempotentKey(body any) (any, bool) {
	if m, ok := body.(map[string]any); ok {
		switch k := m["idempotent_key"].(type) {
		case string:
			if k != "" {
				return m, true
			}
		case nil:
		default:
			return m, false // not a key the server will accept; send as is
		}
		m = maps.Clone(m)
		if m == nil {
			m = map[string]any{}
		}
		m["idempotent_key"] = newIdempotentKey()
		return m, true
	}
	v := reflect.ValueOf(body)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return body, false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return body, false
	}
	f, ok := v.Type().FieldByName("Common")
	if !ok || !f.Anonymous || f.Type != commonType || len(f.Index) != 1 {
		return body, false
	}
	cp := reflect.New(v.Type()).Elem()
	cp.Set(v)
	ensureKey(cp.Field(f.Index[0]).Addr().Interface().(*apitype.Common))
	return cp.Interface(), true
}
