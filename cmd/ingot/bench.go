package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/signature"
)

const benchUsage = `usage: ingot bench [flags]

Generate load against a running ingot, signing every request like a real
client (the same credentials as "ingot call"), and report requests/s,
p50/p90/p99/max latency and errors by HTTP status.

First it creates --users users (through the API, with --concurrency workers;
or, with --bulk-db, directly in the database), then it runs --op for
--duration:
  create   user/create of a new user
  get      user/get of a random pre-created user
  list     user/get-all, first page
  search   user/get-all with a search matching one random pre-created user
           (its last name: bench gives each user its own, such as Kovaxutibe)
  search-common  user/get-all with a search matching an eighth of the users
           (the first name Grace; bench names its users Ada, Grace, Alan,
           Edsger, Barbara, Donald, Frances and Radia in turn)
  search-miss    user/get-all with a search matching no user
  toggle   user/block or user/unblock of a random pre-created user: each user
           is blocked, then unblocked, in turn, one request at a time (a 409
           counts as an error)
  business-create  business/create of a new business owned by a random
           pre-created user
  business-get     business/get of one of the businesses created before the
           run (one per pre-created user)
  transfer      a book transfer of 0.01 to 0.99 between two random accounts:
                each pre-created user is KYC-verified and issued an account
                funded with 1,000,000.00 first (the server must run with
                --sandbox, whose inbound transfer funds them)
  transfer-hot  the same, always from the program master account (funded
                with 50,000,000.00 first): every transfer locks one balance
  topup    a top-up of 0.01 to 0.99 from a user's linked account into their
           KYB-verified business's account (needs --sandbox; the sandbox rail
           settles each at once in the background, so creation and
           settlement both load the server)
  settle-backlog  with the server stopped: insert --count pending top-ups
           (through the service's own top-up, each under its own
           idempotent_key) straight into --bulk-db, spread over the program's
           businesses ready for top-ups (run --op topup against the server
           first to ready them), their sandbox rail settlement due at once; the
           next server to start (--sandbox) settles them with its durable jobs
           ("ingot transfers list --status pending" shows what is left).
           requests/s is top-ups inserted per second; no request reaches a
           server
  webhooks webhook delivery throughput (needs a --sandbox server): the bench
           hosts a receiver on loopback and points the program's endpoint at
           it; for up to 5 s of --duration it toggles users while the
           receiver holds every delivery, then lets go and answers at once;
           requests/s is then the events delivered after the release per
           second until the last one (the toggles' own figures are under
           "webhooks" in --json)

--webhook-receiver answer, with any other op, points the endpoint at such a
receiver, answering at once, for the run (sandbox servers): run the op with
and without it to see what emitting and delivering webhooks costs;
--webhook-receiver hold holds every delivery instead (each for at most 8 s,
below the server's attempt timeout), so only emitting the events (writing them
and their jobs) costs; after the run it lets them go and waits for the
backlog's delivery (not measured), leaving the server idle.

Without --rate the loop is closed: each worker sends its next request as soon
as the previous one is answered, and latency is measured from each request's
start. With --rate the arrival rate is fixed: request i is intended to start
at t0 + i/rate, and its latency is measured from that intended time, so a slow
server cannot hide the requests it delayed (coordinated omission); requests
that started more than 1 ms late and those never sent are reported.

--bulk-db DSN is the fast path for large runs (1,000,000 users): it inserts
the users with one multi-row transaction per 10,000 into that database, for
the program whose HMAC username the credentials name. It needs no master key:
the key only encrypts SSNs, so bulk users have no SSN. After seeding it
reports how much of the database the search indexes take.

Exit status: 0 when the run completed (errors are reported, not fatal), 1 when
the server is unreachable or refuses the credentials at start or the users
cannot be created, 2 on a usage error.

Flags:
`

// benchOps are the operations --op accepts; the ones that need users are true.
var benchOps = map[string]bool{"create": false, "get": true, "list": false, "search": true,
	"search-common": true, "search-miss": false, "toggle": true, "business-create": true, "business-get": true,
	"transfer": true, "transfer-hot": true, "topup": true, "settle-backlog": false, "webhooks": true}

// benchOpNames lists benchOps for usage messages.
const benchOpNames = "create, get, list, search, search-common, search-miss, toggle, business-create, business-get, transfer, transfer-hot, topup, settle-backlog or webhooks"

