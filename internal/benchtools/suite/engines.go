package main

// Each engine's part of the run: its raw one-row-UPDATE baseline, then
// ingot on it.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// sqlite measures SQLite's raw write rate with sqlitebaseline, writers
// queued on a Go mutex (as ingot's store) and then contending in SQLite's
// busy handler, then ingot on a SQLite file.
func (s *suite) sqlite(ctx context.Context, res *Results) error {
	e := &EngineResults{Engine: "sqlite"}
	res.Engines = append(res.Engines, e)
	s.logf("SQLite: raw baseline (one-row UPDATE per transaction, ingot's pragmas)")
	for _, queue := range []bool{true, false} {
		db := "baseline.db"
		if !queue {
			db = "baseline-noqueue.db"
		}
		cmd := exec.CommandContext(ctx, s.cfg.BaselineBin, "--concurrency", strconv.Itoa(s.cfg.Concurrency),
			"--duration", s.cfg.Duration.String(), "--queue="+strconv.FormatBool(queue), filepath.Join(s.work, db))
		out, cpu, err := s.measure(ctx, cmd)
		if err != nil {
			return fmt.Errorf("sqlitebaseline: %v\n%s", err, tail(s.clientLog.Name()))
		}
		b := Baseline{SQLite: new(SQLiteBaseline), CPU: cpu}
		if err := json.Unmarshal(out, b.SQLite); err != nil {
			return fmt.Errorf("sqlitebaseline printed no result (%v):\n%s", err, out)
		}
		s.logf("  queue=%v: %.0f tx/s, p99 %.2f ms", queue, b.SQLite.TPS, b.SQLite.Latency.P99)
		e.Baselines = append(e.Baselines, b)
	}

	dsn := filepath.Join(s.work, "ingot.db")
	if _, err := s.startServer(ctx, "sqlite", dsn); err != nil {
		return err
	}
	if err := s.engineRuns(ctx, e, dsn); err != nil {
		return err
	}
	if err := s.webhookCostRuns(ctx, e, dsn); err != nil {
		return err
	}
	if s.cfg.Backlog > 0 {
		if err := s.backlog(ctx, e, dsn); err != nil {
			return err
		}
	}
	if s.cfg.BigUsers > 0 {
		if err := s.bigRuns(ctx, e, dsn); err != nil {
			return err
		}
	}
	s.stopServer()
	if s.cfg.ConsoleUsers > 0 {
		return s.consolePages(ctx, e, "")
	}
	return nil
}

// postgres starts a durable throwaway cluster, measures pgbench's one-row
// UPDATE rate on it, then ingot on a database of the same cluster.
func (s *suite) postgres(ctx context.Context, res *Results, tools pgTools) error {
	e := &EngineResults{Engine: "pg"}
	res.Engines = append(res.Engines, e)
	pg, err := startPG(ctx, tools)
	s.pg = pg
	if err != nil {
		return err
	}
	s.logf("PostgreSQL: durable throwaway cluster on 127.0.0.1:%d (%s)", pg.port, tools.bindir)
	m := &res.Meta
	if m.PGVersion, m.PGSettings, err = pg.setup(ctx); err != nil {
		return err
	}
	m.PGBenchVersion = output(ctx, "", tools.pgbench, "--version")

	s.logf("PostgreSQL: raw baseline (pgbench, one-row UPDATE per transaction)")
	script := filepath.Join(s.work, "update.sql")
	if err := os.WriteFile(script, []byte(pgbenchScript), 0o644); err != nil {
		return err
	}
	conn := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-U", "postgres"}
	init := exec.CommandContext(ctx, tools.pgbench, append(conn, "-i", "-s", "1", "-q", "pgbench")...)
	if out, err := init.CombinedOutput(); err != nil {
		return fmt.Errorf("pgbench -i: %v\n%s", err, out)
	}
	pb := PGBench{Clients: s.cfg.Concurrency, Threads: min(2, s.cfg.Concurrency)}
	secs := strconv.Itoa(max(1, int(s.cfg.Duration.Seconds())))
	run := []string{"-n", "-f", "update.sql", "-c", strconv.Itoa(pb.Clients), "-j", strconv.Itoa(pb.Threads), "-T", secs, "pgbench"}
	m.PGBenchCmd = "pgbench " + strings.Join(append([]string{"-h", "127.0.0.1", "-p", "PORT", "-U", "postgres"}, run...), " ")
	cmd := exec.CommandContext(ctx, tools.pgbench, append(conn, run...)...)
	cmd.Dir = s.work
	var report strings.Builder
	cmd.Stdout, cmd.Stderr = &report, &report
	_, cpu, err := s.measure(ctx, cmd)
	if err != nil {
		return fmt.Errorf("pgbench: %v\n%s", err, report.String())
	}
	got, err := parsePGBench(report.String())
	if err != nil {
		return err
	}
	pb.TPS, pb.LatencyMS, pb.Failed = got.TPS, got.LatencyMS, got.Failed
	e.Baselines = append(e.Baselines, Baseline{PGBench: &pb, CPU: cpu})
	s.logf("  %.0f tx/s, average latency %.2f ms, %d failed", pb.TPS, pb.LatencyMS, pb.Failed)

	dsn := pg.url("ingot")
	if err := s.createProgram(ctx, dsn); err != nil {
		return err
	}
	if _, err := s.startServer(ctx, "pg", dsn); err != nil {
		return err
	}
	if err := s.engineRuns(ctx, e, dsn); err != nil {
		return err
	}
	if err := s.webhookCostRuns(ctx, e, dsn); err != nil {
		return err
	}
	if s.cfg.Backlog > 0 {
		if err := s.backlog(ctx, e, dsn); err != nil {
			return err
		}
	}
	if s.cfg.BigUsers > 0 && s.cfg.PGBig {
		if err := s.bigRuns(ctx, e, dsn); err != nil {
			return err
		}
	}
	s.stopServer()
	// What PostgreSQL logged as errors during ingot's runs (deadlocks,
	// serialization failures).
	if e.PGErrors, err = pg.loggedErrors(); err != nil {
		return err
	}
	if s.cfg.ConsoleUsers > 0 {
		if err := s.consolePages(ctx, e, pg.url("postgres")); err != nil {
			return err
		}
	}
	if s.cfg.Keep != "" {
		if b, err := os.ReadFile(pg.logPath()); err == nil {
			os.WriteFile(filepath.Join(s.work, "postgres.log"), b, 0o644)
		}
	}
	pg.stop()
	return nil
}

// createProgram makes the program ingot bench signs as, with `ingot program
// create --json`, and keeps its credentials.
func (s *suite) createProgram(ctx context.Context, dsn string) error {
	cmd := exec.CommandContext(ctx, s.cfg.IngotBin, "program", "create", "--name", "bench", "--db", dsn, "--json")
	cmd.Stderr = s.clientLog
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("ingot program create: %v\n%s", err, tail(s.clientLog.Name()))
	}
	var c struct {
		APIKey       string `json:"api_key"`
		HMACUsername string `json:"hmac_username"`
		HMACSecret   string `json:"hmac_secret"`
	}
	if err := json.Unmarshal(out, &c); err != nil || c.APIKey == "" {
		return fmt.Errorf("ingot program create printed no credentials (%v): %s", err, out)
	}
	s.creds = []string{"INGOT_API_KEY=" + c.APIKey, "INGOT_HMAC_USERNAME=" + c.HMACUsername, "INGOT_HMAC_SECRET=" + c.HMACSecret}
	return nil
}
