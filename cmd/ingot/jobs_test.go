package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestJobsSurviveSIGKILL: KYC checks are durable jobs. Checks submitted to a
// server that is then killed with SIGKILL before they are due are decided
// after a restart, each exactly once, with two servers on one database
// (PostgreSQL) or one (SQLite) claiming them. Nothing scans users at start:
// the restart only brings the waiting jobs forward to its own, shorter
// --kyc-delay.
func TestJobsSurviveSIGKILL(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			creds := createProgram(t, env, "jobs", "--db", dsn)
			// A delay long enough that no check is due before the kill; the
			// restarted servers' shorter delay brings the waiting checks forward.
			srv := startServe(t, env, false, "--sandbox", "--kyc-delay", "1h", "--db", dsn)
			c := newClient(t, srv, creds)
			const n = 12
			want := map[string]string{} // user id → the decision its SSN asks for
			for i := range n {
				ssn, decision := "123456789", "verified"
				if i%3 == 0 {
					ssn, decision = "123450001", "rejected"
				}
				id := c.call("user/create", newUserBody(fmt.Sprintf("j%d@example.com", i), ssn)).ok(t).user(t)["id"].(string)
				want[id] = decision
				c.call("user/send-verification-request", map[string]any{"user_id": id}).ok(t)
			}
			if err := srv.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-srv.done

			servers := []*server{startServe(t, env, false, "--sandbox", "--kyc-delay", "1s", "--db", dsn)}
			if eng.Name == "postgres" {
				servers = append(servers, startServe(t, env, false, "--sandbox", "--kyc-delay", "1s", "--db", dsn))
			}
			c2 := newClient(t, servers[0], creds)
			deadline := time.Now().Add(30 * time.Second)
			for id, decision := range want {
				for {
					u := c2.call("user/get", map[string]any{"user_id": id}).ok(t).user(t)
					if u["kyc_status"] == decision {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("user %s: kyc_status %v 30 s after the restart, want %s", id, u["kyc_status"], decision)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			st, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var decisions, jobs int
			if err := st.DB().QueryRow(`SELECT count(*) FROM events WHERE type IN ('user.kyc.verified', 'user.kyc.rejected')`).Scan(&decisions); err != nil {
				t.Fatal(err)
			}
			if decisions != n {
				t.Errorf("%d KYC decision events for %d checks, want exactly one each", decisions, n)
			}
			// The job of a decided check is gone with its decision.
			if err := st.DB().QueryRow(`SELECT count(*) FROM jobs`).Scan(&jobs); err != nil {
				t.Fatal(err)
			}
			if jobs != 0 {
				t.Errorf("%d jobs left after every check was decided, want 0", jobs)
			}
			if r := runCLI(t, env, "audit", "verify", "--db", dsn); r.code != 0 {
				t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			c2.call("user/get", map[string]any{"user_id": "user-nope"}).fails(t, http.StatusNotFound, "not_found", "")
		})
	}
}