func (e cliEnv) bench(args []string) error {
	// The load generator's own collections would show up as latency too.
	defer tuneGC(e.getenv, serveGCPercent, 0)()
	fs := flag.NewFlagSet("ingot bench", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), benchUsage); fs.PrintDefaults() }
	var cred credFlags
	e.addCredFlags(fs, &cred)
	op := fs.String("op", "get", "operation: "+benchOpNames)
	hookRecv := fs.String("webhook-receiver", "", "point the program's webhook endpoint at a receiver in this process for the run (sandbox servers): answer (at once) or hold (every delivery, to measure emitting alone)")
	users := fs.Int("users", 100, "users to create before the run")
	bulkDB := fs.String("bulk-db", "", "insert the --users users directly into this database (SQLite path, sqlite:PATH or postgres:// URL) instead of through the API: the fast path for 1,000,000 users; bulk users have no SSN, so no master key is needed")
	concurrency := fs.Int("concurrency", 8, "workers sending requests (and creating users)")
	duration := fs.Duration("duration", 10*time.Second, "how long to send requests")
	rate := fs.Float64("rate", 0, "fixed arrival rate in requests/s (open loop); 0: closed loop")
	asJSON := fs.Bool("json", false, "print the results as one JSON object on stdout instead of the table")
	timeout := fs.Duration("timeout", 10*time.Second, "give up on one request after this long (a transport error)")
	count := fs.Int("count", 100_000, "--op settle-backlog: how many pending top-ups to insert")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	cred.fromEnv(e.getenv)
	needUsers, ok := benchOps[*op]
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("bench: unexpected argument %q", fs.Arg(0))}
	case !ok:
		return usageError{fmt.Sprintf("bench: --op %q: want %s", *op, benchOpNames)}
	case (isMoneyOp(*op) || *op == "topup") && *bulkDB != "":
		return usageError{fmt.Sprintf("bench: --op %s creates its accounts through the API: --bulk-db does not apply", *op)}
	case *op == "settle-backlog" && *bulkDB == "":
		return usageError{"bench: --op settle-backlog inserts into the database: it needs --bulk-db DSN (with the server stopped)"}
	case *op == "settle-backlog" && (*rate > 0 || *hookRecv != ""):
		return usageError{"bench: --op settle-backlog sends no requests: no --rate or --webhook-receiver"}
	case *count < 1:
		return usageError{"bench: --count must be >= 1"}
	case *op == "webhooks" && *rate > 0:
		return usageError{"bench: --op webhooks runs closed loop: no --rate"}
	case *hookRecv != "" && *hookRecv != "answer" && *hookRecv != "hold":
		return usageError{fmt.Sprintf("bench: --webhook-receiver %q: want answer or hold", *hookRecv)}
	case *hookRecv != "" && *op == "webhooks":
		return usageError{"bench: --op webhooks has a receiver of its own: no --webhook-receiver"}
	case *users < 0:
		return usageError{"bench: --users must be >= 0"}
	case needUsers && *users == 0:
		return usageError{fmt.Sprintf("bench: --op %s needs --users > 0", *op)}
	case *concurrency < 1:
		return usageError{"bench: --concurrency must be >= 1"}
	case *duration <= 0:
		return usageError{"bench: --duration must be > 0"}
	case *rate < 0 || math.IsNaN(*rate) || math.IsInf(*rate, 0):
		return usageError{"bench: --rate must be >= 0"}
	case *timeout <= 0:
		return usageError{"bench: --timeout must be > 0"}
	}
	if err := cred.check("bench"); err != nil {
		return err
	}
	if *op == "settle-backlog" {
		return e.benchBacklog(*bulkDB, cred.username, *count, *concurrency, *asJSON)
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(100, 2*(*concurrency))
	tr.MaxIdleConnsPerHost = *concurrency + 1
	b := &bencher{
		base:     strings.TrimSuffix(cred.url, "/") + "/api/v4/",
		apiKey:   cred.apiKey,
		username: cred.username,
		secret:   []byte(cred.secret),
		client:   &http.Client{Timeout: *timeout, Transport: tr},
		run:      runToken(),
		op:       *op,
	}
	defer tr.CloseIdleConnections()

	// Preflight: reachable, and the credentials work.
	status, answer, err := b.post("user/get-all", []byte(`{"per_page":1}`), true)
	var se signError
	switch {
	case errors.As(err, &se):
		return usageError{fmt.Sprintf("bench: %v", se.err)}
	case err != nil:
		return fmt.Errorf("bench: server unreachable: %w", err)
	case status != http.StatusOK:
		return fmt.Errorf("bench: %s refused the first request: %d %s", cred.url, status, strings.TrimSpace(string(answer)))
	}

	res := benchResult{Op: *op, Mode: "closed", Concurrency: *concurrency, DurationS: duration.Seconds(), Users: *users}
	if *users > 0 {
		start := time.Now()
		if *bulkDB != "" {
			res.SeededVia = "bulk-db"
			b.ids, err = e.bulkSeed(*bulkDB, cred.username, b.run, *users, &res)
		} else {
			res.SeededVia = "api"
			b.ids, err = b.apiSeed(e.ctx, *users, *concurrency)
		}
		if err != nil {
			return fmt.Errorf("bench: create users: %w", err)
		}
		res.SeedS = time.Since(start).Seconds()
		fmt.Fprintf(e.stderr, "ingot bench: created %d users (%s) in %.1fs\n", *users, res.SeededVia, res.SeedS)
	}
	if *op == "toggle" || *op == "webhooks" {
		b.toggle = newToggler(len(b.ids))
	}
	if *op == "business-get" {
		start := time.Now()
		if b.businesses, err = b.seedBusinesses(e.ctx, *concurrency); err != nil {
			return fmt.Errorf("bench: create businesses: %w", err)
		}
		fmt.Fprintf(e.stderr, "ingot bench: created %d businesses in %.1fs\n", len(b.businesses), time.Since(start).Seconds())
	}
	if *op == "topup" {
		start := time.Now()
		if err := b.topupSeed(e.ctx, *concurrency); err != nil {
			return fmt.Errorf("bench: ready businesses for top-ups: %w", err)
		}
		res.SeedS += time.Since(start).Seconds()
		fmt.Fprintf(e.stderr, "ingot bench: verified %d businesses, issued their accounts and linked external ones in %.1fs\n", len(b.ids), time.Since(start).Seconds())
	}
	if isMoneyOp(*op) {
		start := time.Now()
		if err := b.moneySeed(e.ctx, *concurrency); err != nil {
			return fmt.Errorf("bench: fund accounts: %w", err)
		}
		res.SeedS += time.Since(start).Seconds()
		fmt.Fprintf(e.stderr, "ingot bench: verified, issued and funded %d accounts in %.1fs\n", len(b.ids), time.Since(start).Seconds())
	}

	var samples []sample
	var elapsed time.Duration
	run := func() ([]sample, time.Duration) {
		if *rate > 0 {
			res.Mode, res.Rate = "open", *rate
			var s []sample
			var d time.Duration
			s, d, res.Scheduled, res.Unsent = b.openLoop(e.ctx, realClock{}, *concurrency, *duration, *rate)
			return s, d
		}
		return b.closedLoop(e.ctx, realClock{}, *concurrency, *duration)
	}
	switch {
	case *op == "webhooks":
		res.Webhooks, samples, elapsed, err = b.webhooksRun(e.ctx, *concurrency, *duration)
	case *hookRecv != "":
		res.Webhooks, samples, elapsed, err = b.withReceiver(e.ctx, *hookRecv == "hold", run)
	default:
		samples, elapsed = run()
	}
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	summarize(&res, samples, elapsed)
	if *op == "webhooks" {
		// The figure of this op is the delivery throughput.
		res.RPS = res.Webhooks.EventsPerS
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(res)
	}
	res.printTable(e.stdout)
	return nil
}

