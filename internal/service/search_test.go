package service

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// TestServiceMergesSearchQueues: a running Service merges the entries
// PostgreSQL's trigram indexes queue (store.MergeSearchQueues) within about
// mergeSearchQueuesEvery, so searches do not read them one by one.
func TestServiceMergesSearchQueues(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testenv.PostgresURL(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := vault.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Store: st, Sealer: sealer})
	t.Cleanup(svc.Close)
	c, err := svc.CreateProgram(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	caller := Caller{ProgramID: banking.ProgramID(c.ProgramID)}
	for i := range 20 {
		if _, err := svc.CreateUser(ctx, caller, banking.NewUserInput{FirstName: "Ada", LastName: fmt.Sprintf("Quill%02d", i),
			Email: fmt.Sprintf("q%02d@example.org", i), PhoneNumber: "+14155550123", AddressOne: "1 Main St",
			City: "SF", State: "CA", Country: "US", PostalCode: "94105"}); err != nil {
			t.Fatal(err)
		}
	}
	// Watched through pgstattuple, since merging to look would merge.
	if _, err := st.DB().ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pgstattuple`); err != nil {
		t.Skipf("pgstattuple (postgresql-contrib) is needed to watch the queue: %v", err)
	}
	pending := func() int64 {
		t.Helper()
		var n int64
		if err := st.DB().QueryRowContext(ctx, `SELECT pending_pages FROM pgstatginindex('users_search_trgm')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(20 * mergeSearchQueuesEvery)
	for pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(mergeSearchQueuesEvery / 10)
	}
	if n := pending(); n > 0 {
		t.Errorf("%d pages still queued after %v: the service merged nothing", n, 20*mergeSearchQueuesEvery)
	}
}
