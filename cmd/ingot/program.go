package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

const programUsage = `usage: ingot program COMMAND [flags]

Manage programs (tenants). A program is one integration: a name, an api_key, an
HMAC username and secret; it sees only its own users. These commands work on the
database directly (--db, env INGOT_DB, default ./ingot.db), also while servers run.

Commands:
  ingot program list [--json]
        every program: id, name, creation time, users, HMAC username; never a secret
  ingot program create --name NAME [--json]
        create a program and print its credentials, once
  ingot program rotate-credentials --program ID [--grace 24h] [--json]
        give a program new credentials, printed once; the old ones keep working
        until the grace period ends (the way back from lost credentials)

Run "ingot program COMMAND --help" for a command's flags.
`

// program dispatches "ingot program COMMAND".
func (e cliEnv) program(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, programUsage)
		return usageError{"program: want a command: list, create, rotate-credentials or webhook"}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "list":
		return e.programList(rest)
	case "create":
		return e.programCreate(rest)
	case "rotate-credentials":
		return e.programRotate(rest)
	case "webhook":
		return e.programWebhook(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, programUsage)
		return nil
	default:
		fmt.Fprint(e.stderr, programUsage)
		return usageError{fmt.Sprintf("program: unknown command %q", cmd)}
	}
}

// newFlagSet is a subcommand's flag set: --help prints usage (syntax and
// what the command does) before the flags. Parse it with parseFlags.
func (e cliEnv) newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("ingot "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// keySandboxUsage describes --sandbox for the commands that open the
// database outside "serve": all it changes is where the master key may
// come from.
const keySandboxUsage = "use the sandbox's master key when none is set: the file DB.key next to a SQLite database " +
	"(created if missing), or the key row of a PostgreSQL one (set the key explicitly in production)"

func (e cliEnv) programCreate(args []string) error {
	fs := e.newFlagSet("program create", `usage: ingot program create --name NAME [--db DSN] [--json]

Create a program and print its credentials (api_key, HMAC username and secret)
once: only their hashed or encrypted forms are stored. Lost them later? Use
"ingot program rotate-credentials".
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = keySandboxUsage
	name := fs.String("name", "", "program name (required)")
	asJSON := fs.Bool("json", false, "print the credentials as one JSON object on stdout")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return usageError{"program create: --name is required"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("program create: unexpected argument %q", fs.Arg(0))}
	}
	svc, done, err := e.oneShotService("program create", f)
	if err != nil {
		return err
	}
	defer done()
	c, err := svc.CreateProgram(e.ctx, *name)
	if err != nil {
		return fmt.Errorf("program create: %w", err)
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(c)
	}
	fmt.Fprintf(e.stdout, `Created program %s (%s). Its credentials are shown only this once:
  api_key:       %s
  hmac_username: %s
  hmac_secret:   %s
`, c.ProgramID, c.Name, c.APIKey, c.HMACUsername, c.HMACSecret)
	return nil
}

// oneShotService opens the store and a service that runs no jobs, for a
// command that does one thing and exits. done closes both.
func (e cliEnv) oneShotService(cmd string, f dbFlags) (*service.Service, func(), error) {
	st, err := e.openStore(f, nil)
	if err != nil {
		return nil, nil, err
	}
	sealer, err := e.sealer(f, st, true)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	svc := service.New(service.Config{Store: st, Sealer: sealer, NoJobs: true})
	return svc, func() { svc.Close(); st.Close() }, nil
}

// programJSON is one program in "ingot program list --json".
type programJSON struct {
	ProgramID    string `json:"program_id"`
	Name         string `json:"name"`
	CreatedAt    string `json:"created_at"`
	Users        int    `json:"users"`
	HMACUsername string `json:"hmac_username"`
	// Previous lists replaced credentials still in their grace period.
	Previous []previousJSON `json:"previous_credentials"`
}

type previousJSON struct {
	HMACUsername string `json:"hmac_username"`
	ValidUntil   string `json:"valid_until"`
}

// timeFormat is how the CLI prints times: as the API does, UTC with
// milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z"

func (e cliEnv) programList(args []string) error {
	fs := e.newFlagSet("program list", `usage: ingot program list [--db DSN] [--json]

List every program, oldest first: id, name, creation time, number of users, HMAC
username, and replaced credentials still in their grace period. Never a secret:
to get working credentials for a program, rotate them
("ingot program rotate-credentials --program ID").
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = keySandboxUsage
	asJSON := fs.Bool("json", false, "print one JSON array of programs on stdout")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("program list: unexpected argument %q", fs.Arg(0))}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("program list: %w", err)
	}
	st, err := e.openStore(f, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	// Listing reads no secret, so it needs no master key: a service
	// without a sealer is enough.
	svc := service.New(service.Config{Store: st, NoJobs: true})
	defer svc.Close()
	ps, err := svc.Programs(e.ctx)
	if err != nil {
		return fmt.Errorf("program list: %w", err)
	}
	if *asJSON {
		out := make([]programJSON, 0, len(ps))
		for _, p := range ps {
			pj := programJSON{ProgramID: string(p.ID), Name: p.Name, CreatedAt: p.CreatedAt.UTC().Format(timeFormat),
				Users: p.Users, HMACUsername: p.HMACUsername, Previous: []previousJSON{}}
			for _, r := range p.Previous {
				pj.Previous = append(pj.Previous, previousJSON{HMACUsername: r.HMACUsername, ValidUntil: r.ValidUntil.UTC().Format(timeFormat)})
			}
			out = append(out, pj)
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	if len(ps) == 0 {
		fmt.Fprintf(e.stdout, "no programs in %s yet: create one with \"%s program create --name NAME\" (or start \"%s serve --sandbox\")\n",
			f.db, e.self, e.self)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRAM\tNAME\tCREATED\tUSERS\tHMAC USERNAME")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.ID, p.Name, p.CreatedAt.UTC().Format(timeFormat), p.Users, p.HMACUsername)
		for _, r := range p.Previous {
			fmt.Fprintf(tw, "\t\t\t\t(previous %s works until %s)\n", r.HMACUsername, r.ValidUntil.UTC().Format(timeFormat))
		}
	}
	return tw.Flush()
}

// rotatedJSON is what "ingot program rotate-credentials --json" prints.
type rotatedJSON struct {
	service.Credentials
	PreviousHMACUsername string `json:"previous_hmac_username"`
	PreviousValidUntil   string `json:"previous_valid_until"`
}

func (e cliEnv) programRotate(args []string) error {
	fs := e.newFlagSet("program rotate-credentials", `usage: ingot program rotate-credentials --program ID [--grace D] [--db DSN] [--json]

Give a program a new api_key, HMAC username and secret, and print them once.
The old ones keep working until the grace period ends (a running server that
cached them may accept them up to 60 s longer when the grace is shorter), so
integrations can switch without downtime; then they answer 401. Its users, and
everything else of the program, stay as they are. The rotation is recorded in
the program's audit trail. "ingot program list" shows the ids.
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = keySandboxUsage
	pid := fs.String("program", "", "id of the program, prog-... (required; see ingot program list)")
	grace := fs.Duration("grace", service.DefaultGrace, "how long the old credentials keep working, e.g. 24h, 30m, 0 (stop at once)")
	asJSON := fs.Bool("json", false, "print the new credentials as one JSON object on stdout")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *pid == "":
		return usageError{"program rotate-credentials: --program is required (\"ingot program list\" shows the ids)"}
	case *grace < 0:
		return usageError{"program rotate-credentials: --grace must not be negative"}
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("program rotate-credentials: unexpected argument %q", fs.Arg(0))}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("program rotate-credentials: %w", err)
	}
	svc, done, err := e.oneShotService("program rotate-credentials", f)
	if err != nil {
		return err
	}
	defer done()
	r, err := svc.RotateCredentials(e.ctx, banking.ProgramID(*pid), *grace)
	if err != nil {
		return fmt.Errorf("program rotate-credentials: %w", err)
	}
	until := r.PreviousValidUntil.UTC().Format(timeFormat)
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(rotatedJSON{Credentials: r.Credentials,
			PreviousHMACUsername: r.PreviousHMACUsername, PreviousValidUntil: until})
	}
	fmt.Fprintf(e.stdout, `Rotated the credentials of program %s (%s). The new ones are shown only this once:
  api_key:       %s
  hmac_username: %s
  hmac_secret:   %s
The previous credentials (HMAC username %s) keep working until %s (grace %s).
To sign requests with "ingot call", paste these lines into your shell:
export INGOT_API_KEY=%s
export INGOT_HMAC_USERNAME=%s
export INGOT_HMAC_SECRET=%s
`, r.ProgramID, r.Name, r.APIKey, r.HMACUsername, r.HMACSecret, r.PreviousHMACUsername, until, fmtGrace(*grace),
		r.APIKey, r.HMACUsername, r.HMACSecret)
	return nil
}

// fmtGrace prints a duration without Go's trailing zero units (24h, not
// 24h0m0s).
func fmtGrace(d time.Duration) string {
	s := d.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}

func (e cliEnv) migrate(args []string) error {
	fs := e.newFlagSet("migrate", `usage: ingot migrate [--db DSN]

Apply pending schema migrations and print the schema version. Every command that
opens the database does this first; run it alone before upgrading servers.
`)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = "accepted as by every command that opens the database; migrate needs no master key"
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("migrate: unexpected argument %q", fs.Arg(0))}
	}
	st, err := e.openStore(f, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "schema at version %d (%s)\n", v, st.Engine())
	return nil
}
