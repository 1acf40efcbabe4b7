package console

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// clock is a settable time source for the console's sign-in limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a running server, API and console, on a fresh database, with one
// program and one console token.
type env struct {
	t       *testing.T
	st      *store.Store
	svc     *service.Service
	con     *Console
	srv     *httptest.Server
	clock   *clock
	program banking.ProgramID
	// token is the console token of operator "alice".
	token string
	// ssns are every full SSN the seed used: no page may show one.
	ssns []string
	// numbers are the full account numbers issued: no page may show one.
	numbers []string
}

// newEnv starts a server on dsn. The service runs on real time (the KYC
// jobs need it); the console's limiter runs on e.clock.
func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	sealer, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	// Webhook endpoints on loopback (the tests' receivers) are allowed, as
	// in a sandbox.
	svc := service.New(service.Config{Store: st, Sealer: sealer, KYC: kyc.Sandbox{}, Sandbox: true,
		Webhooks: service.WebhookConfig{AllowPrivate: true}})
	e := &env{t: t, st: st, svc: svc, clock: &clock{t: time.Now()}}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e.con = New(Config{Service: svc, Now: e.clock.Now, Sandbox: true, Logger: log})
	e.srv = httptest.NewServer(Mount(httpapi.NewHandler(httpapi.Config{Service: svc}), e.con))
	t.Cleanup(func() {
		e.srv.Close()
		svc.Close()
		st.Close()
	})
	creds, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	e.program = banking.ProgramID(creds.ProgramID)
	// The master account is issued with the program; its number is in the
	// trail's program.created event, which no page may show in full.
	master, err := svc.MasterAccount(ctx, e.caller())
	if err != nil {
		t.Fatal(err)
	}
	e.numbers = append(e.numbers, master.Number)
	if e.token, err = svc.CreateConsoleToken(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	return e
}

// engines runs fn on a fresh env of every engine.
func engines(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) { fn(t, newEnv(t, eng.DSN(t))) })
	}
}

func (e *env) caller() service.Caller { return service.Caller{ProgramID: e.program} }

// user creates a user whose SSN ends in last4 and, with submit, sends it to
// KYC (0002 stays pending for review in the sandbox).
func (e *env) user(first, last, email, last4 string, submit bool) banking.User {
	e.t.Helper()
	ssn := "123-45-" + last4
	e.ssns = append(e.ssns, ssn, strings.ReplaceAll(ssn, "-", ""))
	u, err := e.svc.CreateUser(context.Background(), e.caller(), banking.NewUserInput{FirstName: first, LastName: last,
		Email: email, PhoneNumber: "+14155550123", DateOfBirth: "1990-12-10", AddressOne: "1 Main St",
		City: "San Francisco", State: "CA", Country: "US", PostalCode: "94105", SSN: ssn})
	if err != nil {
		e.t.Fatalf("create user %s: %v", email, err)
	}
	if submit {
		if u, err = e.svc.SubmitKYC(context.Background(), e.caller(), string(u.ID)); err != nil {
			e.t.Fatalf("submit kyc %s: %v", email, err)
		}
	}
	return u
}

