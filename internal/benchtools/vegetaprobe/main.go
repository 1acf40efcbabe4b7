// Command vegetaprobe measures whether github.com/tsenart/vegeta/v12 could
// replace the pacing and latency statistics of `ingot bench`: it starts
// `ingot serve --sandbox` on a temporary SQLite file, then alternates, for
// --rounds rounds, the current generator (`ingot bench --op get --json`)
// and vegeta driving the same signed user/get load (a targeter that signs
// each request with a fresh X-Date), closed loop with the same number of
// workers, and prints requests/s and the load generator's CPU per request.
//
// It is its own module so that vegeta stays out of ingot's go.mod; the
// outcome is recorded in docs/decisions.md ("Benchmarks").
//
// Usage, from this directory:
//
//	go build -o /tmp/ingot ../../../cmd/ingot
//	go run . --ingot /tmp/ingot [--rounds 3] [--users 1000] [--concurrency 8] [--duration 10s]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ingot-dev/ingot/signature"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func main() {
	ingot := flag.String("ingot", "", "a built ingot binary (required)")
	rounds := flag.Int("rounds", 3, "rounds of each generator, alternating")
	users := flag.Int("users", 1000, "users each run creates first")
	conc := flag.Int("concurrency", 8, "workers of each generator")
	dur := flag.Duration("duration", 10*time.Second, "length of each run")
	flag.Parse()
	if *ingot == "" {
		fmt.Fprintln(os.Stderr, "usage: vegetaprobe --ingot PATH [--rounds N] [--users N] [--concurrency N] [--duration D]")
		os.Exit(2)
	}
	if err := probe(*ingot, *rounds, *users, *conc, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "vegetaprobe:", err)
		os.Exit(1)
	}
}

// result is one run: requests/s, and the generator's CPU (user+system) per
// request, seeding included.
type result struct {
	rps, cpuMS, p50, p99 float64
}

func probe(ingot string, rounds, users, conc int, dur time.Duration) error {
	dir, err := os.MkdirTemp("", "vegetaprobe.")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env, stop, err := serve(ingot, dir)
	if err != nil {
		return err
	}
	defer stop()

	runs := map[string][]result{}
	names := []string{"ingot bench", "vegeta, Metrics", "vegeta, no body, no Metrics"}
	for i := range rounds {
		r, err := ingotBench(ingot, env, users, conc, dur)
		if err != nil {
			return err
		}
		runs[names[0]] = append(runs[names[0]], r)
		for j, lite := range []bool{false, true} {
			r, err := vegetaRun(env, users, conc, dur, lite)
			if err != nil {
				return err
			}
			runs[names[1+j]] = append(runs[names[1+j]], r)
		}
		fmt.Printf("round %d: ingot bench %.0f/s, vegeta %.0f/s, vegeta lite %.0f/s\n", i+1,
			runs[names[0]][i].rps, runs[names[1]][i].rps, runs[names[2]][i].rps)
	}
	fmt.Printf("\n%-28s %-24s %10s %16s %8s %8s\n", "generator", "requests/s (each round)", "median", "CPU ms/request", "p50 ms", "p99 ms")
	for _, n := range names {
		var each []string
		var rps, cpu, p50, p99 []float64
		for _, r := range runs[n] {
			each = append(each, fmt.Sprintf("%.0f", r.rps))
			rps, cpu, p50, p99 = append(rps, r.rps), append(cpu, r.cpuMS), append(p50, r.p50), append(p99, r.p99)
		}
		fmt.Printf("%-28s %-24s %10.0f %16.3f %8.2f %8.2f\n", n, strings.Join(each, ", "), median(rps), median(cpu), median(p50), median(p99))
	}
	return nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// serve starts ingot serve --sandbox and returns the INGOT_* environment
// that signs requests for its sandbox program.
func serve(ingot, dir string) ([]string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := l.Addr().String()
	l.Close()
	out, err := os.Create(filepath.Join(dir, "serve.out"))
	if err != nil {
		return nil, nil, err
	}
	defer out.Close()
	cmd := exec.Command(ingot, "serve", "--sandbox", "--addr", addr, "--db", filepath.Join(dir, "ingot.db"))
	cmd.Stdout = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > time.Minute {
			stop()
			return nil, nil, errors.New("ingot serve not healthy after a minute")
		}
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		stop()
		return nil, nil, err
	}
	env := []string{"INGOT_URL=http://" + addr}
	for _, m := range regexp.MustCompile(`(?m)^export (INGOT_(?:API_KEY|HMAC_USERNAME|HMAC_SECRET))=(\S+)$`).FindAllStringSubmatch(string(b), -1) {
		env = append(env, m[1]+"="+m[2])
	}
	if len(env) != 4 {
		stop()
		return nil, nil, fmt.Errorf("ingot serve printed no credentials:\n%s", b)
	}
	return env, stop, nil
}