// runToken tells this run's users apart from any already in the program.
func runToken() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// bencher sends one program's signed requests.
type bencher struct {
	base             string // .../api/v4/
	apiKey, username string
	secret           []byte
	client           *http.Client
	run              string
	op               string
	ids              []string // pre-created users; seedEmail(run, i) is ids[i]'s email
	creates          atomic.Int64
	toggle           *toggler
	// businesses are the pre-created businesses of business-get, each
	// owned by ids[i] for its index i.
	businesses []string
	money      *moneyBench
	topup      *topupBench
}

// signError is a request that could not be signed (bad credentials given).
type signError struct{ err error }

func (e signError) Error() string { return e.err.Error() }

// post signs body fresh (X-Date now) and sends it to /api/v4/path. The answer
// is returned when keep, else discarded (read in full, so the connection is
// reused). A transport error returns status 0.
func (b *bencher) post(path string, body []byte, keep bool) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, b.base+path, nil)
	if err != nil {
		return 0, nil, signError{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_key", b.apiKey)
	if _, err := signature.SignRequest(req, body, b.username, b.secret, time.Now()); err != nil {
		return 0, nil, signError{err}
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var answer []byte
	if keep {
		answer, err = io.ReadAll(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, answer, nil
}

func seedEmail(run string, i int) string { return fmt.Sprintf("bench-%s-%07d@example.com", run, i) }

func userBody(first, last, email string) []byte {
	b, _ := json.Marshal(map[string]string{
		"first_name": first, "last_name": last, "email": email, "phone_number": "+14155550123",
		"address_one": "1 Main St", "city": "San Francisco", "state": "CA", "postal_code": "94105",
		"country": "US", "date_of_birth": "1990-01-02", "ssn": "123-45-6789",
	})
	return b
}

// apiSeed creates n users through user/create with c workers and returns
// their ids; the first failure, or ctx being done, stops it.
func (b *bencher) apiSeed(ctx context.Context, n, c int) ([]string, error) {
	ids := make([]string, n)
	var next atomic.Int64
	var once sync.Once
	var first error
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				id, err := b.createOne(benchFirstName(i), benchLastName(b.run, i), seedEmail(b.run, i))
				if err == nil && ctx.Err() != nil {
					err = ctx.Err()
				}
				if err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
					return
				}
				ids[i] = id
			}
		})
	}
	wg.Wait()
	return ids, first
}

