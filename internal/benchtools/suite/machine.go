package main

// Linux's accounts of CPU and memory, from /proc: the machine's busy time,
// a process's own CPU time, its memory. Every figure of a measurement that
// says how busy the machine was comes from here.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the tick counts in /proc/stat and /proc/PID/stat
// (USER_HZ, 100 on every Linux architecture Go supports).
const userHZ = 100

// machineTicks is the machine's CPU time summed over all CPUs, in ticks.
type machineTicks struct{ total, idle, iowait int64 }

// readMachineTicks reads the "cpu " line of /proc/stat.
func readMachineTicks() (machineTicks, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTicks{}, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return machineTicks{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var t machineTicks
	// user nice system idle iowait irq softirq steal; guest time is already
	// counted in user and nice.
	for i, s := range f[1:min(len(f), 9)] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return machineTicks{}, fmt.Errorf("/proc/stat: %w", err)
		}
		t.total += v
		switch i {
		case 3:
			t.idle = v
		case 4:
			t.iowait = v
		}
	}
	return t, nil
}

// busyPct is how busy the machine was between a and b, in % of all CPUs.
func busyPct(a, b machineTicks) float64 {
	dt := b.total - a.total
	if dt <= 0 {
		return 0
	}
	return 100 * float64(dt-(b.idle-a.idle)-(b.iowait-a.iowait)) / float64(dt)
}

// procStat is what the suite reads from /proc/PID/stat.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64 // ticks; c*: reaped children
}

// readProcStat parses /proc/PID/stat; the command name may hold spaces and
// parentheses, so the fields are counted from the last ')'.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state) of proc(5): field n is f[n-3].
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	num := func(n int) int64 { v, _ := strconv.ParseInt(f[n-3], 10, 64); return v }
	return procStat{ppid: int(num(4)), utime: num(14), stime: num(15), cutime: num(16), cstime: num(17)}, nil
}

// procTicks is pid's own CPU time in ticks; 0 when pid is 0 or gone.
func procTicks(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	s, err := readProcStat(pid)
	if err != nil {
		return 0
	}
	return s.utime + s.stime
}

// treeTicks is the CPU time of pid, of its children it reaped, and of its
// live children: a PostgreSQL postmaster and its backends.
func treeTicks(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	s, err := readProcStat(pid)
	if err != nil {
		return 0
	}
	sum := s.utime + s.stime + s.cutime + s.cstime
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cs, err := readProcStat(c); err == nil && cs.ppid == pid {
			sum += cs.utime + cs.stime
		}
	}
	return sum
}

// readMem reads VmHWM and VmRSS of pid.
func readMem(pid int) (Mem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Mem{}, err
	}
	defer f.Close()
	var m Mem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return Mem{}, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		if k == "VmHWM" {
			m.HWMKB = n
		} else {
			m.RSSKB = n
		}
	}
	if err := sc.Err(); err != nil {
		return Mem{}, err
	}
	if m.HWMKB == 0 && m.RSSKB == 0 {
		return Mem{}, fmt.Errorf("/proc/%d/status: no VmHWM or VmRSS", pid)
	}
	return m, nil
}

// quiet keeps another job's load out of the figures: before a measurement
// it waits, within a budget for the whole run, for the machine to be less
// than quietBusyPct busy over one second.
type quiet struct {
	on     bool          // false: never sample (tests)
	budget time.Duration // what is left of the waiting allowed in all
	logf   func(format string, args ...any)
}

const (
	quietBusyPct  = 25
	quietMaxWait  = 30 * time.Second // for one measurement
	quietInterval = 3 * time.Second  // one sample (1 s) and a pause (2 s)
)

// wait returns how busy the machine was in the last second sampled, or -1
// when it does not sample.
func (q *quiet) wait(ctx context.Context) int {
	if q == nil || !q.on {
		return -1
	}
	var waited time.Duration
	for {
		a, err := readMachineTicks()
		if err != nil {
			return -1
		}
		if !sleep(ctx, time.Second) {
			return -1
		}
		b, err := readMachineTicks()
		if err != nil {
			return -1
		}
		busy := int(busyPct(a, b))
		if busy < quietBusyPct || q.budget <= 0 || waited >= quietMaxWait {
			return busy
		}
		q.logf("machine %d%% busy before the run (another job?); waiting", busy)
		if !sleep(ctx, quietInterval-time.Second) {
			return busy
		}
		waited += quietInterval
		q.budget -= quietInterval
	}
}

// sleep waits d, or returns false when ctx is done first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// loadAvg is the 1, 5 and 15 minute load averages, "1.99 1.79 2.11".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// memTotal is MemTotal as free -m shows it, "24105 MiB total".
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return fmt.Sprintf("%d MiB total", kb/1024)
			}
		}
	}
	return "unknown"
}
