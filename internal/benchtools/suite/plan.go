package main

// What the suite runs and what it holds the results to, as data: adding an
// operation (once `ingot bench --op` knows it) is one row of ops, with the
// targets that apply to it.

// opSpec is one `ingot bench --op` the suite runs on every engine.
type opSpec struct {
	// Op is the name `ingot bench --op` takes.
	Op string
	// HalfRate also runs the op open loop at half its closed-loop requests/s,
	// where latency is measured from each request's intended start.
	HalfRate bool
	// Big also runs the op after seeding the big user count (--big-users).
	Big bool
	// Work says what one request does in the database, for the explanation
	// of a missed throughput target ("each toggle runs ...").
	Work string
	// LockNote says how two of these requests can deadlock on PostgreSQL,
	// told when the server logged deadlocks; empty when they cannot.
	LockNote string
	// Targets are the op's goals; each is one row of the targets table.
	Targets []target
}

// targetKind is what a target compares.
type targetKind int

const (
	// minShareOfRaw: closed-loop requests/s ≥ Limit × the engine's raw
	// one-row-UPDATE tx/s (Limit a fraction, 0.5 for 50%).
	minShareOfRaw targetKind = iota
	// maxP99AtHalf: p99 latency ≤ Limit ms in the half-rate run.
	maxP99AtHalf
	// maxBigPeakRSS: the server's peak VmHWM ≤ Limit MB over the big runs.
	maxBigPeakRSS
	// maxBigStartup: start-up to the first /healthz 200 ≤ Limit ms with the
	// big user count.
	maxBigStartup
	// minRPS: closed-loop requests/s ≥ Limit (for op webhooks, the events
	// delivered per second).
	minRPS
)

// target is one goal, reported met or MISSED per engine; no test asserts it.
type target struct {
	Kind  targetKind
	Limit float64
	// Engines limits the target to these engines ("sqlite", "pg"); nil: all.
	Engines []string
}

// applies says whether t holds for engine e.
func (t target) applies(e string) bool {
	if t.Engines == nil {
		return true
	}
	for _, x := range t.Engines {
		if x == e {
			return true
		}
	}
	return false
}

// groupCommitWork is what a user mutation does inside ingot's group commit.
const groupCommitWork = "two statements of its own (read and lock the user, update the columns that changed) inside a group " +
	"commit: concurrent mutations share one transaction, which then locks the program's audit-chain head, " +
	"inserts the group's events, updates the head, upserts the user counts and commits once"

// ops are run in this order on each engine, closed loop first, then the
// half-rate runs in the same order.
var ops = []opSpec{
	{Op: "create"},
	{Op: "get", HalfRate: true, Big: true, Targets: []target{
		{Kind: maxP99AtHalf, Limit: 10},
		{Kind: maxP99AtHalf, Limit: 2, Engines: []string{"sqlite"}},
	}},
	{Op: "list", Big: true},
	{Op: "search", Big: true},
	{Op: "toggle", HalfRate: true, Work: groupCommitWork,
		LockNote: "A status change adds to two user_counts rows, each in a random slot, so two toggles can lock the " +
			"same two rows in opposite orders",
		Targets: []target{
			{Kind: minShareOfRaw, Limit: 0.5},
			{Kind: maxP99AtHalf, Limit: 10},
		}},
	// Webhook delivery throughput to a receiver on loopback that answers
	// at once (issue 14): ingot bench holds the deliveries while it toggles
	// users, then measures how fast the backlog drains.
	{Op: "webhooks", Targets: []target{{Kind: minRPS, Limit: 2000}}},
}

// suiteTargets are the goals of the big runs, after the ops' targets.
var suiteTargets = []target{
	{Kind: maxBigPeakRSS, Limit: 150},
	{Kind: maxBigStartup, Limit: 1000},
}

// engineNames are the engines the suite knows, in run order, with the name
// the report gives them.
var engineNames = []struct{ Key, Name string }{
	{"sqlite", "SQLite"},
	{"pg", "PostgreSQL"},
}

// engineName is e's name in the report.
func engineName(e string) string {
	for _, n := range engineNames {
		if n.Key == e {
			return n.Name
		}
	}
	return e
}

// opByName finds an op of the table; ok is false for an op not in it.
func opByName(name string) (opSpec, bool) {
	for _, o := range ops {
		if o.Op == name {
			return o, true
		}
	}
	return opSpec{}, false
}
