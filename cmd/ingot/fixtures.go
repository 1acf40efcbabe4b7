package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/service"
)

// ingot fixtures load|export (sandbox.md section 2, docs/sandbox.md).

const fixturesUsage = `usage:
  ingot fixtures load FILE [--db DSN] [--seed N]    load programs, users, businesses and funded accounts
  ingot fixtures export --program ID [--db DSN]     write a program's state as a fixture file to stdout

Run "ingot fixtures load --help" for its flags. The format: docs/sandbox.md.
`

func (e cliEnv) fixtures(args []string) error {
	switch {
	case len(args) > 0 && args[0] == "load":
		return e.fixturesLoad(args[1:])
	case len(args) > 0 && args[0] == "export":
		return e.fixturesExport(args[1:])
	case len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		fmt.Fprint(e.stdout, fixturesUsage)
		return nil
	}
	fmt.Fprint(e.stderr, fixturesUsage)
	return usageError{"fixtures: want load or export"}
}

func (e cliEnv) fixturesLoad(args []string) error {
	fs := e.newFlagSet("fixtures load", `usage: ingot fixtures load FILE [--db DSN] [--seed N]

Load a fixture file (docs/sandbox.md) in one transaction: every program in it
with its users, businesses, owners and funded accounts, or, if any entry is
invalid, nothing (the error names the entry). A program already in the
database (same hmac_username, or same name without credentials) is left as
it is, so loading a file twice changes nothing. Generated credentials are
printed once.
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = keySandboxUsage
	seed := fs.Int64("seed", -1, "make generated ids, account numbers and credentials deterministic (a sandbox's snapshot tests); -1: random")
	// Flags before and after FILE alike.
	pos, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 1:
		return usageError{fmt.Sprintf("fixtures load: unexpected argument %q", pos[1])}
	case len(pos) == 0:
		return usageError{"fixtures load: FILE is required"}
	}
	file := pos[0]
	if *seed >= 0 {
		banking.SeedIDs(uint64(*seed))
	}
	svc, done, err := e.oneShotService("fixtures load", f)
	if err != nil {
		return err
	}
	defer done()
	return e.loadFixtures(svc, file)
}

// loadFixtures loads file into svc's database and reports what it did.
func (e cliEnv) loadFixtures(svc *service.Service, file string) error {
	data, err := readFixtureFile(file)
	if err != nil {
		return err
	}
	fx, err := httpapi.ParseFixtures(data)
	if err != nil {
		return fmt.Errorf("fixtures %s: %w", file, err)
	}
	loaded, err := svc.LoadFixtures(e.ctx, fx)
	if err != nil {
		return fmt.Errorf("fixtures %s: nothing loaded: %w", file, err)
	}
	for i, p := range loaded {
		switch {
		case p.Existed:
			fmt.Fprintf(e.stdout, "Program %s (%s) exists already: left as it is.\n", p.Name, p.ProgramID)
		case fx.Programs[i].APIKey != "":
			fmt.Fprintf(e.stdout, "Loaded program %s (%s) with the credentials of the fixture.\n", p.Name, p.ProgramID)
		default:
			fmt.Fprintf(e.stdout, `Loaded program %s (%s). Its credentials are shown only this once:
  api_key:       %s
  hmac_username: %s
  hmac_secret:   %s
`, p.Name, p.ProgramID, p.APIKey, p.HMACUsername, p.HMACSecret)
		}
	}
	return nil
}

func readFixtureFile(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	return data, nil
}

func (e cliEnv) fixturesExport(args []string) error {
	fs := e.newFlagSet("fixtures export", `usage: ingot fixtures export --program ID [--db DSN]

Write program ID's current state to stdout as a fixture file: its users,
businesses with owners, and accounts with their available balances as
opening balances. Secrets are left out (credentials, SSNs).
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = keySandboxUsage
	program := fs.String("program", "", "the program's id, prog-... (required)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *program == "" {
		return usageError{"fixtures export: --program is required"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("fixtures export: unexpected argument %q", fs.Arg(0))}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("fixtures export: %w", err)
	}
	svc, done, err := e.oneShotService("fixtures export", f)
	if err != nil {
		return err
	}
	defer done()
	x, err := svc.ExportFixtures(e.ctx, banking.ProgramID(*program))
	if err != nil {
		return fmt.Errorf("fixtures export: %w", err)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(httpapi.FixtureOf(x))
}
