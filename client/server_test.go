package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
)

// ingot is a real in-process server on a SQLite file, as `ingot serve`
// wires it, with one program's credentials.
type ingot struct {
	URL   string
	creds service.Credentials
	svc   *service.Service
	stop  func()
}

// testKey is a fixed master key: tests need a valid one, not a secret one.
var testKey = bytes.Repeat([]byte{7}, 32)

// serverOptions let a test watch or hold the server startIngotWith starts.
type serverOptions struct {
	// observe is the store's Observe hook: it is told of every store
	// operation as it ends, on the request's goroutine, so blocking in it
	// holds that request at that point.
	observe func(op string, d time.Duration)
	// wrap, when set, wraps the API handler (to count requests).
	wrap func(http.Handler) http.Handler
	// production serves as "ingot serve" without --sandbox does (no 401
	// hints, no sandbox calls); the default is the sandbox.
	production bool
}

// startIngot serves a fresh database under dir. It takes no *testing.T so
// the runnable examples can use it too.
func startIngot(dir string) (*ingot, error) { return startIngotWith(dir, serverOptions{}) }

// startIngotWith is startIngot with test hooks.
func startIngotWith(dir string, opt serverOptions) (*ingot, error) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "ingot.db"), store.Options{Observe: opt.observe})
	if err != nil {
		return nil, err
	}
	sealer, err := vault.New(testKey)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc := service.New(service.Config{Store: st, Sealer: sealer, KYC: kyc.Sandbox{},
		Webhooks: service.WebhookConfig{AllowPrivate: !opt.production}, Sandbox: !opt.production})
	h := httpapi.NewHandler(httpapi.Config{Service: svc, Sandbox: !opt.production})
	if opt.wrap != nil {
		h = opt.wrap(h)
	}
	srv := httptest.NewServer(h)
	in := &ingot{URL: srv.URL, svc: svc, stop: func() {
		srv.Close()
		svc.Close()
		st.Close()
	}}
	if in.creds, err = svc.CreateProgram(ctx, "sdk-test"); err != nil {
		in.stop()
		return nil, err
	}
	return in, nil
}

// newIngot starts a server for one test and stops it when the test ends.
func newIngot(t *testing.T) *ingot {
	t.Helper()
	return newIngotWith(t, serverOptions{})
}

// newIngotWith is newIngot with test hooks.
func newIngotWith(t *testing.T, opt serverOptions) *ingot {
	t.Helper()
	in, err := startIngotWith(t.TempDir(), opt)
	if err != nil {
		t.Fatalf("start ingot: %v", err)
	}
	t.Cleanup(in.stop)
	return in
}

// exampleIngot is startIngot for examples, which have no t.TempDir; the
// returned func stops the server and removes its files.
func exampleIngot() (*ingot, func()) {
	dir, err := os.MkdirTemp("", "ingot-example-")
	if err != nil {
		panic(err)
	}
	in, err := startIngot(dir)
	if err != nil {
		os.RemoveAll(dir)
		panic(err)
	}
	return in, func() {
		in.stop()
		os.RemoveAll(dir)
	}
}

// client returns an SDK client for the server's program.
func (in *ingot) client(opts ...client.Option) *client.Client {
	return client.New(in.URL, in.creds.APIKey, in.creds.HMACUsername, in.creds.HMACSecret, opts...)
}

// otherProgram returns a client of a second program on the same server.
func (in *ingot) otherProgram(t *testing.T) *client.Client {
	t.Helper()
	c, err := in.svc.CreateProgram(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	return client.New(in.URL, c.APIKey, c.HMACUsername, c.HMACSecret)
}

// validUser is a create request that passes every rule; tests change one
// thing.
func validUser(email string) apitype.CreateUserRequest {
	return apitype.CreateUserRequest{
		FirstName: "Ada", LastName: "Lovelace", Email: email,
		PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "San Francisco",
		State: "CA", PostalCode: "94105", Country: "US",
	}
}

// mustCreate creates a valid user and returns it.
func mustCreate(t *testing.T, c *client.Client, email string) apitype.User {
	t.Helper()
	u, err := c.CreateUser(context.Background(), validUser(email))
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

// wantAPIError fails unless err is an *Error with the given status and
// matches sentinel through errors.Is, and returns it.
func wantAPIError(t *testing.T, err error, status int, sentinel error) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *client.Error", err, err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("errors.Is(%v, %v) = false", err, sentinel)
	}
	if e.StatusCode != status {
		t.Errorf("StatusCode = %d, want %d (%v)", e.StatusCode, status, err)
	}
	return e
}

func ptr[T any](v T) *T { return &v }
