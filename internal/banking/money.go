package banking

import (
	"strconv"
	"strings"
)

// Money on the wire (money.md section 1): an amount is a JSON string with
// exactly two decimals, greater than zero, at most MaxAmount; inside ingot it
// is an int64 number of cents, and no floating point touches it anywhere.
// ParseAmount is the one parser every call uses.

// MaxAmount is the largest amount of one movement, in cents: "10000000.00"
// [ours].
const MaxAmount int64 = 10_000_000_00

// maxAmountDigits is how many digits the whole part of MaxAmount has; a
// longer whole part is over the limit without being converted (so a
// 40-digit string cannot overflow).
const maxAmountDigits = 8

// Currency is the one currency of the platform, as answers spell it.
const Currency = "usd"

// AmountForm is what a malformed amount is told, all of the form at once
// (a newcomer told only "two decimals" for "-5.00" or 1000 had to guess
// again), also by the JSON decoder when an amount is sent as a number.
const AmountForm = `must be a string of digits with exactly two decimals, without sign, spaces or leading zeros, such as "100.00"`

// ParseAmount reads the amount sent as field and returns it in cents. The
// only accepted form is digits, a dot and two digits, without sign, spaces,
// exponent, thousands separators or leading zeros ("0.50" is fine, "007.00"
// is not); anything else, zero, and anything above MaxAmount are 400 naming
// field.
func ParseAmount(field, s string) (int64, error) {
	cents, msg := parseCents(s)
	if msg != "" {
		return 0, Invalid(field, msg)
	}
	return cents, nil
}

// parseCents is ParseAmount's rule; msg is "" when s is valid.
func parseCents(s string) (int64, string) {
	if s == "" {
		return 0, "is required"
	}
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || !allDigits(frac) || !allDigits(whole) ||
		(len(whole) > 1 && whole[0] == '0') {
		return 0, AmountForm
	}
	if len(whole) > maxAmountDigits {
		return 0, "must be at most " + FormatAmount(MaxAmount)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, AmountForm
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	cents := w*100 + f
	switch {
	case cents <= 0:
		return 0, "must be greater than 0.00"
	case cents > MaxAmount:
		return 0, "must be at most " + FormatAmount(MaxAmount)
	}
	return cents, ""
}

// FormatAmount writes cents in the wire form: "100.00", "0.05". Negative
// values (an internal clearing account's balance) get a leading "-".
func FormatAmount(cents int64) string {
	neg := cents < 0
	u := uint64(cents)
	if neg {
		u = -u
	}
	whole := strconv.FormatUint(u/100, 10)
	frac := u % 100
	s := whole + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
	if neg {
		return "-" + s
	}
	return s
}

// checkCurrency accepts an absent currency (nil) or "usd" in any letter
// case (money.md section 1: "a request that sends one must send usd"). A
// currency sent is checked whatever its value, so "" is refused like "eur":
// it is why callers pass a pointer, not a string whose "" would read as
// absent.
func checkCurrency(f fieldErrors, field string, v *string) {
	if v != nil && !strings.EqualFold(*v, Currency) {
		f.add(field, "must be usd")
	}
}

// ValidRoutingNumber reports whether s is a 9-digit ABA routing number with
// a correct check digit: 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) is a
// multiple of 10 (the ABA's checksum).
func ValidRoutingNumber(s string) bool {
	if len(s) != 9 || !allDigits(s) {
		return false
	}
	w := [3]int{3, 7, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += w[i%3] * int(s[i]-'0')
	}
	return sum%10 == 0
}

// DefaultRoutingNumber is the sandbox's routing number (money.md section
// 2.1).
const DefaultRoutingNumber = "021000021"

// Account numbers. The n-th account number issued in an installation (n
// from 1, a counter that only grows) is 10 digits from a bijection of
// [0, 9e9) shifted to start at 1000000000, so numbers are unique for the
// first 9e9 accounts, never reused (the counter never goes back, whatever is
// deleted), never start with 0, and consecutive accounts do not get
// consecutive numbers. Migration 0009 computes the same function in SQL for
// the master accounts of programs that existed before it.
const (
	accountNumberSpan  int64 = 9_000_000_000
	accountNumberBase  int64 = 1_000_000_000
	accountNumberMul   int64 = 1_000_003 // coprime with 9e9 (= 2^9 3^2 5^9): not divisible by 2, 3 or 5
	accountNumberShift int64 = 7_777_777
)

// MaxAccountNumbers is how many account numbers an installation can issue.
const MaxAccountNumbers = accountNumberSpan

// AccountNumber is the n-th account number (1 <= n <= MaxAccountNumbers).
func AccountNumber(n int64) string {
	v := accountNumberBase + (n%accountNumberSpan*accountNumberMul+accountNumberShift)%accountNumberSpan
	return strconv.FormatInt(v, 10)
}
