// Package client is the Go SDK for ingot's Banking Platform API v4.
//
// A Client signs every call with the program's HMAC credentials, sends the
// API key, decodes the success envelope into the shared apitype types and
// turns error answers into *Error, which errors.Is matches against the
// sentinels (ErrNotFound, ErrConflict, ...). Transient failures (429, 5xx,
// transport errors, and the 409 of an idempotent_key still in flight) are
// retried with backoff, but only where a retry cannot act twice: reads always,
// mutations only under one idempotent_key that the client generates once per
// logical call (or the caller set).
//
// A 409 conflict is usually final: a state transition that is not allowed, or
// a duplicate email; it is returned at once. One 409 is not: the server
// answers it while an earlier request under the same idempotent_key is still
// running (a retry whose first attempt timed out, or two processes sending
// one keyed request), and the same request sent later gets that request's
// answer. The client recognises it by the Retry-After header, which the server
// sets on no other 409, or, should a proxy drop the header, by its message
// (apitype.MessageIdempotencyInFlight; older servers send the same text
// without "; retry later"). It is retried like a 429: after Retry-After or the
// backoff, whichever is longer, up to the retry limit; if the first request is
// still running then, the call fails with ErrConflict and that message.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/signature"
)

// apiPrefix is where every call lives; callers may name paths with or
// without it.
const apiPrefix = "/api/v4/"

// maxAnswer bounds how much of an answer is read, so a misbehaving server or
// proxy cannot make the client buffer without limit. The largest legitimate
// answer (500 users per page) is far below it.
const maxAnswer = 32 << 20

// Client calls one ingot server as one program. It is safe for concurrent
// use by multiple goroutines, because nothing in it changes after New.
type Client struct {
	baseURL    string
	apiKey     string
	httpClient *http.Client
	maxRetries int
	now        func() time.Time
	backoff    time.Duration
	backoffMax time.Duration
	// creds sits behind a pointer so that printing a Client with %v or %+v
	// shows an address, never the HMAC secret.
	creds *credentials
	// Sandbox holds the sandbox control calls (sandbox.go).
	Sandbox Sandbox
}

// credentials are the HMAC signing identity.
type credentials struct {
	username string
	secret   []byte
}

// Option configures a Client at construction, so a Client never changes
// while requests are in flight.
type Option func(*Client)

// New returns a Client for the server at baseURL (e.g.
// "https://ingot.example.com"; a trailing "/api/v4" is tolerated) that
// authenticates with the program's API key and HMAC credentials. Invalid
// credentials are not detected here but by the first call, which fails with
// ErrUnauthenticated.
func New(baseURL, apiKey, hmacUsername, hmacSecret string, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	base = strings.TrimSuffix(base, strings.TrimSuffix(apiPrefix, "/"))
	c := &Client{
		baseURL: base,
		apiKey:  apiKey,
		// A per-attempt timeout turns a hung connection into a transport
		// error that the retry loop can recover from; callers bound the
		// whole call with their context.
		httpClient: &http.Client{Timeout: 30 * time.Second},
		maxRetries: 3,
		now:        time.Now,
		backoff:    100 * time.Millisecond,
		backoffMax: 5 * time.Second,
		creds:      &credentials{username: hmacUsername, secret: []byte(hmacSecret)},
	}
	c.Sandbox = Sandbox{c: c}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithHTTPClient sends requests through hc, for custom transports, proxies,
// TLS settings or test servers. A nil hc keeps the default.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// WithMaxRetries sets how many times a failed call may be retried after the
// first attempt (default 3). Zero disables retries; negative counts as zero.
func WithMaxRetries(n int) Option {
	return func(c *Client) { c.maxRetries = max(n, 0) }
}

// WithClock sets the clock used to date signatures (default time.Now). The
// server rejects dates more than five minutes off its own clock, so this is
// for tests and for hosts whose clock is known to be wrong. Nil is ignored.
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithBackoff sets the first retry delay and the cap of the exponential
// backoff (defaults 100ms and 5s). A server's Retry-After takes precedence
// when it asks for longer. Non-positive values keep the defaults.
func WithBackoff(base, maxDelay time.Duration) Option {
	return func(c *Client) {
		if base > 0 {
			c.backoff = base
		}
		if maxDelay > 0 {
			c.backoffMax = maxDelay
		}
		c.backoffMax = max(c.backoffMax, c.backoff)
	}
}

// Do sends any call, for endpoints the typed methods do not cover yet. path
// is like "user/get-all" or "/api/v4/user/get-all". body is marshalled to
// JSON, except a []byte or json.RawMessage, which is sent as is; nil sends
// "{}". out, when not nil, receives the envelope's data.
//
// Retries follow the typed methods: reads are retried freely; known
// mutations and unknown paths only when the client can carry one
// idempotent_key across attempts, which it can for a map[string]any or a
// struct embedding apitype.Common (a key is added to a copy unless one is
// set). A raw []byte body to such a path is sent once.
func (c *Client) Do(ctx context.Context, path string, body any, out any) error {
	p := callPath(path)
	read := readPaths[p]
	switch b := body.(type) {
	case []byte:
		return c.call(ctx, p, b, read, out)
	case json.RawMessage:
		return c.call(ctx, p, b, read, out)
	case nil:
		body = map[string]any{}
	}
	retry := read
	if !read {
		body, retry = withIdempotentKey(body)
	}
	return c.send(ctx, p, body, retry, out)
}

// callPath reduces any accepted spelling of a path to its part after
// /api/v4/, the form readPaths and mutationPaths use.
func callPath(path string) string {
	p := strings.TrimLeft(path, "/")
	return strings.TrimPrefix(p, strings.TrimPrefix(apiPrefix, "/"))
}

// send marshals body and calls path.
func (c *Client) send(ctx context.Context, path string, body any, retry bool, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("ingot: %s: encoding request: %w", path, err)
	}
	return c.call(ctx, path, raw, retry, out)
}