func lookup(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// ingotBench runs the current generator.
func ingotBench(ingot string, env []string, users, conc int, dur time.Duration) (result, error) {
	cmd := exec.Command(ingot, "bench", "--json", "--op", "get", "--users", fmt.Sprint(users),
		"--concurrency", fmt.Sprint(conc), "--duration", dur.String())
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("ingot bench: %w", err)
	}
	var r struct {
		RPS       float64 `json:"rps"`
		Requests  int     `json:"requests"`
		LatencyMS struct {
			P50 float64 `json:"p50"`
			P99 float64 `json:"p99"`
		} `json:"latency_ms"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, err
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return result{rps: r.RPS, cpuMS: ms(cpu) / float64(r.Requests), p50: r.LatencyMS.P50, p99: r.LatencyMS.P99}, nil
}

// vegetaRun seeds users through the API as ingot bench does, then attacks
// user/get with vegeta at its maximum rate with conc workers. Lite skips
// reading the answers and vegeta's Metrics (its t-digest), the cheapest way
// to use vegeta.
func vegetaRun(env []string, users, conc int, dur time.Duration, lite bool) (result, error) {
	base := lookup(env, "INGOT_URL") + "/api/v4/"
	apiKey, username, secret := lookup(env, "INGOT_API_KEY"), lookup(env, "INGOT_HMAC_USERNAME"), []byte(lookup(env, "INGOT_HMAC_SECRET"))
	sign := func(path string, body []byte) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, base+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("api_key", apiKey)
		_, err = signature.SignRequest(req, body, username, secret, time.Now())
		return req, err
	}
	cpu0 := selfCPU()

	ids := make([]string, users)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	run := fmt.Sprint(time.Now().UnixNano())
	for range conc {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < users; i = int(next.Add(1) - 1) {
				id, err := create(sign, fmt.Sprintf("vegeta-%s-%07d@example.com", run, i))
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				ids[i] = id
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return result{}, firstErr
	}

	targeter := func(t *vegeta.Target) error {
		body := []byte(`{"user_id":"` + ids[rand.IntN(len(ids))] + `"}`)
		req, err := sign("user/get", body)
		if err != nil {
			return err
		}
		t.Method, t.URL, t.Body, t.Header = http.MethodPost, base+"user/get", body, req.Header
		return nil
	}
	opts := []func(*vegeta.Attacker){vegeta.Workers(uint64(conc)), vegeta.MaxWorkers(uint64(conc)),
		vegeta.Connections(conc + 1), vegeta.KeepAlive(true), vegeta.Timeout(10 * time.Second)}
	if lite {
		opts = append(opts, vegeta.MaxBody(0))
	}
	atk := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	var n int
	t0 := time.Now()
	for r := range atk.Attack(targeter, vegeta.Rate{}, dur, "get") { // zero rate: as fast as the workers go
		n++
		if !lite {
			m.Add(r)
		}
		if r.Code != http.StatusOK {
			return result{}, fmt.Errorf("vegeta: %d %s", r.Code, r.Error)
		}
	}
	elapsed := time.Since(t0)
	m.Close()
	return result{rps: float64(n) / elapsed.Seconds(), cpuMS: ms(selfCPU()-cpu0) / float64(n),
		p50: ms(m.Latencies.P50), p99: ms(m.Latencies.P99)}, nil
}

func create(sign func(string, []byte) (*http.Request, error), email string) (string, error) {
	body, _ := json.Marshal(map[string]string{"first_name": "Bench", "last_name": "User", "email": email,
		"phone_number": "+14155550123", "address_one": "1 Main St", "city": "San Francisco", "state": "CA",
		"postal_code": "94105", "country": "US", "date_of_birth": "1990-01-02", "ssn": "123-45-6789"})
	req, err := sign("user/create", body)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var env struct {
		Data struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || len(env.Data.Items) != 1 {
		return "", fmt.Errorf("user/create answered %d (%v)", resp.StatusCode, err)
	}
	return env.Data.Items[0].ID, nil
}

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
