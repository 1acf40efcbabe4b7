// Command sqlitebaseline measures the raw write rate of SQLite as ingot opens
// it: one-row UPDATE transactions on a file opened through internal/store
// (the same DSN and pragmas: WAL, busy_timeout 10000, foreign_keys,
// synchronous FULL, _txlock=immediate), from several goroutines for a fixed
// time. `make bench` (internal/benchtools/suite) compares ingot's requests/s
// against it.
//
// Usage:
//
//	sqlitebaseline [--concurrency 8] [--duration 10s] [--queue=true] PATH
//
// With --queue (the default) the goroutines take a Go mutex around each
// transaction, as ingot's store does for SQLite writes; without it they
// contend through SQLite's busy handler. It prints one JSON object:
// {"sqlite_version","synchronous","journal_mode","queue","concurrency",
// "duration_s","elapsed_s","tx","errors","tps","latency_ms":{"p50","p99","max"}}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
)

type result struct {
	SQLiteVersion string  `json:"sqlite_version"`
	Synchronous   int     `json:"synchronous"`
	JournalMode   string  `json:"journal_mode"`
	Queue         bool    `json:"queue"`
	Concurrency   int     `json:"concurrency"`
	DurationS     float64 `json:"duration_s"`
	ElapsedS      float64 `json:"elapsed_s"`
	Tx            int     `json:"tx"`
	Errors        int     `json:"errors"`
	TPS           float64 `json:"tps"`
	Latency       struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
		Max float64 `json:"max"`
	} `json:"latency_ms"`
}

func main() {
	concurrency := flag.Int("concurrency", 8, "goroutines running transactions")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	queue := flag.Bool("queue", true, "serialize transactions with a Go mutex, as ingot's store does")
	flag.Parse()
	if flag.NArg() != 1 || *concurrency < 1 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "usage: sqlitebaseline [--concurrency N] [--duration D] [--queue=BOOL] PATH")
		os.Exit(2)
	}
	res, err := run(context.Background(), flag.Arg(0), *concurrency, *duration, *queue)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqlitebaseline:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

func run(ctx context.Context, path string, c int, d time.Duration, queue bool) (result, error) {
	res := result{Queue: queue, Concurrency: c, DurationS: d.Seconds()}
	// store.Open applies ingot's DSN and pragmas (and its migrations, which
	// leave the file shaped like a real ingot database).
	st, err := store.Open(ctx, path, store.Options{MaxOpenConns: c})
	if err != nil {
		return res, err
	}
	defer st.Close()
	db := st.DB()
	if err := db.QueryRowContext(ctx, `SELECT sqlite_version()`).Scan(&res.SQLiteVersion); err != nil {
		return res, err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&res.Synchronous); err != nil {
		return res, err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&res.JournalMode); err != nil {
		return res, err
	}
	for _, q := range []string{
		`DROP TABLE IF EXISTS baseline`,
		`CREATE TABLE baseline (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`,
		`INSERT INTO baseline (id, n) VALUES (1, 0)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return res, err
		}
	}

	var mu sync.Mutex
	lats := make([][]time.Duration, c)
	errs := make([]int, c)
	var firstErr error
	var once sync.Once
	t0 := time.Now()
	end := t0.Add(d)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			for time.Now().Before(end) {
				start := time.Now()
				if queue {
					mu.Lock()
				}
				err := updateOne(ctx, st)
				if queue {
					mu.Unlock()
				}
				if err != nil {
					errs[w]++
					once.Do(func() { firstErr = err })
					continue
				}
				lats[w] = append(lats[w], time.Since(start))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(t0)

	var all []time.Duration
	for w := range c {
		all = append(all, lats[w]...)
		res.Errors += errs[w]
	}
	if len(all) == 0 {
		return res, fmt.Errorf("no transaction committed: %w", firstErr)
	}
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "sqlitebaseline: first error:", firstErr)
	}
	slices.Sort(all)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	res.ElapsedS = elapsed.Seconds()
	res.Tx = len(all)
	res.TPS = float64(len(all)) / elapsed.Seconds()
	res.Latency.P50, res.Latency.P99, res.Latency.Max = ms(pct(0.50)), ms(pct(0.99)), ms(all[len(all)-1])
	return res, nil
}

// updateOne is one transaction: BEGIN IMMEDIATE (the DSN's _txlock), a
// one-row UPDATE, COMMIT.
func updateOne(ctx context.Context, st *store.Store) error {
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE baseline SET n = n + 1 WHERE id = 1`); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
