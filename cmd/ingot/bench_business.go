package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The business ops of ingot bench (issue 11): business-create creates a
// business owned by a random pre-created user; business-get reads one of the
// businesses created before the run, one per pre-created user.

// einPrefixes are prefixes the IRS assigns (the server refuses the others).
var einPrefixes = []string{"10", "12", "20", "27", "33", "45", "52", "61", "74", "81", "84", "86", "90", "93", "95", "98"}

// ein returns the run's n-th EIN. EINs are unique per program, so a run's
// EINs start with a prefix picked by its token and count, in the seven
// digits after, from a place its token picks too: two runs against one
// program (the suite runs business-get and topup, which both seed
// businesses counting down from that place) collide only when their tokens
// pick the same prefix and places within their counts of each other. The
// count skips the last four digits 0001 and 0002, which the sandbox's KYB
// rejects or leaves in review (businesses.md section 5, kyc.go): the topup
// op needs every business it seeds verified, and 1,000 consecutive EINs
// held one of them one run in five.
func (b *bencher) ein(n int64) string {
	v, _ := strconv.ParseUint(b.run[:8], 16, 32)
	const (
		lasts = 10_000 - 2    // last four digits allowed: 0000, 0003 to 9999
		count = 1_000 * lasts // EINs of one prefix
	)
	place := int64(v&0xffffff) % count
	k := ((place+n)%count + count) % count
	last := k % lasts
	if last > 0 {
		last += 2
	}
	return fmt.Sprintf("%s%03d%04d", einPrefixes[int(v>>24)%len(einPrefixes)], k/lasts, last)
}

func businessBody(userID, ein string) []byte {
	b, _ := json.Marshal(map[string]string{
		"user_id": userID, "business_name": "Bench Widgets " + ein, "ein": ein, "business_type": "LLC",
		"business_address": "1 Main St", "city": "San Francisco", "state": "CA", "zipcode": "94105",
		"country": "US", "email": "ops-" + ein + "@example.com", "phone_number": "+14155550123",
	})
	return b
}

// seedBusinesses creates one business for every pre-created user, with c
// workers, and returns their ids in the users' order. Its EINs count down
// from the top of the run's range, away from business-create's.
func (b *bencher) seedBusinesses(ctx context.Context, c int) ([]string, error) {
	ids := make([]string, len(b.ids))
	first := eachIndex(ctx, c, len(ids), func(i int) error {
		status, answer, err := b.post("business/create", businessBody(b.ids[i], b.ein(9_999_999-int64(i))), true)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("business/create answered %d: %s", status, strings.TrimSpace(string(answer)))
		}
		if err == nil {
			ids[i], err = firstID(answer)
		}
		return err
	})
	return ids, first
}

// eachIndex runs fn(i) for i from 0 to n-1 on up to workers goroutines,
// stopping at the first error (returned) or when ctx ends (ctx.Err()).
// The seeders of every bench op share it.
func eachIndex(ctx context.Context, workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}