// waitKYC waits until the sandbox provider decided u's KYC as want.
func (e *env) waitKYC(u banking.User, want banking.KYCStatus) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.svc.GetUser(context.Background(), e.caller(), string(u.ID))
		if err == nil && got.KYCStatus == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("user %s kyc_status = %s (%v), want %s", u.ID, got.KYCStatus, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// business creates a business of the verified user u, with one owner
// (SSN ending in ownerLast4) and one document, and sends it to KYB (an EIN
// ending in 0002 stays pending for review in the sandbox).
func (e *env) business(u banking.User, name, ein, ownerLast4 string) banking.Business {
	e.t.Helper()
	ctx := context.Background()
	b, err := e.svc.CreateBusiness(ctx, e.caller(), string(u.ID), banking.NewBusinessInput{BusinessProfile: banking.BusinessProfile{
		Name: name, EIN: ein, BusinessType: "llc", AddressOne: "1 Market St", City: "San Francisco",
		State: "CA", PostalCode: "94105", Country: "US", Email: "ops@" + strings.ToLower(strings.Fields(name)[0]) + ".example",
		Phone: "+14155550100"}})
	if err != nil {
		e.t.Fatalf("create business %s: %v", name, err)
	}
	ssn := "321-65-" + ownerLast4
	e.ssns = append(e.ssns, ssn, strings.ReplaceAll(ssn, "-", ""))
	share := "60"
	o, err := e.svc.AddOwner(ctx, e.caller(), string(u.ID), string(b.ID), banking.NewOwnerInput{
		Name: "Olivia Owner", FirstName: "Olivia", LastName: "Owner", Email: "olivia@example.com", PhoneNumber: "+14155550199",
		Address: "2 Owner Way, San Francisco, CA 94105", DateOfBirth: "1985-03-04", SSN: ssn, Ownership: &share})
	if err != nil {
		e.t.Fatalf("add owner: %v %v", err, err.(*banking.Error).Fields)
	}
	if _, err := e.svc.AddDocument(ctx, e.caller(), string(u.ID), string(b.ID), string(o.ID), banking.NewDocumentInput{
		DocumentType: "passport", FileURL: "https://files.example.com/passport.pdf"}); err != nil {
		e.t.Fatalf("add document: %v", err)
	}
	if b, err = e.svc.SubmitKYB(ctx, e.caller(), string(u.ID), string(b.ID)); err != nil {
		e.t.Fatalf("submit kyb: %v", err)
	}
	return b
}

// failingHook starts a webhook receiver that answers every delivery 500
// and makes it the program's endpoint: every event from then on has a
// delivery that fails and is retried (after a minute at the first retry).
func (e *env) failingHook() {
	e.t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Error(w, "receiver down", http.StatusInternalServerError)
	}))
	e.t.Cleanup(srv.Close)
	if _, err := e.svc.SetWebhook(context.Background(), e.program, srv.URL+"/hooks", nil); err != nil {
		e.t.Fatalf("set webhook: %v", err)
	}
}

// account issues an RBA to the verified user u and, when cents > 0, funds
// it by a simulated inbound wire (completed at once).
func (e *env) account(u banking.User, cents int64) (banking.Account, banking.Transaction) {
	e.t.Helper()
	ctx := context.Background()
	a, err := e.svc.IssueUserAccount(ctx, e.caller(), string(u.ID))
	if err != nil {
		e.t.Fatalf("issue account: %v", err)
	}
	e.numbers = append(e.numbers, a.Number)
	var t banking.Transaction
	if cents > 0 {
		if t, err = e.svc.SimulateInbound(ctx, e.caller(), string(a.ID), banking.FormatAmount(cents), "wire", "Opening deposit", nil); err != nil {
			e.t.Fatalf("fund account: %v", err)
		}
	}
	return a, t
}

