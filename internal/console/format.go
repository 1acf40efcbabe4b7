package console

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// funcs are the templates' helpers. now is the clock relative ages use.
func funcs(now func() time.Time) template.FuncMap {
	return template.FuncMap{
		"asset":   assetURL,
		"money":   formatMoney,
		"count":   formatCount,
		"utc":     formatUTC,
		"iso":     func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") },
		"age":     func(t time.Time) string { return relativeAge(t, now()) },
		"tone":    tone,
		"last4":   maskLast4,
		"acct":    func(number string) string { return maskLast4(last4(number)) },
		"signed":  signedMoney,
		"entry":   entryPhase,
		"percent": func(hundredths int) string { return strconv.FormatFloat(float64(hundredths)/100, 'f', -1, 64) + " %" },
		"value":   changeValue,
		"changes": sortedChanges,
		"program": programPath,
		"path":    url.PathEscape,
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		"add":       func(a, b int) int { return a + b },
		"hasPrefix": strings.HasPrefix,
		"list":      func(s ...string) []string { return s },
		"dict":      dict,
	}
}

// formatMoney writes cents as dollars the way the console shows money:
// "$1,234.56", "-$0.05".
func formatMoney(cents int64) string {
	sign := ""
	if cents < 0 {
		sign = "-"
	}
	u := uint64(cents)
	if cents < 0 {
		u = uint64(-(cents + 1)) + 1 // math.MinInt64 has no positive int64
	}
	return fmt.Sprintf("%s$%s.%02d", sign, groupThousands(u/100), u%100)
}

// formatCount writes a count with thousands separators: 1,000,000.
func formatCount(n int) string {
	if n < 0 {
		return "-" + groupThousands(uint64(-n))
	}
	return groupThousands(uint64(n))
}

func groupThousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// formatUTC writes a time in UTC to the second: "2026-04-16 12:00:05 UTC".
func formatUTC(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// relativeAge says how long ago t was, roughly: "just now", "5 min ago",
// "3 h ago", "2 days ago"; a time ahead of now reads "in 5 min".
func relativeAge(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	suffix := " ago"
	prefix := ""
	if d < 0 {
		d, prefix, suffix = -d, "in ", ""
	}
	var s string
	switch {
	case d < 10*time.Second:
		return "just now"
	case d < time.Minute:
		s = strconv.Itoa(int(d/time.Second)) + " s"
	case d < time.Hour:
		s = strconv.Itoa(int(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		s = strconv.Itoa(int(d/time.Hour)) + " h"
	case d < 60*24*time.Hour:
		s = strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d < 730*24*time.Hour:
		s = strconv.Itoa(int(d/(30*24*time.Hour))) + " months"
	default:
		s = strconv.Itoa(int(d/(365*24*time.Hour))) + " years"
	}
	return prefix + s + suffix
}

// tone is a status badge's colour class: good, waiting, bad or neutral.
func tone(status any) string {
	switch fmt.Sprint(status) {
	case "active", "verified", "approved", "completed", "delivered", "intact":
		return "good"
	case "pending", "review", "retrying", "frozen":
		return "waiting"
	case "blocked", "rejected", "failed", "returned", "closed", "broken":
		return "bad"
	}
	return "neutral"
}

// maskLast4 shows the last four digits of an SSN or account number as the
// only part the console ever shows: "•••• 6789", or "none on file".
func maskLast4(last4 string) string {
	if last4 == "" {
		return "none on file"
	}
	return "•••• " + last4
}

// change is one field of an event's changes, for the trail.
type change struct {
	Field, From, To string
}

// sortedChanges lists an event's changes by field name.
func sortedChanges(ch banking.Changes) []change {
	out := make([]change, 0, len(ch))
	for f, c := range ch {
		from, to := changeValue(c.From), changeValue(c.To)
		if strings.HasSuffix(f, "account_number") {
			// The console shows an account number's last four digits only
			// (sandbox.md section 3), whoever's it is: account_number,
			// program.created's master_account_number.
			from, to = maskNumber(from), maskNumber(to)
		}
		out = append(out, change{Field: f, From: from, To: to})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// changeValue writes one side of a change: a string as it is, anything
// else (meta_data's lists) as JSON, nothing as an empty mark.
func changeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// dict builds a partial's data from name/value pairs: {{template "decision"
// dict "Action" $a "Name" $n}}.
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}

// maskNumber is an account number shown by its last four digits; the
// empty mark stays.
func maskNumber(v string) string {
	if v == "—" {
		return v
	}
	return maskLast4(last4(v))
}

// signedMoney is a transaction's amount seen from an account: negative for
// a debit.
func signedMoney(s banking.Statement) string {
	if s.Direction == banking.Debit {
		return formatMoney(-s.Amount)
	}
	return formatMoney(s.Amount)
}

// entryPhase is the phase of a transaction's entries, which follows its
// status (migration 0009): pending, posted or voided.
func entryPhase(s banking.TxStatus) string {
	switch s {
	case banking.TxPending:
		return "pending"
	case banking.TxFailed, banking.TxBlocked:
		return "voided"
	}
	return "posted"
}
