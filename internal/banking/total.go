package banking

// ExactTotalUpTo is how many matches a list counts one by one (issue 18).
// Counting every match of a common search term ("gmail", a frequent first
// name) meant reading every one of them: at 1,000,000 users that alone took
// longer than the page. Past this many, counting stops and the total is a
// lower bound (Total.Estimate); docs/decisions.md explains the choice.
const ExactTotalUpTo = 10_000

// Total is how many items match a list's filters, not just the page.
type Total struct {
	// N is the count. When Estimate is set it is a lower bound: the larger
	// of ExactTotalUpTo and the items up to the end of the page answered.
	N int
	// Estimate reports that more than ExactTotalUpTo items match, so N was
	// not counted exactly. Lists whose totals come from maintained counters
	// (users without a search) are always exact, however large.
	Estimate bool
}

// ExactTotal is a total counted exactly.
func ExactTotal(n int) Total { return Total{N: n} }