// call runs the attempts of one logical call. retry says whether sending raw
// again is safe; the body bytes are identical on every attempt, which is what
// makes an idempotent_key replay match.
func (c *Client) call(ctx context.Context, path string, raw []byte, retry bool, out any) error {
	for attempt := 0; ; attempt++ {
		wait, transient, err := c.attempt(ctx, path, raw, out)
		if err == nil {
			return nil
		}
		if !transient || !retry || attempt >= c.maxRetries || ctx.Err() != nil {
			return err
		}
		wait = max(wait, c.delay(attempt))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("ingot: %s: stopped retrying: %w (last attempt: %w)", path, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// attempt sends raw once. It reports whether a failure is transient (worth
// retrying) and how long the server asked to wait.
func (c *Client) attempt(ctx context.Context, path string, raw []byte, out any) (wait time.Duration, transient bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+apiPrefix+path, bytes.NewReader(raw))
	if err != nil {
		return 0, false, fmt.Errorf("ingot: %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("api_key", c.apiKey)
	// Signed per attempt: X-Date must be fresh on every retry.
	if _, err := signature.SignRequest(req, raw, c.creds.username, c.creds.secret, c.now()); err != nil {
		return 0, false, fmt.Errorf("ingot: %s: signing: %w", path, err)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return 0, true, fmt.Errorf("ingot: %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return 0, true, fmt.Errorf("ingot: %s: reading answer: %w", path, err)
	}
	if len(body) > maxAnswer {
		return 0, false, fmt.Errorf("ingot: %s: answer larger than %d bytes", path, maxAnswer)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := decodeError(resp.StatusCode, resp.Header, body)
		transient = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 ||
			inFlight(resp.StatusCode, resp.Header, e)
		return retryAfter(resp.Header.Get("Retry-After"), time.Now()), transient, e
	}
	var env apitype.Envelope[json.RawMessage]
	if err := json.Unmarshal(body, &env); err != nil {
		return 0, false, fmt.Errorf("ingot: %s: decoding answer (HTTP %d): %w", path, resp.StatusCode, err)
	}
	if out == nil || len(env.Data) == 0 {
		return 0, false, nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return 0, false, fmt.Errorf("ingot: %s: decoding data: %w", path, err)
	}
	return 0, false, nil
}

// single runs a single-object call and unwraps its one item. Anything but
// exactly one item breaks the contract (api-v4.md, envelopes), and guessing
// which to return could hand back the wrong object. Every single-object call
// may be retried: it is a read or carries an idempotent_key by the time it
// gets here.
func single[T any](ctx context.Context, c *Client, path string, req any) (T, error) {
	var zero T
	page, err := pageOf[T](ctx, c, path, req)
	if err != nil {
		return zero, err
	}
	if n := len(page.Items); n != 1 {
		return zero, fmt.Errorf("ingot: %s answered %d items, want exactly 1", path, n)
	}
	return page.Items[0], nil
}

// pageOf runs a call that answers a page of T (a list, or a single object
// in its one-item page), retried like any read.
func pageOf[T any](ctx context.Context, c *Client, path string, req any) (apitype.Page[T], error) {
	var page apitype.Page[T]
	err := c.send(ctx, path, req, true, &page)
	return page, err
}
