package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/kyc"
	"github.com/ingot-dev/ingot/internal/service"
)

// shutdownGrace bounds how long in-flight requests may run after a stop signal.
const shutdownGrace = 30 * time.Second

func (e cliEnv) serve(args []string) error {
	fs := flag.NewFlagSet("ingot serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f dbFlags
	e.addDBFlags(fs, &f)
	addr := fs.String("addr", envOr(e.getenv, "INGOT_ADDR", "127.0.0.1:8080"), "address to listen on, HOST:PORT (env INGOT_ADDR)")
	kycDelay := fs.Duration("kyc-delay", 0, "sandbox KYC provider: how long a verification takes, e.g. 2s (env INGOT_KYC_DELAY)")
	maxBody := fs.Int64("max-body-bytes", httpapi.DefaultMaxBody, "largest request body accepted; larger ones get 413 (env INGOT_MAX_BODY_BYTES)")
	rateLimit := fs.Float64("rate-limit", 0, "requests per second allowed per program in this process; 0 means no limit; over it, 429 with Retry-After (env INGOT_RATE_LIMIT)")
	rateBurst := fs.Int("rate-burst", 0, "burst size per program for --rate-limit; 0 means the rate rounded up (env INGOT_RATE_BURST)")
	logFormat := fs.String("log-format", envOr(e.getenv, "INGOT_LOG_FORMAT", "text"), "log format on stderr: text or json (env INGOT_LOG_FORMAT)")
	pprofAddr := fs.String("pprof-addr", envOr(e.getenv, "INGOT_PPROF_ADDR", ""), "serve net/http/pprof on this separate address, HOST:PORT; off when empty; never expose it publicly (env INGOT_PPROF_ADDR)")
	webhookURL := fs.String("webhook-url", envOr(e.getenv, "INGOT_WEBHOOK_URL", ""), "with --sandbox: the sandbox program's webhook endpoint, set at start (env INGOT_WEBHOOK_URL)")
	retryScale := fs.Float64("webhook-retry-scale", 1, "with --sandbox: multiply the webhook retry schedule, e.g. 0.001 makes 1 min 60 ms (env INGOT_WEBHOOK_RETRY_SCALE)")
	allowPrivate := fs.Bool("webhook-allow-private", false, "deliver webhooks to loopback, private, link-local, multicast and unspecified addresses (always allowed with --sandbox) (env INGOT_WEBHOOK_ALLOW_PRIVATE)")
	if err := e.envDefaults(fs, map[string]string{"kyc-delay": "INGOT_KYC_DELAY", "max-body-bytes": "INGOT_MAX_BODY_BYTES",
		"rate-limit": "INGOT_RATE_LIMIT", "rate-burst": "INGOT_RATE_BURST", "webhook-retry-scale": "INGOT_WEBHOOK_RETRY_SCALE",
		"webhook-allow-private": "INGOT_WEBHOOK_ALLOW_PRIVATE"}); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
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
	log, err := newLogger(*logFormat, e)
	if err != nil {
		return err
	}
	defer tuneGC(e.getenv, serveGCPercent, serveMemoryLimit)()

	if !f.sandbox {
		if err := e.requireKey(f); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
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
	svc := service.New(service.Config{Store: st, Sealer: sealer, KYC: provider, Logger: log,
		Webhooks: service.WebhookConfig{AllowPrivate: f.sandbox || *allowPrivate, RetryScale: *retryScale, Observer: metrics}})
	defer svc.Close()
	if err := svc.CheckKey(e.ctx); err != nil {
		return fmt.Errorf("serve: %w", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if f.sandbox {
		if err := e.bootstrapSandbox(svc, "http://"+ln.Addr().String()); err != nil {
			ln.Close()
			return err
		}
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
	srv := newHTTPServer(httpapi.NewHandler(httpapi.Config{Service: svc, Logger: log, MaxBody: *maxBody,
		Metrics: metrics, RateLimit: *rateLimit, RateBurst: *rateBurst, MaxHeaderBytes: maxHeaderBytes,
		Sandbox: f.sandbox}), log)
	if n, err := svc.ResumeKYC(e.ctx); err != nil {
		log.Error("resume kyc checks", "err", err)
	} else if n > 0 {
		log.Info("resumed pending kyc checks", "count", n)
	}
	fmt.Fprintf(e.stdout, "ingot listening on http://%s\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "engine", st.Engine(), "sandbox", f.sandbox)

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
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
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
// credentials once, with shell lines that configure "ingot call".
func (e cliEnv) bootstrapSandbox(svc *service.Service, url string) error {
	c, created, err := svc.CreateFirstProgram(e.ctx, "sandbox")
	if err != nil {
		return fmt.Errorf("sandbox program: %w", err)
	}
	if !created {
		return nil
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
	return nil
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

func newLogger(format string, e cliEnv) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, nil)), nil
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

// flagError maps flag parsing failures to a usage error (exit 2); --help is
// not an error.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err.Error()}
}
