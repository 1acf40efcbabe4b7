package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"strings"
)

// The search ops of ingot bench (issue 18), one term shape each, built from
// the predictable users bench creates: search finds one pre-created user by
// its last name,
// search-common an eighth of all users, search-miss none.

// benchFirstNames are the first names bench's users take in turn, through
// the API and --bulk-db alike, so that each names an eighth of them.
var benchFirstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Radia"}

// benchFirstName is the first name of the i-th user a run creates.
func benchFirstName(i int) string { return benchFirstNames[i%len(benchFirstNames)] }

// benchLastName is the last name of the i-th user of run: five syllables,
// one of 10^10 names, different for every i of a run and scattered (i
// times an odd multiplier not divisible by 5, plus the run's offset, modulo
// 10^10, is one-to-one), so that neighbours share no prefix. A run of 1,000
// users shares a name with one of 1,000,000 with a chance of one in ten.
func benchLastName(run string, i int) string {
	const consonants, vowels = "bcdfghjklmnprstvwxyz", "aeiou"
	h := fnv.New64a()
	h.Write([]byte(run))
	x := (uint64(i)*7_919_813 + h.Sum64()) % 10_000_000_000
	name := make([]byte, 0, 10)
	for range 5 {
		syl := x % 100
		x /= 100
		name = append(name, consonants[syl/5], vowels[syl%5])
	}
	name[0] -= 'a' - 'A'
	return string(name)
}

// commonTerm is in the search text of every user named Grace: an eighth of
// the users bench creates, more than the 10 % issue 18 calls common.
const commonTerm = "grace"

// searchBody is the user/get-all body of a search op.
func (b *bencher) searchBody(rng *mrand.Rand) []byte {
	var term string
	switch b.op {
	case "search":
		// One user's surname, as an operator looking someone up types it.
		term = strings.ToLower(benchLastName(b.run, rng.IntN(len(b.ids))))
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
