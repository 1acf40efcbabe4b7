package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver records requests and answers with status.
type receiver struct {
	mu     sync.Mutex
	got    []received
	status atomic.Int64
	header http.Header
}

func newReceiver(t *testing.T, status int) (*receiver, *httptest.Server) {
	r := &receiver{}
	r.status.Store(int64(status))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), b})
		for k, v := range r.header {
			w.Header()[k] = v
		}
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
		io.WriteString(w, "answer from the receiver\nsecond line")
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) last(t *testing.T) received {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		t.Fatal("the receiver got nothing")
	}
	return r.got[len(r.got)-1]
}

var openGuard = &Guard{AllowPrivate: true}

func TestSendOutcomes(t *testing.T) {
	for _, c := range []struct {
		status    int
		delivered bool
		gone      bool
		err       string
	}{
		{200, true, false, ""},
		{204, true, false, ""},
		{299, true, false, ""},
		{500, false, false, "HTTP 500: answer from the receiver"},
		{404, false, false, "HTTP 404: answer from the receiver"},
		{410, false, true, "HTTP 410: answer from the receiver"},
		{301, false, false, "HTTP 301 (redirects are not followed)"},
	} {
		rec, srv := newReceiver(t, c.status)
		r := NewSender(openGuard).Send(context.Background(), srv.URL+"/hook", NewEventID(time.Now()), []byte(`{"a":1}`), [][]byte{NewSecret()}, time.Now())
		if r.Delivered != c.delivered || r.Gone != c.gone || r.StatusCode != c.status || r.Error != c.err {
			t.Errorf("%d: got %+v, want delivered %v, gone %v, error %q", c.status, r, c.delivered, c.gone, c.err)
		}
		if len(rec.got) != 1 {
			t.Errorf("%d: receiver got %d requests, want 1", c.status, len(rec.got))
		}
	}
}

// TestRedirectIsNotFollowed: a 302 to another receiver (here one on
// loopback, the address a redirect would use to reach inside) is the
// attempt's answer; the target is never called.
func TestRedirectIsNotFollowed(t *testing.T) {
	target, tsrv := newReceiver(t, 200)
	rec, srv := newReceiver(t, http.StatusFound)
	rec.header = http.Header{"Location": {tsrv.URL + "/latest/meta-data/"}}
	for _, g := range []*Guard{openGuard, {}} {
		r := NewSender(g).Send(context.Background(), srv.URL, NewEventID(time.Now()), []byte(`{}`), [][]byte{NewSecret()}, time.Now())
		if g.AllowPrivate && !(!r.Delivered && r.StatusCode == 302 && strings.Contains(r.Error, "(redirects are not followed): Location "+tsrv.URL)) {
			t.Errorf("attempt = %+v, want a failed 302 naming the Location", r)
		}
	}
	if len(target.got) != 0 {
		t.Errorf("the redirect target got %d requests, want 0", len(target.got))
	}
}

