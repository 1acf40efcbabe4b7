package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/ingot-dev/ingot/internal/banking"
)

const transfersUsage = `usage:
  ingot transfers list --status pending [--limit N] [--db DSN] [--json]
  ingot transfers settle ID --outcome completed|failed|blocked|returned [--return-code R..] [--db DSN]

The operator's side of the manual rail (money.md section 4.5): a production
server leaves every external movement (top-up, payout, program funding)
pending until an operator settles it, from the bank's ACH files. "list" shows
the pending movements of every program, oldest first. "settle" decides one:
a pending movement completes, fails (its reserved funds released, the return
code as its failure_reason) or is blocked; a completed one is returned (a new
transaction moves the money back). The decision is recorded in the audit
trail with actor "operator:cli". It works on every pending movement,
book transfers and inbound transfers included, while servers run.
`

// transfers is "ingot transfers".
func (e cliEnv) transfers(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, transfersUsage)
		return usageError{"transfers: want a command: list or settle"}
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "list":
		return e.transfersList(rest)
	case "settle":
		return e.transfersSettle(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, transfersUsage)
		return nil
	default:
		fmt.Fprint(e.stderr, transfersUsage)
		return usageError{fmt.Sprintf("transfers: unknown command %q", cmd)}
	}
}

const transfersSandboxUsage = "accepted as by every command that opens the database; settling needs no master key"

func (e cliEnv) transfersList(args []string) error {
	fs := e.newFlagSet("transfers list", transfersUsage)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = transfersSandboxUsage
	status := fs.String("status", "pending", "which movements: pending (the only status listed)")
	limit := fs.Int("limit", 1000, "at most this many, oldest first")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("transfers list: unexpected argument %q", fs.Arg(0))}
	case *status != "pending":
		return usageError{fmt.Sprintf("transfers list: --status %q: only pending movements are listed", *status)}
	case *limit < 1:
		return usageError{"transfers list: --limit must be at least 1"}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("transfers list: %w", err)
	}
	svc, done, err := e.tokenService(f)
	if err != nil {
		return err
	}
	defer done()
	list, err := svc.PendingMovements(e.ctx, *limit)
	if err != nil {
		return fmt.Errorf("transfers list: %w", err)
	}
	if *asJSON {
		type row struct {
			ID          string `json:"id"`
			ProgramID   string `json:"program_id"`
			Amount      string `json:"amount"`
			Category    string `json:"category"`
			Method      string `json:"method"`
			Status      string `json:"status"`
			Source      string `json:"source_account_id"`
			Destination string `json:"destination_account_id"`
			CreatedAt   string `json:"created_at"`
		}
		out := make([]row, len(list))
		for i, t := range list {
			out[i] = row{string(t.ID), string(t.ProgramID), banking.FormatAmount(t.Amount), string(t.Category),
				string(t.Method), string(t.Status), banking.PublicAccount(t.SourceAccountID),
				banking.PublicAccount(t.DestinationAccountID), t.CreatedAt.Format("2006-01-02T15:04:05.000Z")}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROGRAM\tAMOUNT\tCATEGORY\tMETHOD\tCREATED")
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.ProgramID, banking.FormatAmount(t.Amount), t.Category,
			t.Method, t.CreatedAt.Format("2006-01-02T15:04:05Z"))
	}
	return tw.Flush()
}

func (e cliEnv) transfersSettle(args []string) error {
	fs := e.newFlagSet("transfers settle", transfersUsage)
	var f dbFlags
	e.addDBFlags(fs, &f)
	fs.Lookup("sandbox").Usage = transfersSandboxUsage
	outcome := fs.String("outcome", "", "completed, failed or blocked (a pending movement), returned (a completed one) (required)")
	code := fs.String("return-code", "", "the ACH return code of a failure or return, R01 to R99 (default R01)")
	// Flags before and after the id alike ("settle --outcome completed ID
	// --db X" once read its --db as an argument and settled in ./ingot.db).
	pos, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 1:
		return usageError{fmt.Sprintf("transfers settle: unexpected argument %q", pos[1])}
	case len(pos) == 0:
		return usageError{"transfers settle: want the transaction id (ltra-...)"}
	case *outcome == "":
		return usageError{"transfers settle: --outcome is required"}
	}
	id := pos[0]
	// The service's own check, made first so that a bad flag is a usage
	// error naming the flag (docs/cli.md), not a generic validation failure.
	if _, _, err := banking.ParseOutcome(*outcome, *code); err != nil {
		var be *banking.Error
		if errors.As(err, &be) {
			for _, f := range []struct{ field, flag, value string }{
				{"outcome", "--outcome", *outcome}, {"return_code", "--return-code", *code}} {
				if msg, ok := be.Fields[f.field]; ok {
					return usageError{fmt.Sprintf("transfers settle: %s %q %s", f.flag, f.value, msg)}
				}
			}
		}
		return usageError{"transfers settle: " + err.Error()}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("transfers settle: %w", err)
	}
	svc, done, err := e.tokenService(f)
	if err != nil {
		return err
	}
	defer done()
	t, err := svc.SettleByID(e.ctx, id, *outcome, *code)
	if err != nil {
		return fmt.Errorf("transfers settle %s: %w", id, err)
	}
	reason := ""
	if t.FailureReason != "" {
		reason = " (" + t.FailureReason + ")"
	}
	fmt.Fprintf(e.stdout, "%s is now %s%s: %s %s\n", t.ID, t.Status, reason, banking.FormatAmount(t.Amount), t.Category)
	return nil
}
