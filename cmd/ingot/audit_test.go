//go:build unix

package main

import (
	"database/sql"
	"fmt"
	"strings"
	"syscall"
	"testing"

	_ "github.com/ingot-dev/ingot/internal/store" // registers the "sqlite" and "pgx" drivers
	"github.com/ingot-dev/ingot/internal/testenv"
)

// openRaw opens the database behind a --db value with database/sql directly,
// bypassing ingot, as someone tampering with it would.
func openRaw(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ph is the n-th placeholder of the driver.
func ph(dsn string, n int) string {
	if strings.HasPrefix(dsn, "postgres") {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// TestBlackboxAuditVerify: real traffic through the binary leaves an intact
// audit trail ("ingot audit verify" exits 0, needing no master key); an
// events row edited directly in the database makes it exit 1 naming that
// event; so does a deleted last event.
func TestBlackboxAuditVerify(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv("INGOT_MASTER_KEY=" + randomMasterKey(t))
			credsA := createProgram(t, env, "A", "--db", dsn)
			credsB := createProgram(t, env, "B", "--db", dsn)
			srv := startServe(t, env, false, "--db", dsn)
			a, b := newClient(t, srv, credsA), newClient(t, srv, credsB)
			for i := 0; i < 3; i++ {
				a.call("user/create", newUserBody(fmt.Sprintf("a%d@example.com", i), "123-45-6789")).ok(t)
			}
			id := b.call("user/create", newUserBody("b@example.com", "")).ok(t).user(t)["id"]
			b.call("user/block", map[string]any{"user_id": id, "reason": "fraud"}).ok(t)
			srv.stop(syscall.SIGTERM)

			// 2 program.created + 4 user.created + 1 user.blocked. No key.
			noKey := childEnv()
			r := runCLI(t, noKey, "audit", "verify", "--db", dsn)
			if r.code != 0 || !strings.Contains(r.stdout, "audit trail intact: 7 events in 2 programs") {
				t.Fatalf("audit verify: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}

			// Edit one event of A directly in the database.
			raw := openRaw(t, dsn)
			var target string
			if err := raw.QueryRow(`SELECT id FROM events WHERE program_id = `+ph(dsn, 1)+` ORDER BY seq LIMIT 1 OFFSET 2`,
				credsA.ProgramID).Scan(&target); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(`UPDATE events SET reason = 'nothing to see' WHERE id = `+ph(dsn, 1), target); err != nil {
				t.Fatal(err)
			}
			r = runCLI(t, noKey, "audit", "verify", "--db", dsn)
			if r.code != 1 || !strings.Contains(r.stdout, target) || !strings.Contains(r.stdout, "content hash mismatch") {
				t.Fatalf("audit verify after editing %s: exit %d, want 1 naming it\nstdout:\n%s\nstderr:\n%s", target, r.code, r.stdout, r.stderr)
			}
			if _, err := raw.Exec(`UPDATE events SET reason = '' WHERE id = `+ph(dsn, 1), target); err != nil {
				t.Fatal(err)
			}
			if r = runCLI(t, noKey, "audit", "verify", "--db", dsn); r.code != 0 {
				t.Fatalf("audit verify after undoing the edit: exit %d\nstdout:\n%s", r.code, r.stdout)
			}

			// Delete B's last event (the block).
			var last, before string
			rows, err := raw.Query(`SELECT id FROM events WHERE program_id = `+ph(dsn, 1)+` ORDER BY seq DESC LIMIT 2`, credsB.ProgramID)
			if err != nil {
				t.Fatal(err)
			}
			rows.Next()
			rows.Scan(&last)
			rows.Next()
			rows.Scan(&before)
			rows.Close()
			if _, err := raw.Exec(`DELETE FROM events WHERE id = `+ph(dsn, 1), last); err != nil {
				t.Fatal(err)
			}
			r = runCLI(t, noKey, "audit", "verify", "--db", dsn)
			if r.code != 1 || !strings.Contains(r.stdout, "missing tail") || !strings.Contains(r.stdout, before) {
				t.Fatalf("audit verify after deleting the last event: exit %d, want 1 naming %s\nstdout:\n%s\nstderr:\n%s",
					r.code, before, r.stdout, r.stderr)
			}
		})
	}
}