func (b *bencher) createOne(first, last, email string) (string, error) {
	status, answer, err := b.post("user/create", userBody(first, last, email), true)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("user/create answered %d: %s", status, strings.TrimSpace(string(answer)))
	}
	return firstID(answer)
}

// bulkChunk is how many users one BulkCreateUsers transaction carries.
const bulkChunk = 10_000

// bulkSeed inserts n users of the program whose HMAC username is username
// directly into the database dsn, without SSNs (no master key needed), and
// records in res how much of the database the search indexes then take.
func (e cliEnv) bulkSeed(dsn, username, run string, n int, res *benchResult) ([]string, error) {
	st, err := store.Open(e.ctx, dsn, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("open --bulk-db: %w", err)
	}
	defer st.Close()
	p, err := st.ProgramByHMACUsername(e.ctx, username)
	if err != nil {
		return nil, fmt.Errorf("program with HMAC username %q in --bulk-db: %w", username, err)
	}
	ids := make([]string, 0, n)
	users := make([]banking.User, 0, min(n, bulkChunk))
	events := make([]banking.Event, 0, min(n, bulkChunk))
	actor := banking.ActorProgram(p.ID)
	for i := range n {
		u, _, err := banking.NewUser(p.ID, banking.NewUserInput{FirstName: benchFirstName(i), LastName: benchLastName(run, i),
			Email: seedEmail(run, i), PhoneNumber: "+14155550123", DateOfBirth: "1990-01-02",
			AddressOne: "1 Main St", City: "San Francisco", State: "CA", Country: "US", PostalCode: "94105"}, time.Now())
		if err != nil {
			return nil, err
		}
		users = append(users, u)
		events = append(events, banking.NewEvent(&u, banking.EventUserCreated, actor, "", banking.CreatedChanges(&u), u.CreatedAt))
		ids = append(ids, string(u.ID))
		if len(users) == cap(users) || i == n-1 {
			if err := st.BulkCreateUsers(e.ctx, users, events); err != nil {
				return nil, err
			}
			users, events = users[:0], events[:0]
			if n >= 10*bulkChunk && (i+1)%(10*bulkChunk) == 0 {
				fmt.Fprintf(e.stderr, "ingot bench: %d of %d users inserted\n", i+1, n)
			}
		}
	}
	if res.SearchIndexBytes, res.DBBytes, err = st.SearchFootprint(e.ctx); err != nil {
		return nil, fmt.Errorf("size of the search indexes: %w", err)
	}
	return ids, nil
}

// toggler hands out pre-created users for block/unblock, one request per
// user at a time, and remembers which are blocked.
type toggler struct {
	mu      sync.Mutex
	idle    []int // users with no request in flight
	blocked []bool
	free    chan struct{} // one token per idle user
}

func newToggler(n int) *toggler {
	t := &toggler{idle: make([]int, n), blocked: make([]bool, n), free: make(chan struct{}, n)}
	for i := range n {
		t.idle[i] = i
		t.free <- struct{}{}
	}
	return t
}

// acquire takes a random idle user (waiting while none is) and says whether
// it is blocked.
func (t *toggler) acquire(rng *mrand.Rand) (int, bool) {
	<-t.free
	t.mu.Lock()
	defer t.mu.Unlock()
	k := rng.IntN(len(t.idle))
	i := t.idle[k]
	t.idle[k] = t.idle[len(t.idle)-1]
	t.idle = t.idle[:len(t.idle)-1]
	return i, t.blocked[i]
}

