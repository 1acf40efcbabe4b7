package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/ingot-dev/ingot/internal/service"
)

const consoleUsage = `usage: ingot console token COMMAND [flags]

Manage console tokens: what operators sign in to the web console (/console/ of
"ingot serve") with. A token is shown once, when created, and stored only as a
hash; its name is how the operator appears in the audit trail
("operator:NAME"). These commands work on the database directly (--db, env
INGOT_DB, default ./ingot.db), also while servers run: a revocation ends the
token's sessions in every server at once.

Commands:
  ingot console token create --name NAME    create a token and print it, once
  ingot console token list                  every token: name, created, last sign-in, sessions
  ingot console token revoke --name NAME    delete a token and end its sessions

Run "ingot console token COMMAND --help" for a command's flags.
`

// console dispatches "ingot console token COMMAND".
func (e cliEnv) console(args []string) error {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(e.stdout, consoleUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "token" {
		fmt.Fprint(e.stderr, consoleUsage)
		return usageError{`console: want "ingot console token create|list|revoke"`}
	}
	args = args[1:]
	if len(args) == 0 {
		fmt.Fprint(e.stderr, consoleUsage)
		return usageError{"console token: want a command: create, list or revoke"}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "create":
		return e.consoleTokenCreate(rest)
	case "list":
		return e.consoleTokenList(rest)
	case "revoke":
		return e.consoleTokenRevoke(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, consoleUsage)
		return nil
	default:
		fmt.Fprint(e.stderr, consoleUsage)
		return usageError{fmt.Sprintf("console token: unknown command %q", cmd)}
	}
}

// tokenService opens the database and a service without jobs or a master
// key: console tokens are hashes, nothing is sealed. done closes both.
func (e cliEnv) tokenService(f dbFlags) (*service.Service, func(), error) {
	st, err := e.openStore(f, nil)
	if err != nil {
		return nil, nil, err
	}
	svc := service.New(service.Config{Store: st, NoJobs: true})
	return svc, func() { svc.Close(); st.Close() }, nil
}

const tokenSandboxUsage = "accepted as by every command that opens the database; console tokens need no master key"

func (e cliEnv) consoleTokenCreate(args []string) error {
	fs := e.newFlagSet("console token create", `usage: ingot console token create --name NAME [--db DSN]

Create a console token and print it once: only its hash is stored. The operator
signs in to /console/ with it; what they do there is recorded in the audit
trail as "operator:NAME".
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = tokenSandboxUsage
	name := fs.String("name", "", "the operator's name: 1 to 64 letters, digits, '.', '_', '@' or '-' (required)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *name == "":
		return usageError{"console token create: --name is required"}
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("console token create: unexpected argument %q", fs.Arg(0))}
	}
	if err := service.CheckTokenName(*name); err != nil {
		return usageError{"console token create: --name " + fmt.Sprintf("%q", *name) + ": must be 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"}
	}
	svc, done, err := e.tokenService(f)
	if err != nil {
		return err
	}
	defer done()
	tok, err := svc.CreateConsoleToken(e.ctx, *name)
	if err != nil {
		return fmt.Errorf("console token create: %w", err)
	}
	fmt.Fprintf(e.stdout, `Created console token %q. It is shown only this once:
  console_token: %s
Sign in with it at /console/ of any "ingot serve" on this database.
`, *name, tok)
	return nil
}

func (e cliEnv) consoleTokenList(args []string) error {
	fs := e.newFlagSet("console token list", `usage: ingot console token list [--db DSN]

List the console tokens by name: when each was created, its last sign-in, and
how many sessions it has. Never a token.
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = tokenSandboxUsage
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("console token list: unexpected argument %q", fs.Arg(0))}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("console token list: %w", err)
	}
	svc, done, err := e.tokenService(f)
	if err != nil {
		return err
	}
	defer done()
	toks, err := svc.ConsoleTokens(e.ctx)
	if err != nil {
		return fmt.Errorf("console token list: %w", err)
	}
	if len(toks) == 0 {
		fmt.Fprintf(e.stdout, "no console tokens in %s yet: create one with \"%s console token create --name NAME\"\n", f.db, e.self)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCREATED\tLAST SIGN-IN\tSESSIONS")
	for _, t := range toks {
		last := "never"
		if !t.LastUsedAt.IsZero() {
			last = t.LastUsedAt.UTC().Format(timeFormat)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", t.Name, t.CreatedAt.UTC().Format(timeFormat), last, t.Sessions)
	}
	return tw.Flush()
}

func (e cliEnv) consoleTokenRevoke(args []string) error {
	fs := e.newFlagSet("console token revoke", `usage: ingot console token revoke --name NAME [--db DSN]

Delete a console token and end every session signed in with it, at once, in
every server on this database.
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = tokenSandboxUsage
	name := fs.String("name", "", "the token's name (required; see ingot console token list)")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *name == "":
		return usageError{"console token revoke: --name is required (\"ingot console token list\" shows the names)"}
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("console token revoke: unexpected argument %q", fs.Arg(0))}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("console token revoke: %w", err)
	}
	svc, done, err := e.tokenService(f)
	if err != nil {
		return err
	}
	defer done()
	n, err := svc.RevokeConsoleToken(e.ctx, *name)
	if err != nil {
		return fmt.Errorf("console token revoke: %w", err)
	}
	sessions := "sessions"
	if n == 1 {
		sessions = "session"
	}
	fmt.Fprintf(e.stdout, "Revoked console token %q and ended its %d %s.\n", *name, n, sessions)
	return nil
}
