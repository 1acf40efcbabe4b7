package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"
)

// AttemptTimeout bounds one attempt, from connecting to the end of the
// answer's headers (webhooks.md section 4: a 2xx within 10 s acknowledges).
const AttemptTimeout = 10 * time.Second

// Sender makes delivery attempts: one POST each, signed, through the
// Guard's dialer, never following a redirect. It is safe for concurrent
// use and keeps connections to endpoints alive between attempts.
type Sender struct {
	client    *http.Client
	userAgent string
	timeout   time.Duration // AttemptTimeout; tests shorten it
}

// NewSender returns a Sender dialling through g.
func NewSender(g *Guard) *Sender {
	tr := &http.Transport{
		// Never a proxy from the environment: the guard must see the
		// endpoint's own addresses.
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   AttemptTimeout,
		ResponseHeaderTimeout: AttemptTimeout,
	}
	return &Sender{
		client: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		userAgent: "ingot-webhooks/" + Version(),
		timeout:   AttemptTimeout,
	}
}

// Close drops the Sender's idle connections.
func (s *Sender) Close() { s.client.CloseIdleConnections() }

// Result is how one attempt ended.
type Result struct {
	// Delivered: a 2xx answer within the timeout.
	Delivered bool
	// StatusCode is the answer's status, 0 when there was none.
	StatusCode int
	// Gone: the endpoint answered 410 (disable it).
	Gone bool
	// Error says why the attempt failed, for the delivery log; "" when
	// delivered.
	Error string
	// Duration is how long the attempt took.
	Duration time.Duration
}

// Send POSTs body to url as event id, signed with keys (the current secret
// first) at the time at.
func (s *Sender) Send(ctx context.Context, url, id string, body []byte, keys [][]byte, at time.Time) Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	r := s.send(ctx, url, id, body, keys, at)
	r.Duration = time.Since(start)
	return r
}

func (s *Sender) send(ctx context.Context, url, id string, body []byte, keys [][]byte, at time.Time) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{Error: "bad webhook URL: " + err.Error()}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", s.userAgent)
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, Timestamp(at))
	h.Set(HeaderSignature, Sign(keys, id, at, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Error: s.attemptError(ctx, err)}
	}
	defer resp.Body.Close()
	r := Result{StatusCode: resp.StatusCode}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r.Delivered = true
		// Read (a bounded part of) the answer so the connection is reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return r
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	r.Gone = resp.StatusCode == http.StatusGone
	r.Error = fmt.Sprintf("HTTP %d", resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		r.Error += " (redirects are not followed)"
		if loc := resp.Header.Get("Location"); loc != "" {
			r.Error += ": Location " + printable(loc, 200)
		}
	} else if t := printable(string(snippet), 200); t != "" {
		r.Error += ": " + t
	}
	return r
}

// attemptError describes a failed attempt without an answer.
func (s *Sender) attemptError(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, ErrForbiddenAddress):
		var msg string
		for e := err; e != nil; e = errors.Unwrap(e) {
			msg = e.Error()
			if strings.HasPrefix(msg, ErrForbiddenAddress.Error()) {
				break
			}
		}
		return "refused: " + msg
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", s.timeout)
	}
	return err.Error()
}

// printable keeps at most n bytes of s's first line, valid UTF-8 only.
func printable(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.ToValidUTF8(strings.TrimSpace(s), "")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// Version is the User-Agent's version: the module's, else the commit the
// binary was built from, else "dev".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v")
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
