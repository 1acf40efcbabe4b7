package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	neturl "net/url"
	"os"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/console"
	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/service"
)

// shutdownGrace bounds how long in-flight requests may run after a stop signal.
const shutdownGrace = 30 * time.Second

const serveUsage = `usage: ingot serve [--addr HOST:PORT] [--db DSN] [--sandbox] [flags]

Serve the Banking Platform API v4 until interrupted (Ctrl-C or SIGTERM: in-flight
requests finish, then it exits 0). It keeps its terminal: run other commands, such
as "ingot call", from a second shell. It prints "ingot listening on URL" once it
accepts requests.

--sandbox is for local development: KYC decided by the SSN's last four digits, a
program created on first start (its credentials printed once, with export lines
for "ingot call"), 401 answers that say which check failed (error.hint), a
master key kept next to the database, and a console token printed once on the
first start. Without --sandbox a master key is required (INGOT_MASTER_KEY or
--master-key-file).

The operator console is served at /console/ (docs/console.md); operators sign in
with a console token ("ingot console token create --name NAME").
`

func (e cliEnv) serve(args []string) error {
	fs := e.newFlagSet("serve", serveUsage)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = "sandbox mode: KYC by SSN rule, a program created (credentials printed) when the database has none, " +
		"401s with error.hint, and a master key file next to the database if none is set"
	addr := fs.String("addr", envOr(e.getenv, "INGOT_ADDR", "127.0.0.1:8080"), "address to listen on, HOST:PORT (env INGOT_ADDR)")
	kycDelay := fs.Duration("kyc-delay", 0, "sandbox KYC provider: how long a verification takes, e.g. 2s (env INGOT_KYC_DELAY)")
	maxBody := fs.Int64("max-body-bytes", httpapi.DefaultMaxBody, "largest request body accepted; larger ones get 413 (env INGOT_MAX_BODY_BYTES)")
	rateLimit := fs.Float64("rate-limit", 0, "requests per second allowed per program in this process; 0 means no limit; over it, 429 with Retry-After (env INGOT_RATE_LIMIT)")
	rateBurst := fs.Int("rate-burst", 0, "burst size per program for --rate-limit; 0 means the rate rounded up (env INGOT_RATE_BURST)")
	logFormat := fs.String("log-format", envOr(e.getenv, "INGOT_LOG_FORMAT", "text"), "log format on stderr: text or json (env INGOT_LOG_FORMAT)")
	logLevel := fs.String("log-level", envOr(e.getenv, "INGOT_LOG_LEVEL", "info"), "lowest level logged: debug (adds why each 401 was refused), info, warn or error (env INGOT_LOG_LEVEL)")
	pprofAddr := fs.String("pprof-addr", envOr(e.getenv, "INGOT_PPROF_ADDR", ""), "serve net/http/pprof on this separate address, HOST:PORT; off when empty; never expose it publicly (env INGOT_PPROF_ADDR)")
	routing := fs.String("routing-number", envOr(e.getenv, "INGOT_ROUTING_NUMBER", banking.DefaultRoutingNumber), "the installation's ABA routing number, shown on every routable bank account: 9 digits with a valid check digit (env INGOT_ROUTING_NUMBER)")
	idemLease := fs.Duration("idempotency-lease", service.IdempotencyLease, "how long a request's idempotent_key stays in progress (a repeat answers 409) before another request may take it over, when the process running it died; must exceed the longest call (env INGOT_IDEMPOTENCY_LEASE)")
	bookDelay := fs.Duration("book-settle-delay", 0, "how long a book transfer stays pending before it settles, e.g. 2s; 0: at once, in the background (env INGOT_BOOK_SETTLE_DELAY)")
	achDelay := fs.Duration("ach-settle-delay", 0, "sandbox rail: how long an ACH movement (a simulated inbound ACH transfer, a top-up, a payout, a program funding) stays pending before it settles, e.g. 2s; 0: at once, in the background (env INGOT_ACH_SETTLE_DELAY)")
	railName := fs.String("rail", envOr(e.getenv, "INGOT_RAIL", ""), "the rail of external movements (top-ups, payouts, program funding): sandbox (decides by the linked account's last four digits after --ach-settle-delay) or manual (pending until `ingot transfers settle`); default: sandbox with --sandbox, else manual (env INGOT_RAIL)")
	jobLease := fs.Duration("job-lease", 30*time.Second, "how long a claimed durable job (a KYC check, a settlement) stays with the process that claimed it; the jobs of a process that died run again after it, or at once when it starts again on the same host and address; every job must finish well within it (env INGOT_JOB_LEASE)")
	webhookURL := fs.String("webhook-url", envOr(e.getenv, "INGOT_WEBHOOK_URL", ""), "with --sandbox: the sandbox program's webhook endpoint, set at start (env INGOT_WEBHOOK_URL)")
	retryScale := fs.Float64("webhook-retry-scale", 1, "with --sandbox: multiply the webhook retry schedule, e.g. 0.001 makes 1 min 60 ms (env INGOT_WEBHOOK_RETRY_SCALE)")
	fixtures := fs.String("fixtures", envOr(e.getenv, "INGOT_FIXTURES", ""), "with --sandbox: load this fixture file (docs/sandbox.md) at start, all or nothing; an invalid one stops the start (env INGOT_FIXTURES)")
	seed := fs.Int64("seed", -1, "with --sandbox: make generated ids, account numbers and credentials deterministic; -1: random")
	allowPrivate := fs.Bool("webhook-allow-private", false, "deliver webhooks to loopback, private, link-local, multicast and unspecified addresses (always allowed with --sandbox) (env INGOT_WEBHOOK_ALLOW_PRIVATE)")
	if err := e.envDefaults(fs, map[string]string{"kyc-delay": "INGOT_KYC_DELAY", "max-body-bytes": "INGOT_MAX_BODY_BYTES",
		"rate-limit": "INGOT_RATE_LIMIT", "rate-burst": "INGOT_RATE_BURST", "job-lease": "INGOT_JOB_LEASE",
		"ach-settle-delay": "INGOT_ACH_SETTLE_DELAY", "idempotency-lease": "INGOT_IDEMPOTENCY_LEASE",
		"book-settle-delay": "INGOT_BOOK_SETTLE_DELAY", "webhook-retry-scale": "INGOT_WEBHOOK_RETRY_SCALE",
		"webhook-allow-private": "INGOT_WEBHOOK_ALLOW_PRIVATE"}); err != nil {
		return err
	}
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	case *webhookURL != "" && !f.sandbox:
		return usageError{"serve: --webhook-url needs --sandbox (elsewhere: ingot program webhook set)"}
	case *retryScale != 1 && !f.sandbox:
		return usageError{"serve: --webhook-retry-scale needs --sandbox"}
	case !(*retryScale > 0 && *retryScale <= 1000):
		return usageError{"serve: --webhook-retry-scale must be > 0 (and at most 1000)"}
	}
	if !banking.ValidRoutingNumber(*routing) {
		return usageError{fmt.Sprintf("serve: --routing-number %q: want 9 digits with a valid ABA check digit", *routing)}
	}
	if *achDelay < 0 || *bookDelay < 0 {
		return usageError{"serve: --ach-settle-delay and --book-settle-delay must be >= 0"}
	}
	var rail service.Rail
	switch *railName {
	case "":
		rail = service.ManualRail{}
		if f.sandbox {
			rail = service.SandboxRail{Delay: *achDelay}
		}
	case "sandbox":
		rail = service.SandboxRail{Delay: *achDelay}
	case "manual":
		rail = service.ManualRail{}
	default:
		return usageError{fmt.Sprintf("serve: --rail %q: want sandbox or manual", *railName)}
	}
	if *idemLease < time.Second {
		return usageError{"serve: --idempotency-lease must be at least 1s"}
	}
	if *jobLease < time.Second {
		return usageError{"serve: --job-lease must be at least 1s"}
	}
	log, err := newLogger(*logFormat, *logLevel, e)
	if err != nil {
		return err
	}
	defer tuneGC(e.getenv, serveGCPercent, serveMemoryLimit)()

	if !f.sandbox {
		if err := e.requireKey(f); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		if *fixtures != "" || *seed >= 0 {
			return usageError{"serve: --fixtures and --seed need --sandbox"}
		}
	}
	if *seed >= 0 {
		banking.SeedIDs(uint64(*seed))
	}
	metrics := httpapi.NewMetrics()
	st, err := e.openStore(f, metrics.ObserveStore)
	if err != nil {
		return err
	}
	defer st.Close()
	sealer, err := e.sealer(f, st, false)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	// Only the sandbox decides KYC by rule; elsewhere, until a real provider
	// is integrated, submissions wait for a human (see docs/decisions.md).
	var provider kyc.Provider = kyc.Manual{}
	if f.sandbox {
		provider = kyc.Sandbox{Delay: *kycDelay}
	}
	// Listening first: the address names this server in its job claims.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ln.Close() // on an early return; closing it again later is harmless
	svc := service.New(service.Config{Store: st, Sealer: sealer, KYC: provider, Logger: log, Claimant: claimant(ln),
		RoutingNumber: *routing, JobLease: *jobLease, ACHSettleDelay: *achDelay, Rail: rail,
		IdempotencyLease: *idemLease, BookSettleDelay: *bookDelay, Sandbox: f.sandbox,
		Webhooks: service.WebhookConfig{AllowPrivate: f.sandbox || *allowPrivate, RetryScale: *retryScale, Observer: metrics}})
	defer svc.Close()
	if err := svc.CheckKey(e.ctx); err != nil {
		return fmt.Errorf("serve: %w", err)
	}

	if *fixtures != "" {
		// Before the bootstrap, which creates a program only in an empty
		// database: the fixture's programs are the sandbox's.
		if err := e.loadFixtures(svc, *fixtures); err != nil {
			ln.Close()
			return fmt.Errorf("serve: %w", err)
		}
	}
	if f.sandbox && *fixtures != "" {
		// The fixture's programs are the sandbox's, with the credentials
		// it printed or fixes: no program of its own, only the console's
		// token on a first start.
		if err := e.bootstrapConsole(svc, f, "http://"+ln.Addr().String()); err != nil {
			ln.Close()
			return err
		}
	} else if f.sandbox {
		if err := e.bootstrapSandbox(svc, f, "http://"+ln.Addr().String()); err != nil {
			ln.Close()
			return err
		}
	}
	if f.sandbox {
		if *webhookURL != "" {
			if err := e.sandboxWebhook(svc, *webhookURL); err != nil {
				ln.Close()
				return err
			}
		}
	}
	if *pprofAddr != "" {
		pln, err := net.Listen("tcp", *pprofAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("serve: --pprof-addr: %w", err)
		}
		psrv := newPprofServer(log)
		// Closed, not shut down gracefully, with the API server: a profile
		// being taken is cut short rather than holding up the exit.
		defer psrv.Close()
		go func() {
			if err := psrv.Serve(pln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("pprof server", "err", err)
			}
		}()
		log.Info("serving pprof", "addr", pln.Addr().String())
	}
	api := httpapi.NewHandler(httpapi.Config{Service: svc, Logger: log, MaxBody: *maxBody,
		Metrics: metrics, RateLimit: *rateLimit, RateBurst: *rateBurst, MaxHeaderBytes: maxHeaderBytes, Sandbox: f.sandbox})
	// The operator console answers /console/ beside the API, outside its
	// HMAC authentication: operators sign in with console tokens.
	con := console.New(console.Config{Service: svc, Logger: log, Sandbox: f.sandbox})
	srv := newHTTPServer(console.Mount(api, con), log)
	if n, err := svc.ResumeKYC(e.ctx); err != nil {
		log.Error("resume kyc checks", "err", err)
	} else if n > 0 {
		log.Info("resumed pending kyc checks", "count", n)
	}
	fmt.Fprintf(e.stdout, "ingot listening on http://%s\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "engine", st.Engine(), "sandbox", f.sandbox, "rail", rail.Name())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-e.ctx.Done():
	}
	// Stop accepting, let in-flight requests finish, then close the store
	// (deferred) once background checks have stopped.
	log.Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		// The grace period ran out: cut the stragglers off. Their
		// transactions either committed or roll back; nothing is half-written.
		log.Warn("shutdown grace period over; closing remaining connections", "err", err)
		srv.Close()
	}
	return nil
}

