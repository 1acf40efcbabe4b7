package httpapi

import (
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// suggestField names the field of struct type t that an unknown member name
// most likely meant, or "": the field whose name the member spells in
// another convention (firstName, FirstName, first-name for first_name), or
// else the one closest to it within a typo or two (frist_name). A client
// that got first_name wrong then learns the right spelling from the 400.
//
// A name equal to a field but for case ("PER_PAGE") gets no suggestion: its
// answer, the plain "unknown field", is pinned by the strict-decoding tests
// (issue 17) and names the mismatch well enough.
func suggestField(t reflect.Type, name string) string {
	fields := jsonFields(t)
	for _, f := range fields {
		if strings.EqualFold(f, name) {
			return ""
		}
	}
	snake := snakeCase(name)
	for _, f := range fields {
		if f == snake {
			return f
		}
	}
	// The names the API answers with, sent back in a request whose name
	// differs (businesses.md section 1: postal_code answers what zipcode
	// sets), and common short forms.
	for _, f := range synonyms[snake] {
		if slices.Contains(fields, f) {
			return f
		}
	}
	best, bestDist := "", 3
	for _, f := range fields {
		limit := 2
		if len(f) < 5 {
			limit = 1
		}
		if d := editDistance(snake, f); d <= limit && d < bestDist {
			best, bestDist = f, d
		}
	}
	return best
}

// synonyms maps a field name a client is likely to send to the request
// names it may have meant, most likely first; only those the request has
// are suggested.
var synonyms = map[string][]string{
	"postal_code":            {"zipcode"},
	"zip":                    {"zipcode", "postal_code"},
	"zip_code":               {"zipcode", "postal_code"},
	"address_one":            {"business_address"},
	"address_two":            {"business_address_2"},
	"address":                {"address_one", "business_address"},
	"business_phone_number":  {"phone_number"},
	"phone":                  {"phone_number"},
	"mobile":                 {"phone_number"},
	"business_email":         {"email"},
	"dob":                    {"date_of_birth"},
	"birth_date":             {"date_of_birth"},
	"name":                   {"business_name"},
	"legal_name":             {"business_name"},
	"social_security_number": {"ssn"},
}

// jsonFields lists the JSON member names of struct type t (pointers
// followed), embedded structs' included, in declaration order.
func jsonFields(t reflect.Type) []string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			out = append(out, jsonFields(f.Type)...)
		case !f.IsExported():
		case name == "":
			out = append(out, f.Name)
		default:
			out = append(out, name)
		}
	}
	return out
}

// snakeCase spells name as the API's fields are spelled: lower case, words
// joined by "_" (camelCase and kebab-case converted).
func snakeCase(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case r == '-' || r == ' ' || r == '.':
			b.WriteByte('_')
		case unicode.IsUpper(r):
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// editDistance is the Levenshtein distance between a and b, in bytes (field
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