func TestSendHeaders(t *testing.T) {
	rec, srv := newReceiver(t, 200)
	key := NewSecret()
	at := time.Unix(1_776_342_896, 0)
	id := NewEventID(time.Now())
	body := []byte(`{"event":"user.blocked"}`)
	NewSender(openGuard).Send(context.Background(), srv.URL, id, body, [][]byte{key}, at)
	got := rec.last(t)
	for k, want := range map[string]string{
		"Content-Type": "application/json", "Webhook-Id": id, "Webhook-Timestamp": "1776342896",
	} {
		if v := got.header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	if ua := got.header.Get("User-Agent"); !strings.HasPrefix(ua, "ingot-webhooks/") {
		t.Errorf("User-Agent = %q, want ingot-webhooks/VERSION", ua)
	}
	if !bytes.Equal(got.body, body) {
		t.Errorf("body = %s, want %s", got.body, body)
	}
}

// handSignature is Standard Webhooks' signature computed here from the
// specification, not through the library the server uses.
func handSignature(key []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TestSignaturesVerifyIndependently checks what the server sends against
// three verifiers it does not share code with: the reference library's
// Verify, the HMAC computed here from the specification, and (where
// python3 exists) a few lines of Python. A body changed by one byte fails
// all of them.
func TestSignaturesVerifyIndependently(t *testing.T) {
	rec, srv := newReceiver(t, 200)
	key := NewSecret()
	secret := FormatSecret(key)
	body := (&Event{ID: NewEventID(time.Now()), Type: UserKYCVerified, ResourceID: "user-x", OccurredAt: time.Now(),
		Fields: []Field{{"user_id", "7"}, {"status", "verified"}}}).Body()
	id := NewEventID(time.Now())
	NewSender(openGuard).Send(context.Background(), srv.URL, id, body, [][]byte{key}, time.Now())
	got := rec.last(t)

	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.body, got.header); err != nil {
		t.Errorf("reference library: %v", err)
	}
	ts := got.header.Get(HeaderTimestamp)
	if want := handSignature(key, id, ts, body); got.header.Get(HeaderSignature) != want {
		t.Errorf("signature %q, want %q (by hand)", got.header.Get(HeaderSignature), want)
	}
	tampered := bytes.Clone(got.body)
	tampered[len(tampered)/2] ^= 0x01
	if err := wh.Verify(tampered, got.header); err == nil {
		t.Error("reference library accepted a body changed by one byte")
	}
	if handSignature(key, id, ts, tampered) == got.header.Get(HeaderSignature) {
		t.Error("the hand signature of a changed body matches")
	}

	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: the Python verifier is skipped (the reference library and the hand HMAC checked)")
		return
	}
	const script = `import base64, hashlib, hmac, sys
secret, msg_id, ts, sig, path = sys.argv[1:6]
key = base64.b64decode(secret.removeprefix("whsec_"))
body = open(path, "rb").read()
mac = base64.b64encode(hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256).digest()).decode()
ok = any(hmac.compare_digest(s.split(",", 1)[1], mac) for s in sig.split(" ") if s.startswith("v1,"))
print("ok" if ok else "bad")
`
	for _, c := range []struct {
		body []byte
		want string
	}{{got.body, "ok"}, {tampered, "bad"}} {
		path := t.TempDir() + "/body"
		if err := os.WriteFile(path, c.body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-c", script, secret, id, ts, got.header.Get(HeaderSignature), path).CombinedOutput()
		if err != nil {
			t.Fatalf("python3: %v\n%s", err, out)
		}
		if s := strings.TrimSpace(string(out)); s != c.want {
			t.Errorf("python3 verifier said %q, want %q", s, c.want)
		}
	}
}

// TestRotationSignsTwice: with two keys, the header carries two
// signatures, and a receiver holding either secret verifies.
func TestRotationSignsTwice(t *testing.T) {
	rec, srv := newReceiver(t, 200)
	newKey, oldKey := NewSecret(), NewSecret()
	NewSender(openGuard).Send(context.Background(), srv.URL, NewEventID(time.Now()), []byte(`{}`), [][]byte{newKey, oldKey}, time.Now())
	got := rec.last(t)
	if n := len(strings.Split(got.header.Get(HeaderSignature), " ")); n != 2 {
		t.Errorf("%d signatures, want 2: %q", n, got.header.Get(HeaderSignature))
	}
	for _, k := range [][]byte{newKey, oldKey} {
		wh, _ := standardwebhooks.NewWebhook(FormatSecret(k))
		if err := wh.Verify(got.body, got.header); err != nil {
			t.Errorf("verify with one of the two secrets: %v", err)
		}
	}
	wh, _ := standardwebhooks.NewWebhook(FormatSecret(NewSecret()))
	if err := wh.Verify(got.body, got.header); err == nil {
		t.Error("a third secret verified")
	}
}

func TestSecretFormat(t *testing.T) {
	key := NewSecret()
	s := FormatSecret(key)
	if !strings.HasPrefix(s, "whsec_") || len(key) != 32 {
		t.Errorf("secret %q (%d bytes), want whsec_ and 32 bytes", s, len(key))
	}
	for _, in := range []string{s, strings.TrimPrefix(s, "whsec_")} {
		back, err := ParseSecret(in)
		if err != nil || !bytes.Equal(back, key) {
			t.Errorf("ParseSecret(%q) = %x, %v", in, back, err)
		}
	}
	if _, err := ParseSecret("whsec_not base64!"); err == nil {
		t.Error("ParseSecret accepted a malformed secret")
	}
}

// TestSlowEndpointTimesOut: an endpoint that does not answer within the
// attempt's timeout fails the attempt (no answer, retried later).
func TestSlowEndpointTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	s := NewSender(openGuard)
	s.timeout = 50 * time.Millisecond
	r := s.Send(context.Background(), srv.URL, NewEventID(time.Now()), []byte(`{}`), [][]byte{NewSecret()}, time.Now())
	if r.Delivered || r.StatusCode != 0 || r.Error != "no answer within 50ms" {
		t.Errorf("attempt = %+v, want no answer within 50ms", r)
	}
}