// Server limits: a client that trickles its headers or body, or never reads
// its answer, holds a connection only this long, and headers are capped well
// below net/http's 1 MiB default.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	// maxHeaderBytes is the largest request line and headers ingot answers;
	// larger ones get 431 headers_too_large in the error envelope.
	maxHeaderBytes = 64 << 10
	// netHeaderCap is net/http's own cap, above ingot's so that the
	// envelope answers the usual oversized request; beyond it net/http
	// answers a plain-text 431 before any handler runs.
	netHeaderCap = 1 << 20
)

// newHTTPServer is the one place the server's limits are set.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    netHeaderCap,
		// "OPTIONS *" reaches the handler, which answers it 404 in the
		// envelope with X-Request-Id, instead of net/http's bare 200.
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// newPprofServer serves the runtime profiles of net/http/pprof on a mux of its
// own, never the API's, for --pprof-addr. It has no write timeout: a CPU
// profile or trace streams for as long as its "seconds" parameter asks.
func newPprofServer(log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// bootstrapSandbox creates a program when the database has none and prints its
// credentials once, with shell lines that configure "ingot call". On a
// database that has programs it says which, and how to get working
// credentials again: they are stored hashed and encrypted, so the only way
// back from lost ones is a rotation.
func (e cliEnv) bootstrapSandbox(svc *service.Service, f dbFlags, url string) error {
	c, created, err := svc.CreateFirstProgram(e.ctx, "sandbox")
	if err != nil {
		return fmt.Errorf("sandbox program: %w", err)
	}
	if !created {
		ps, err := svc.Programs(e.ctx)
		if err != nil || len(ps) == 0 {
			return err
		}
		if err := e.existingSandbox(ps, f, url); err != nil {
			return err
		}
		return e.bootstrapConsole(svc, f, url)
	}
	fmt.Fprintf(e.stdout, `Created sandbox program %s. Its credentials are shown only this once:
  api_key:       %s
  hmac_username: %s
  hmac_secret:   %s
To sign requests with "ingot call", set:
export INGOT_URL=%s
export INGOT_API_KEY=%s
export INGOT_HMAC_USERNAME=%s
export INGOT_HMAC_SECRET=%s
`, c.ProgramID, c.APIKey, c.HMACUsername, c.HMACSecret, url, c.APIKey, c.HMACUsername, c.HMACSecret)
	return e.bootstrapConsole(svc, f, url)
}

// bootstrapConsole creates the sandbox's console token when the database has
// none (its first start, or the first since the console existed) and prints
// it once, with where to sign in; otherwise it says how to get one.
func (e cliEnv) bootstrapConsole(svc *service.Service, f dbFlags, url string) error {
	tok, created, err := svc.CreateFirstConsoleToken(e.ctx, "sandbox")
	if err != nil {
		return fmt.Errorf("sandbox console token: %w", err)
	}
	if created {
		fmt.Fprintf(e.stdout, `Operator console: %s/console/  Sign in with this console token, shown only this once:
  console_token: %s
`, url, tok)
		return nil
	}
	fmt.Fprintf(e.stdout, "Operator console: %s/console/  (sign in with a console token; a new one: %s console token create --name NAME --db %s)\n",
		url, e.self, shellQuote(redactedDB(f.db)))
	return nil
}

// redactedDB is a --db value fit to print: a postgres:// URL's password
// stays off the screen.
func redactedDB(db string) string {
	if u, err := neturl.Parse(db); err == nil && u.User != nil {
		return u.Redacted()
	}
	return db
}

// existingSandbox is bootstrapSandbox's message for a database that already
// has programs. It never prints a credential: it has none to print.
func (e cliEnv) existingSandbox(ps []service.ProgramInfo, f dbFlags, url string) error {
	db := redactedDB(f.db)
	for _, p := range ps {
		users := "users"
		if p.Users == 1 {
			users = "user"
		}
		fmt.Fprintf(e.stdout, "Sandbox database %s has program %s (%q, %d %s, HMAC username %s); its credentials were shown when it was created.\n",
			db, p.ID, p.Name, p.Users, users, p.HMACUsername)
	}
	fmt.Fprintf(e.stdout, `Lost them? From a second shell in this directory, replace them (the old ones keep working for %s):
  %s program rotate-credentials --program %s --db %s --sandbox
then paste the export lines it prints, and: export INGOT_URL=%s
`, fmtGrace(service.DefaultGrace), e.self, ps[0].ID, shellQuote(db), url)
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sandboxWebhook sets the sandbox program's (the oldest program's) webhook
// endpoint to url and prints where its deliveries go and the secret that
// signs them: on every start, since the sandbox's integrator needs it to
// verify and it is theirs (program/webhook/get answers it too).
func (e cliEnv) sandboxWebhook(svc *service.Service, url string) error {
	ps, err := svc.Store().Programs(e.ctx)
	if err != nil || len(ps) == 0 {
		return fmt.Errorf("serve: --webhook-url: no sandbox program: %v", err)
	}
	if _, err := svc.SetWebhook(e.ctx, ps[0].ID, url, nil); err != nil {
		return fmt.Errorf("serve: --webhook-url: %w", cliFields(err))
	}
	w, err := svc.Webhook(e.ctx, ps[0].ID, true)
	if err != nil {
		return fmt.Errorf("serve: --webhook-url: %w", err)
	}
	fmt.Fprintf(e.stdout, "Webhooks of program %s go to %s, signed with:\n  webhook secret: %s\nexport INGOT_WEBHOOK_SECRET=%s\n",
		ps[0].ID, url, w.Secret, w.Secret)
	return nil
}

func newLogger(format, level string, e cliEnv) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: want debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format %q: want text or json", format)}
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// envDefaults sets flag defaults from environment variables, so the flag's
// own parser validates them and an explicit flag still wins.
func (e cliEnv) envDefaults(fs *flag.FlagSet, vars map[string]string) error {
	for flagName, envName := range vars {
		if v := e.getenv(envName); v != "" {
			if err := fs.Set(flagName, v); err != nil {
				return usageError{fmt.Sprintf("%s=%q: %v", envName, v, err)}
			}
		}
	}
	return nil
}

// parseFlags parses a subcommand's flags. --help prints the usage on
// stdout (so "ingot serve --help | less" works) and returns flag.ErrHelp
// (exit 0); a flag error prints the usage on stderr and returns the usage
// error "COMMAND: what is wrong" (exit 2), printed once as "ingot: COMMAND:
// ...", the form of every CLI error.
func (e cliEnv) parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case err == nil:
		fs.SetOutput(e.stderr)
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(e.stdout)
		fs.Usage()
		return err
	}
	fs.SetOutput(e.stderr)
	fs.Usage()
	return usageError{strings.TrimPrefix(fs.Name(), "ingot ") + ": " + err.Error()}
}

// claimant names this server in its job claims (service.Config.Claimant):
// its host name and the address it listens on, the same each time it
// starts on that address, and no other live server's (two cannot listen on
// one address of one host). With --addr :0 the port, and so the name,
// changes each start: its previous run's claims then wait for their
// leases.
func claimant(ln net.Listener) string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return host + "|" + ln.Addr().String()
}