// waitDelivery waits until the webhook event id has had at least one
// attempt, and answers it.
func (e *env) waitDelivery(id string) store.WebhookEvent {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, _, err := e.svc.WebhookEvents(context.Background(), e.caller(), service.WebhookFilter{EventID: id, Page: 1, PerPage: 1})
		if err == nil && len(evs) == 1 && evs[0].Attempts > 0 {
			return evs[0]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("webhook event %s: no attempt after 10 s (%v)", id, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so tests see each answer.
type browser struct {
	t *testing.T
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is one response with its body read.
type answer struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp, string(body)}
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) answer {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf is the CSRF token in a page's forms.
func (a answer) csrf(t *testing.T) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("no csrf field in the page (status %d):\n%s", a.StatusCode, a.body)
	}
	return m[1]
}

// signIn signs in with token and fails the test unless it worked.
func (b *browser) signIn(token string) {
	b.t.Helper()
	a := b.trySignIn(token)
	if a.StatusCode != http.StatusSeeOther || a.Header.Get("Location") != Prefix {
		b.t.Fatalf("sign-in: %d to %q, want 303 to %s:\n%s", a.StatusCode, a.Header.Get("Location"), Prefix, a.body)
	}
}

// trySignIn posts the sign-in form as a browser would, after loading it.
func (b *browser) trySignIn(token string) answer {
	b.t.Helper()
	form := b.get(Prefix + "sign-in")
	return b.post(Prefix+"sign-in", url.Values{"csrf": {form.csrf(b.t)}, "token": {token}})
}

// want fails unless the answer has the status (and, for a redirect, the
// location).
func (a answer) want(t *testing.T, status int, location string) answer {
	t.Helper()
	if a.StatusCode != status || a.Header.Get("Location") != location {
		t.Fatalf("%s %s: %d to %q, want %d to %q\n%s", a.Request.Method, a.Request.URL.Path, a.StatusCode,
			a.Header.Get("Location"), status, location, a.body)
	}
	return a
}

func (e *env) userPath(id banking.UserID) string {
	return fmt.Sprintf("%s/users/%s", programPath(e.program), id)
}

func (e *env) accountPath(id banking.AccountID) string {
	return fmt.Sprintf("%s/accounts/%s", programPath(e.program), id)
}

func (e *env) transactionPath(id banking.TransactionID) string {
	return fmt.Sprintf("%s/transactions/%s", programPath(e.program), id)
}

func (e *env) businessPath(id banking.BusinessID) string {
	return fmt.Sprintf("%s/businesses/%s", programPath(e.program), id)
}

// newTLSServer serves e's console over TLS.
func newTLSServer(t *testing.T, e *env) *httptest.Server {
	srv := httptest.NewTLSServer(Mount(http.NotFoundHandler(), e.con))
	t.Cleanup(srv.Close)
	return srv
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// pendingTopUp waits for business b of the verified user u to pass KYB,
// issues the business an RBA and charges a linked account of u ending in
// 0002 for amount (dollars) into it: the sandbox rail leaves that top-up
// pending until someone settles it.
func (e *env) pendingTopUp(u banking.User, b banking.Business, amount string) (banking.Account, banking.Transaction) {
	e.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.svc.GetBusiness(ctx, e.caller(), string(u.ID), string(b.ID))
		if err == nil && got.KYBStatus == banking.KYCVerified {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("business %s kyb_status = %s (%v), want verified", b.ID, got.KYBStatus, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	a, err := e.svc.IssueBusinessAccount(ctx, e.caller(), string(u.ID), string(b.ID))
	if err != nil {
		e.t.Fatalf("issue business account: %v", err)
	}
	e.numbers = append(e.numbers, a.Number)
	l, err := e.svc.SaveLinkedAccount(ctx, e.keyed("link-"+string(b.ID)), string(u.ID), "", false, banking.LinkedAccountInput{
		FirstName: u.FirstName, LastName: u.LastName, AccountNumber: "55550002", RoutingNumber: "021000021"})
	if err != nil {
		e.t.Fatalf("save linked account: %v", err)
	}
	e.numbers = append(e.numbers, "55550002")
	t, err := e.svc.TopUp(ctx, e.keyed("top-up-"+string(b.ID)), banking.ExternalInput{UserID: string(u.ID), BusinessID: string(b.ID),
		Amount: amount, Linked: string(l.ID), Account: string(a.ID)})
	if err != nil {
		e.t.Fatalf("top-up: %v", err)
	}
	if t.Status != banking.TxPending {
		e.t.Fatalf("top-up from 0002 is %s, want pending", t.Status)
	}
	return a, t
}

// keyed is e's caller making its call under a fresh idempotency key, as
// the API's linked-account and money calls require.
func (e *env) keyed(key string) service.Caller {
	e.t.Helper()
	r, err := e.svc.ReserveIdempotency(context.Background(), e.caller(), key, "console-test/"+key, key)
	if err != nil || r.Outcome != service.IdemReserved {
		e.t.Fatalf("reserve idempotency key %s: %v (outcome %v)", key, err, r.Outcome)
	}
	return e.svc.Bind(e.caller(), r, func(any) ([]byte, error) { return []byte(`{}`), nil })
}
