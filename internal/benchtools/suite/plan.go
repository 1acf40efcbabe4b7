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
	// minShareOfOp: closed-loop requests/s ≥ Limit × Of's requests/s in the
	// same run (a new domain's op against the user op it mirrors).
	minShareOfOp
	// maxBigP99: closed-loop p99 latency ≤ Limit ms with the big user count.
	maxBigP99
	// minBigRPS: closed-loop requests/s ≥ Limit with the big user count.
	minBigRPS
	// minRPS: closed-loop requests/s ≥ Limit (for op webhooks, the events
	// delivered per second).
	minRPS
	// maxWebhookCost: emitting webhooks costs the op at most Limit of its
	// requests/s (webhookcost.go; the rows come from webhookCosts).
	maxWebhookCost
	// maxBacklogSettle: the backlog step's pending top-ups all settled
	// within Limit s of the restarted server's exec (backlog.go).
	maxBacklogSettle
	// maxBacklogRSS: the restarted server's peak VmHWM ≤ Limit MB by the
	// time the backlog is settled.
	maxBacklogRSS
)

// target is one goal, reported met or MISSED per engine; no test asserts it.
type target struct {
	Kind  targetKind
	Limit float64
	// Of is the op a minShareOfOp target compares with.
	Of string
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

// transferWork is what a book transfer does in the database.
const transferWork = "a Work that claims its idempotent_key (one INSERT), reads and locks both accounts with their " +
	"holders, writes the transaction, its two entries, both balances, the stored answer and a settlement job (on SQLite " +
	"inserted already claimed and handed to the committing process; on PostgreSQL claimed by the job runner in " +
	"batches), then a second Work that posts the entries and deletes the job; each of these shares a group commit with " +
	"other requests' steps, and both Works write an audit event, which locks the program's audit-chain head until the commit"

// ops are run in this order on each engine, closed loop first, then the
// half-rate runs in the same order.
var ops = []opSpec{
	{Op: "create"},
	{Op: "get", HalfRate: true, Big: true, Targets: []target{
		{Kind: maxP99AtHalf, Limit: 10},
		{Kind: maxP99AtHalf, Limit: 2, Engines: []string{"sqlite"}},
	}},
	// Issue 18: searches and the first page at 1,000,000 users.
	{Op: "list", Big: true, Targets: []target{{Kind: maxBigP99, Limit: 20}}},
	{Op: "search", Big: true, Work: searchWork, Targets: []target{
		{Kind: maxBigP99, Limit: 50},
		{Kind: minBigRPS, Limit: 1000},
	}},
	{Op: "toggle", HalfRate: true, Work: groupCommitWork,
		LockNote: "A status change adds to two user_counts rows, each in a random slot, so two toggles can lock the " +
			"same two rows in opposite orders",
		Targets: []target{
			{Kind: minShareOfRaw, Limit: 0.5},
			{Kind: maxP99AtHalf, Limit: 10},
		}},
	// Issue 11: each business op within 25 % of the user op it mirrors.
	{Op: "business-create", Work: "a group-commit insert of the business, after reading its owning user",
		Targets: []target{{Kind: minShareOfOp, Limit: 0.75, Of: "create"}}},
	{Op: "business-get", Targets: []target{{Kind: minShareOfOp, Limit: 0.75, Of: "get"}}},
	{Op: "transfer", HalfRate: true, Work: transferWork, Targets: []target{
		{Kind: minShareOfRaw, Limit: 0.4, Engines: []string{"sqlite"}},
		{Kind: minShareOfRaw, Limit: 0.25, Engines: []string{"pg"}},
		{Kind: maxP99AtHalf, Limit: 20},
	}},
	{Op: "transfer-hot", Work: transferWork + ", every one of them locking the same source balance", Targets: []target{
		{Kind: minShareOfOp, Limit: 0.5, Of: "transfer"},
	}},
	// Issue 13: a top-up (created, then settled at once by the sandbox
	// rail in the background) within 50 % of a book transfer.
	{Op: "topup", Work: topupWork, Targets: []target{{Kind: minShareOfOp, Limit: 0.5, Of: "transfer"}}},
	{Op: "search-common", Big: true, Work: "a walk of the program's users in list order, checking the term on each " +
		"(it skips counting when the table's sample shows the term in far more users than the 10,000 it would count)",
		Targets: []target{{Kind: maxBigP99, Limit: 100}}},
	{Op: "search-miss", Big: true, Work: searchWork, Targets: []target{
		{Kind: maxBigP99, Limit: 50},
		{Kind: minBigRPS, Limit: 1000},
	}},
	// Webhook delivery throughput to a receiver on loopback that answers
	// at once (issue 14): ingot bench holds the deliveries while it toggles
	// users, then measures how fast the backlog drains.
	{Op: "webhooks", Targets: []target{{Kind: minRPS, Limit: 2000}}},
}

// topupWork is what a top-up does in the database.
const topupWork = "a read of the linked account, then a Work that claims its idempotent_key (one INSERT), reads and locks " +
	"the program's clearing account and the business's account with its holders, writes the transaction, its two " +
	"entries, both balances, its payment intent, the stored answer and the sandbox rail's job, then the job's claim " +
	"and a second Work that posts the entries, updates the intent and deletes the job; both Works write an audit event"

// searchWork is what a search for a rare term does in the database.
const searchWork = "one statement: the search index asked for the term's rarest five characters, each candidate " +
	"checked, the matches counted and sorted, and the page's rows read"

// suiteTargets are the goals of the big runs, after the ops' targets.
var suiteTargets = []target{
	{Kind: maxBigPeakRSS, Limit: 150},
	{Kind: maxBigStartup, Limit: 1000},
	// Issue 13: settling 100,000 pending movements after a restart.
	{Kind: maxBacklogSettle, Limit: 60},
	{Kind: maxBacklogRSS, Limit: 150},
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
