package main

import (
	"fmt"
)

// auditVerify is "ingot audit verify": it walks every program's audit chain
// and exits 0 when all are intact, or 1 naming the first broken event. It
// reads hashes only, so it needs no master key.
func (e cliEnv) auditVerify(args []string) error {
	fs := e.newFlagSet("audit verify", `usage: ingot audit verify [--db DSN]

Walk every program's hash-chained audit trail: exit 0 when all are intact, or 1
naming the first tampered, deleted or inserted event. Reads hashes only: no
master key needed, safe while servers run.
`)
	var f dbFlags
	e.addDBFlags(fs, &f) // key flags are accepted and unused: verify needs no key
	fs.Lookup("sandbox").Usage = "accepted as by every command that opens the database; verify needs no master key"
	if err := e.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("audit verify: unexpected argument %q", fs.Arg(0))}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	st, err := e.openStore(f, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.VerifyAudit(e.ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if !rep.Intact() {
		fmt.Fprintf(e.stdout, "audit trail BROKEN: %s\n", rep.Broken)
		return exitError{1}
	}
	fmt.Fprintf(e.stdout, "audit trail intact: %d events in %d programs\n", rep.Events, rep.Programs)
	if rep.Legacy > 0 {
		fmt.Fprintf(e.stdout, "(%d of them predate the chain and are not covered by it)\n", rep.Legacy)
	}
	return nil
}
