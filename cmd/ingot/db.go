package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
)

// dbFlags are the flags of every subcommand that opens the database.
type dbFlags struct {
	db            string
	sandbox       bool
	masterKeyFile string
	synchronous   string
}

func (e cliEnv) addDBFlags(fs *flag.FlagSet, f *dbFlags) {
	def := e.getenv("INGOT_DB")
	if def == "" {
		def = "./ingot.db"
	}
	fs.StringVar(&f.db, "db", def, "database: a SQLite file path, sqlite:PATH, or a postgres:// URL (env INGOT_DB)")
	fs.BoolVar(&f.sandbox, "sandbox", false, keySandboxUsage) // serve describes its own --sandbox
	fs.StringVar(&f.masterKeyFile, "master-key-file", e.getenv("INGOT_MASTER_KEY_FILE"),
		"file holding the master key (32 bytes, raw or base64) that encrypts SSNs and HMAC secrets (env INGOT_MASTER_KEY_FILE; or INGOT_MASTER_KEY, base64)")
	fs.StringVar(&f.synchronous, "sqlite-synchronous", e.getenv("INGOT_SQLITE_SYNCHRONOUS"),
		"SQLite synchronous pragma: FULL (default; durable on power loss), NORMAL, OFF (env INGOT_SQLITE_SYNCHRONOUS)")
}

// openStore opens the database and applies pending migrations. observe, if
// not nil, receives store operation timings.
func (e cliEnv) openStore(f dbFlags, observe func(string, time.Duration)) (*store.Store, error) {
	s, err := store.Open(e.ctx, f.db, store.Options{Synchronous: f.synchronous, Observe: observe})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return s, nil
}

// sealer finds the master key: --master-key-file, else INGOT_MASTER_KEY, else
// (only with --sandbox, or when allowLocal) a generated sandbox key: a file
// next to a SQLite database, or a row in a PostgreSQL one.
//
// allowLocal is for "program create", an operator command run where the
// database is: issue 2's first-run flow is "program create --db FILE" and
// then "serve --sandbox" on the same file, so program create must work with
// no key configured (see docs/decisions.md). It says so on stderr. "ingot
// serve" never passes allowLocal: outside the sandbox it refuses to start.
func (e cliEnv) sealer(f dbFlags, s *store.Store, allowLocal bool) (*vault.Sealer, error) {
	sandboxKey := f.sandbox || allowLocal
	src := vault.KeySource{File: f.masterKeyFile, Env: e.getenv("INGOT_MASTER_KEY")}
	if sandboxKey && s.Path() != "" {
		src.SandboxFile = s.Path() + ".key"
	}
	key, from, err := vault.Load(src)
	switch {
	case errors.Is(err, vault.ErrNoKey) && sandboxKey && s.Engine() == store.Postgres:
		if key, err = s.SandboxKey(e.ctx); err != nil {
			return nil, err
		}
		if !f.sandbox {
			fmt.Fprintln(e.stderr, "ingot: no master key set; using the sandbox key kept in the database (set INGOT_MASTER_KEY in production)")
		}
	case err != nil:
		return nil, err
	case from == vault.FromSandboxFile && !f.sandbox:
		fmt.Fprintf(e.stderr, "ingot: no master key set; using the sandbox key file %s (set INGOT_MASTER_KEY in production)\n", src.SandboxFile)
	}
	return vault.New(key)
}

// requireKey fails fast, before the database is touched, when a command that
// never falls back to a sandbox key has no key configured.
func (e cliEnv) requireKey(f dbFlags) error {
	if f.masterKeyFile == "" && e.getenv("INGOT_MASTER_KEY") == "" {
		return fmt.Errorf("%w, or use --sandbox for a local sandbox", vault.ErrNoKey)
	}
	return nil
}
