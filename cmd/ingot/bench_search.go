package main

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strings"
)

// The search ops of ingot bench (issue 18), one term shape each, built from
// the predictable users bench creates: search finds one pre-created user,
// search-common an eighth of all users, search-miss none.

// benchFirstNames are the first names bench's users take in turn, through
// the API and --bulk-db alike, so that each names an eighth of them.
var benchFirstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Radia"}

// benchFirstName is the first name of the i-th user a run creates.
func benchFirstName(i int) string { return benchFirstNames[i%len(benchFirstNames)] }

// commonTerm is in the search text of every user named Grace: an eighth of
// the users bench creates, more than the 10 % issue 18 calls common.
const commonTerm = "grace"

// searchBody is the user/get-all body of a search op.
func (b *bencher) searchBody(rng *mrand.Rand) []byte {
	var term string
	switch b.op {
	case "search":
		// The part of one user's email that no other user's contains.
		term = strings.TrimSuffix(seedEmail(b.run, rng.IntN(len(b.ids))), "example.com")
	case "search-common":
		term = commonTerm
	case "search-miss":
		// A name no user has, different on every request.
		term = fmt.Sprintf("nobody-%08x", rng.Uint32())
	default:
		panic("bench: not a search op: " + b.op)
	}
	body, _ := json.Marshal(map[string]string{"search": term})
	return body
}
