package banking

import (
	"strings"
	"testing"
)

// TestParseAmount: the one money parser accepts exactly "digits, a dot, two
// digits" without leading zeros, above zero and up to 10000000.00, and
// refuses every other form of money.md section 1 naming the field.
func TestParseAmount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64 // 0: refused
	}{
		{"100.00", 10000},
		{"0.01", 1},
		{"0.50", 50},
		{"1.05", 105},
		{"10000000.00", MaxAmount},
		{"9999999.99", MaxAmount - 1},
		{"", 0},
		{"100", 0},
		{"100.0", 0},
		{"100.000", 0},
		{"1e2", 0},
		{"1e2.00", 0},
		{"-5.00", 0},
		{"+5.00", 0},
		{"0.00", 0},
		{"00.50", 0},
		{"007.00", 0},
		{" 1.00", 0},
		{"1.00 ", 0},
		{"1 000.00", 0},
		{"1,000.00", 0},
		{".50", 0},
		{"1.", 0},
		{"1.5a", 0},
		{"１.00", 0}, // fullwidth digit
		{"0x10.00", 0},
		{"10000000.01", 0},
		{"99999999.99", 0},
		{"100000000.00", 0},
		{strings.Repeat("9", 40) + ".00", 0},
		{"NaN", 0},
		{"Infinity", 0},
	} {
		got, err := ParseAmount("amount", c.in)
		if c.want == 0 {
			e := AsError(err)
			if err == nil || e.Code != CodeInvalid || e.Fields["amount"] == "" {
				t.Errorf("ParseAmount(%q) = %d, %v; want 400 naming amount", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

// TestFormatAmount: cents to the wire form and back, exactly.
func TestFormatAmount(t *testing.T) {
	for _, c := range []struct {
		in   int64
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {10, "0.10"}, {105, "1.05"}, {10000, "100.00"},
		{MaxAmount, "10000000.00"}, {-1, "-0.01"}, {-12345, "-123.45"},
		{1<<63 - 1, "92233720368547758.07"}, {-1 << 63, "-92233720368547758.08"},
	} {
		if got := FormatAmount(c.in); got != c.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", c.in, got, c.want)
		}
		if c.in > 0 && c.in <= MaxAmount {
			if back, err := ParseAmount("amount", c.want); err != nil || back != c.in {
				t.Errorf("ParseAmount(FormatAmount(%d)) = %d, %v", c.in, back, err)
			}
		}
	}
}

func TestValidRoutingNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"021000021", true}, // JPMorgan Chase, the sandbox default
		{"011000015", true}, // Federal Reserve Bank of Boston
		{"121000358", true}, // Bank of America
		{"021000022", false},
		{"02100002", false},
		{"0210000211", false},
		{"02100002a", false},
		{"", false},
	} {
		if got := ValidRoutingNumber(c.in); got != c.want {
			t.Errorf("ValidRoutingNumber(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestAccountNumbers: the numbering is a bijection, so the first numbers of
// an installation are distinct 10-digit strings that never start with 0,
// and consecutive accounts do not get consecutive numbers.
func TestAccountNumbers(t *testing.T) {
	seen := map[string]int64{}
	for n := int64(1); n <= 200_000; n++ {
		s := AccountNumber(n)
		if len(s) != 10 || s[0] == '0' || !allDigits(s) {
			t.Fatalf("AccountNumber(%d) = %q, want 10 digits not starting with 0", n, s)
		}
		if m, dup := seen[s]; dup {
			t.Fatalf("AccountNumber(%d) = AccountNumber(%d) = %s", n, m, s)
		}
		seen[s] = n
	}
	if AccountNumber(1) != "1008777780" {
		t.Errorf("AccountNumber(1) = %s: migration 0009 computes 1008777780 in SQL", AccountNumber(1))
	}
	for _, n := range []int64{MaxAccountNumbers - 1, MaxAccountNumbers} {
		if s := AccountNumber(n); len(s) != 10 || s == AccountNumber(n-1) {
			t.Errorf("AccountNumber(%d) = %q", n, s)
		}
	}
}
