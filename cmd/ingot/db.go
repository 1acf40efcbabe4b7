package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ingot-dev/ingot/internal/service"

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

// existingDB refuses a SQLite path with no file, for commands that only
// read: opening it would create an empty database where the user expected
// theirs (a mistyped --db, or the wrong directory).
func existingDB(dsn string) error {
	engine, path, err := store.ParseDSN(dsn)
	if err != nil || engine != store.SQLite {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s (is --db right? \"ingot serve --sandbox\" or \"ingot migrate\" creates one)", path)
	}
	return nil
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
	if src.File == "" && src.Env == "" && sandboxKey {
		// A sandbox key is generated only for a database that has no program
		// yet: the programs of any other were sealed with a key that is not
		// here, and a new key would seal new secrets that their server
		// cannot open (it would refuse to start).
		if err := e.checkNewSandboxKey(s, src.SandboxFile); err != nil {
			return nil, err
		}
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
	sealer, err := vault.New(key)
	if err != nil {
		return nil, err
	}
	// Every command that seals a value (program create, rotate-credentials,
	// serve) checks first that the key is the one the database's secrets
	// were sealed with, so it never mixes keys in one database.
	if err := service.CheckKey(e.ctx, s, sealer); err != nil {
		return nil, err
	}
	return sealer, nil
}

// checkNewSandboxKey refuses to generate a sandbox key (no key configured)
// for a database that already has programs but no sandbox key of its own.
func (e cliEnv) checkNewSandboxKey(s *store.Store, file string) error {
	if file != "" {
		if _, err := os.Stat(file); err == nil {
			return nil // the sandbox's own key
		}
	} else if s.Engine() == store.Postgres {
		if k, err := s.StoredSandboxKey(e.ctx); err != nil || k != nil {
			return err
		}
	}
	ps, err := s.Programs(e.ctx)
	if err != nil {
		return err
	}
	if len(ps) > 0 {
		return fmt.Errorf("%w: the database has %d program(s) sealed with a master key that is not configured here; "+
			"set INGOT_MASTER_KEY or --master-key-file to that key (a new sandbox key would seal secrets its server cannot open)",
			vault.ErrNoKey, len(ps))
	}
	return nil
}

// requireKey fails fast, before the database is touched, when a command that
// never falls back to a sandbox key has no key configured.
func (e cliEnv) requireKey(f dbFlags) error {
	if f.masterKeyFile == "" && e.getenv("INGOT_MASTER_KEY") == "" {
		return fmt.Errorf("%w, or use --sandbox for a local sandbox", vault.ErrNoKey)
	}
	return nil
}
