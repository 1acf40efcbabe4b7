// Command ingot serves Ingo Payments' Banking Platform API v4: a local sandbox
// on embedded SQLite, or a production service on PostgreSQL.
//
// Usage:
//
//	ingot serve [--addr HOST:PORT] [--db DSN] [--sandbox]
//	ingot program list [--db DSN] [--json]
//	ingot program create --name NAME [--db DSN] [--json]
//	ingot program rotate-credentials --program ID [--grace D] [--db DSN] [--json]
//	ingot program webhook set|show|rotate-secret|delete --program ID [--url URL] [--db DSN]
//	ingot migrate [--db DSN]
//	ingot call [--explain] PATH [JSON]
//	ingot audit verify [--db DSN]
//	ingot console token create|list|revoke [--name NAME] [--db DSN]
//	ingot keys rotate [--db DSN] --new-key-file PATH
//	ingot version
//
// Run "ingot COMMAND --help" for every flag and its environment variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError marks a mistake in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitError carries an exit status chosen by a subcommand, after it has said
// what went wrong itself.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	var ee exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "ingot:", err)
		return 2
	}
	fmt.Fprintln(stderr, "ingot:", err)
	return 1
}

const usage = `ingot serves the Ingo Payments Banking Platform API v4.

Usage:
  ingot serve [--addr HOST:PORT] [--db DSN] [--sandbox]   serve the API (runs until Ctrl-C)
  ingot program list [--json]                             list programs (tenants), without secrets
  ingot program create --name NAME [--db DSN] [--json]    create a program and print its credentials
  ingot program rotate-credentials --program ID [--grace D]
                                                          new credentials for a program (lost ones too)
  ingot program webhook set|show|rotate-secret|delete --program ID [--url URL]
                                                          a program's webhook endpoint
  ingot migrate [--db DSN]                                apply schema migrations
  ingot call [--explain] PATH [JSON]                      sign and send one request
  ingot bench [--op OP] [--users N] [--rate R] [--json]   generate signed load and report latency
  ingot transfers list|settle [ID --outcome O] [--db DSN] pending external movements; an operator's settlement
  ingot audit verify [--db DSN]                           check the tamper-evident audit trail
  ingot console token create|list|revoke [--name NAME]    sign-in tokens of the operator console (/console/)
  ingot keys rotate [--db DSN] --new-key-file PATH        re-encrypt secrets under a new master key
  ingot fixtures load FILE [--db DSN] [--seed N]          load sandbox fixtures, all or nothing
  ingot fixtures export --program ID [--db DSN]           write a program's state as fixtures
  ingot version                                           version, commit and Go version

Run "ingot COMMAND --help" for a command's flags.
`

// run is the whole program with its environment passed in, so tests drive it
// exactly as a shell would.
func run(ctx context.Context, args []string, getenv func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return usageError{"missing command"}
	}
	env := cliEnv{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, self: selfName(args[0])}
	switch cmd, rest := args[1], args[2:]; cmd {
	case "serve":
		return env.serve(rest)
	case "program":
		return env.program(rest)
	case "migrate":
		return env.migrate(rest)
	case "call":
		return env.call(rest)
	case "bench":
		return env.bench(rest)
	case "console":
		return env.console(rest)
	case "transfers":
		return env.transfers(rest)
	case "fixtures":
		return env.fixtures(rest)
	case "audit":
		return env.group(rest, "audit", "verify", "ingot audit verify [--db DSN]    check the tamper-evident audit trail", env.auditVerify)
	case "keys":
		return env.group(rest, "keys", "rotate", "ingot keys rotate [--db DSN] --new-key-file PATH    re-encrypt secrets under a new master key", env.keysRotate)
	case "version", "--version":
		return env.version(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

// group dispatches a command with a single subcommand (audit verify, keys
// rotate): --help prints its usage and exits 0, anything else but sub is a
// usage error that shows it.
func (e cliEnv) group(args []string, name, sub, line string, fn func([]string) error) error {
	text := "usage:\n  " + line + "\n\nRun \"ingot " + name + " " + sub + " --help\" for its flags.\n"
	switch {
	case len(args) > 0 && args[0] == sub:
		return fn(args[1:])
	case len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		fmt.Fprint(e.stdout, text)
		return nil
	}
	fmt.Fprint(e.stderr, text)
	return usageError{fmt.Sprintf("%s: want %q", name, "ingot "+name+" "+sub)}
}

// cliEnv is what every subcommand gets from run.
type cliEnv struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// self is how the user runs this binary, for the commands ingot
	// suggests: "go run ./cmd/ingot" under go run, else as invoked.
	self string
}

// selfName derives cliEnv.self from os.Args[0]. Under "go run" it is a file
// in a temporary go-build directory, which would be no use to print.
func selfName(arg0 string) string {
	switch {
	case strings.Contains(arg0, "go-build"):
		return "go run ./cmd/ingot"
	case arg0 == "":
		return "ingot"
	}
	return arg0
}
