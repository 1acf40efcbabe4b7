package service

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// BenchmarkToggleWebhooks measures what webhooks cost a user toggle (block
// or unblock) below HTTP, on each engine: "off" without an endpoint, "emit"
// with an endpoint whose deliveries never start (the receiver holds every
// request, so the workers wait and only the events and their jobs are
// written), "deliver" with a receiver that answers at once. Compare ns/op:
//
//	go test -run '^$' -bench ToggleWebhooks -benchtime 3s -count 5 ./internal/service/
func BenchmarkToggleWebhooks(b *testing.B) {
	for _, eng := range testenv.Engines() {
		for _, mode := range []string{"off", "emit", "deliver"} {
			b.Run(eng.Name+"/"+mode, func(b *testing.B) {
				benchToggle(b, eng.DSN(b), mode)
			})
		}
	}
}

func benchToggle(b *testing.B, dsn, mode string) {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	sealer, _ := vault.New(bytes.Repeat([]byte{7}, 32))
	s := New(Config{Store: st, Sealer: sealer, Webhooks: WebhookConfig{AllowPrivate: true}})
	defer s.Close()
	creds, err := s.CreateProgram(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	c := Caller{ProgramID: banking.ProgramID(creds.ProgramID)}
	hold := make(chan struct{})
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		if mode == "emit" {
			<-hold
		}
	}))
	defer recv.Close()
	defer close(hold)
	if mode != "off" {
		if _, err := s.SetWebhook(ctx, c.ProgramID, recv.URL, nil); err != nil {
			b.Fatal(err)
		}
	}
	const users = 256
	ids := make([]string, users)
	for i := range ids {
		u, err := s.CreateUser(ctx, c, banking.NewUserInput{FirstName: "B", LastName: "U", Email: fmt.Sprintf("u%d@example.com", i),
			PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "San Francisco", State: "CA", PostalCode: "94105", Country: "US"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = string(u.ID)
	}
	var workers atomic.Int64
	b.SetParallelism(4) // 4 × GOMAXPROCS workers, as the API's concurrent requests
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		// Each worker toggles users of its own, so no toggle conflicts.
		w := int(workers.Add(1)) - 1
		var mine []string
		for i := w; i < users; i += 64 {
			mine = append(mine, ids[i])
		}
		blocked := make([]bool, len(mine))
		for n := 0; pb.Next(); n++ {
			k := n % len(mine)
			var err error
			if blocked[k] {
				_, err = s.UnblockUser(ctx, c, mine[k], "")
			} else {
				_, err = s.BlockUser(ctx, c, mine[k], "")
			}
			if err != nil {
				b.Error(err)
				return
			}
			blocked[k] = !blocked[k]
		}
	})
	b.StopTimer()
	// The process's CPU time per toggle: less sensitive than ns/op to
	// other processes on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(got.Load())/float64(b.N), "deliveries/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
