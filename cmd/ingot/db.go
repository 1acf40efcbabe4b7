package main

import (
	"flag"
	"fmt"

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
	fs.BoolVar(&f.sandbox, "sandbox", false, "sandbox mode: sandbox KYC provider, a bootstrap program, and a local master key file if none is set")
	fs.StringVar(&f.masterKeyFile, "master-key-file", e.getenv("INGOT_MASTER_KEY_FILE"),
		"file holding the master key (32 bytes, raw or base64) that encrypts SSNs and HMAC secrets (env INGOT_MASTER_KEY_FILE; or INGOT_MASTER_KEY, base64)")
	fs.StringVar(&f.synchronous, "sqlite-synchronous", e.getenv("INGOT_SQLITE_SYNCHRONOUS"),
		"SQLite synchronous pragma: FULL (default; durable on power loss), NORMAL, OFF (env INGOT_SQLITE_SYNCHRONOUS)")
}

// openStore opens the database and applies pending migrations.
func (e cliEnv) openStore(f dbFlags) (*store.Store, error) {
	s, err := store.Open(e.ctx, f.db, store.Options{Synchronous: f.synchronous})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return s, nil
}

// sealer finds the master key. allowLocal permits the key file next to a
// SQLite database: always with --sandbox, and for operator commands that run
// on the local machine (program create) so that a newcomer's first command
// works; "ingot serve" outside the sandbox never falls back to it.
func (e cliEnv) sealer(f dbFlags, s *store.Store, allowLocal bool) (*vault.Sealer, error) {
	src := vault.KeySource{File: f.masterKeyFile, Env: e.getenv("INGOT_MASTER_KEY")}
	if (f.sandbox || allowLocal) && s.Path() != "" {
		src.SandboxFile = s.Path() + ".key"
	}
	key, from, err := vault.Load(src)
	if err != nil {
		return nil, err
	}
	if from == vault.FromSandboxFile && !f.sandbox {
		fmt.Fprintf(e.stderr, "ingot: no master key set; using the local key file %s (set INGOT_MASTER_KEY in production)\n", src.SandboxFile)
	}
	return vault.New(key)
}