// release returns user i after a request answered status. A 200 changed its
// state; so did a 409 tell us it was already in the target state. Otherwise
// the state is unknown and the same transition is tried next time.
func (t *toggler) release(i, status int) {
	t.mu.Lock()
	if status == http.StatusOK || status == http.StatusConflict {
		t.blocked[i] = !t.blocked[i]
	}
	t.idle = append(t.idle, i)
	t.mu.Unlock()
	t.free <- struct{}{}
}

// next builds the op's next request; done must be called with its status.
func (b *bencher) next(rng *mrand.Rand) (path string, body []byte, done func(int)) {
	nop := func(int) {}
	switch b.op {
	case "create":
		n := b.creates.Add(1)
		return "user/create", userBody(benchFirstName(int(n)), benchLastName(b.run+"c", int(n)),
			fmt.Sprintf("bench-%s-c%09d@example.com", b.run, n)), nop
	case "get":
		return "user/get", []byte(`{"user_id":"` + b.ids[rng.IntN(len(b.ids))] + `"}`), nop
	case "list":
		return "user/get-all", []byte(`{}`), nop
	case "search", "search-common", "search-miss":
		return "user/get-all", b.searchBody(rng), nop
	case "business-create":
		return "business/create", businessBody(b.ids[rng.IntN(len(b.ids))], b.ein(b.creates.Add(1))), nop
	case "business-get":
		i := rng.IntN(len(b.businesses))
		return "business/get", []byte(`{"user_id":"` + b.ids[i] + `","business_id":"` + b.businesses[i] + `"}`), nop
	case "topup":
		return "user/charge-bank-account-fund-business-routable-bank-account", b.nextTopUp(rng), nop
	case "transfer", "transfer-hot":
		return "book-transfer/routable-bank-account-to-routable-bank-account-transfer", b.nextTransfer(rng), nop
	case "toggle":
		i, blocked := b.toggle.acquire(rng)
		if blocked {
			return "user/unblock", []byte(`{"user_id":"` + b.ids[i] + `"}`), func(s int) { b.toggle.release(i, s) }
		}
		return "user/block", []byte(`{"user_id":"` + b.ids[i] + `","reason":"ingot bench"}`), func(s int) { b.toggle.release(i, s) }
	}
	panic("bench: unknown op " + b.op)
}

// closedLoop runs c workers, each sending its next request as soon as the
// previous one is answered, until d has passed (or ctx is done).
func (b *bencher) closedLoop(ctx context.Context, clk clock, c int, d time.Duration) ([]sample, time.Duration) {
	t0 := clk.Now()
	end := t0.Add(d)
	per := make([][]sample, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			rng := mrand.New(mrand.NewPCG(uint64(w), uint64(t0.UnixNano())))
			for ctx.Err() == nil && clk.Now().Before(end) {
				path, body, done := b.next(rng)
				start := clk.Now()
				status, _, _ := b.post(path, body, false)
				lat := clk.Now().Sub(start)
				done(status)
				per[w] = append(per[w], sample{latency: lat, status: status})
			}
		})
	}
	wg.Wait()
	return merge(per), clk.Now().Sub(t0)
}

// openLoop sends requests at a fixed rate for d with c workers, measuring
// each from its intended start. It returns the samples, the elapsed time,
// how many requests were scheduled and how many of those were never sent.
func (b *bencher) openLoop(ctx context.Context, clk clock, c int, d time.Duration, rate float64) ([]sample, time.Duration, int64, int64) {
	t0 := clk.Now()
	sched := schedule{t0: t0, rate: rate}
	n := sched.count(d)
	runCtx, cancel := context.WithDeadline(ctx, t0.Add(d))
	defer cancel()
	intended := make(chan time.Time)
	per := make([][]sample, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			rng := mrand.New(mrand.NewPCG(uint64(w), uint64(t0.UnixNano())))
			for t := range intended {
				path, body, done := b.next(rng)
				start := clk.Now()
				status, _, _ := b.post(path, body, false)
				lat := clk.Now().Sub(t)
				done(status)
				per[w] = append(per[w], sample{latency: lat, status: status, late: start.Sub(t) > lateThreshold})
			}
		})
	}
	sent := dispatch(runCtx, clk, sched, n, intended)
	close(intended)
	wg.Wait()
	return merge(per), clk.Now().Sub(t0), n, n - sent
}

func merge(per [][]sample) []sample {
	var all []sample
	for _, s := range per {
		all = append(all, s...)
	}
	return all
}
