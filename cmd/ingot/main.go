// Command ingot serves Ingo Payments' Banking Platform API v4: a local sandbox
// on embedded SQLite, or a production service on PostgreSQL.
//
// Usage:
//
//	ingot serve [--addr HOST:PORT] [--db DSN] [--sandbox]
//	ingot program create --name NAME [--db DSN] [--json]
//	ingot program webhook set|show|rotate-secret|delete --program ID [--url URL] [--db DSN]
//	ingot migrate [--db DSN]
//	ingot call [--explain] PATH [JSON]
//	ingot audit verify [--db DSN]
//	ingot keys rotate [--db DSN] --new-key-file PATH
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
  ingot serve [--addr HOST:PORT] [--db DSN] [--sandbox]   serve the API
  ingot program create --name NAME [--db DSN] [--json]    create a program (tenant)
  ingot program webhook set|show|rotate-secret|delete --program ID [--url URL]
                                                          a program's webhook endpoint
  ingot migrate [--db DSN]                                apply schema migrations
  ingot call [--explain] PATH [JSON]                      sign and send one request
  ingot bench [--op OP] [--users N] [--rate R] [--json]   generate signed load and report latency
  ingot audit verify [--db DSN]                           check the tamper-evident audit trail
  ingot keys rotate [--db DSN] --new-key-file PATH        re-encrypt secrets under a new master key

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
	env := cliEnv{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd, rest := args[1], args[2:]; cmd {
	case "serve":
		return env.serve(rest)
	case "program":
		switch {
		case len(rest) > 0 && rest[0] == "create":
			return env.programCreate(rest[1:])
		case len(rest) > 0 && rest[0] == "webhook":
			return env.programWebhook(rest[1:])
		}
		return usageError{`program: want "ingot program create --name NAME" or "ingot program webhook COMMAND"`}
	case "migrate":
		return env.migrate(rest)
	case "call":
		return env.call(rest)
	case "bench":
		return env.bench(rest)
	case "audit":
		if len(rest) == 0 || rest[0] != "verify" {
			return usageError{`audit: want "ingot audit verify [--db DSN]"`}
		}
		return env.auditVerify(rest[1:])
	case "keys":
		if len(rest) == 0 || rest[0] != "rotate" {
			return usageError{`keys: want "ingot keys rotate --new-key-file PATH"`}
		}
		return env.keysRotate(rest[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

// cliEnv is what every subcommand gets from run.
type cliEnv struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}
