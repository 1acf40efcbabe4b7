package banking

import (
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
)

// Length limits of spec section 5, in characters.
const (
	maxName          = 100
	maxAddress       = 200
	maxEmail         = 254
	maxUsername      = 64
	maxMetaPairs     = 50
	maxMetaName      = 100
	maxMetaValue     = 500
	MaxReason        = 500
	maxBusinessIDLen = 100
)

var (
	phoneRE  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	postalRE = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)
	stateRE  = regexp.MustCompile(`^[A-Z]{2}$`)
)

// checkText validates a free-text value: well-formed, printable, within max
// characters. Control characters (NUL above all) have no place in a name or an
// address and break downstream systems that print them.
func checkText(f fieldErrors, field, v string, max int) {
	switch {
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(v) > max:
		f.add(field, "must be at most "+itoa(max)+" characters")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		f.add(field, "must not contain control characters")
	}
}

// normText is how free text is kept: without surrounding white space, which
// clients add by accident, and in Unicode NFC, so that "é" typed as one code
// point or as "e" and a combining accent is one value for uniqueness and
// search (issue 17). NFC folds canonical equivalents only: compatibility
// look-alikes (fullwidth letters, ligatures) stay distinct characters, as
// they are in every other system an integrator compares with; the Kelvin
// sign U+212A becomes "K" because NFC itself maps it (docs/decisions.md).
func normText(v string) string { return norm.NFC.String(strings.TrimSpace(v)) }

func required(f fieldErrors, field, v string) bool {
	if v == "" {
		f.add(field, "is required")
		return false
	}
	return true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// checkEmail validates an email address sent as field.
func checkEmail(f fieldErrors, field, v string) {
	checkText(f, field, v, maxEmail)
	if _, bad := f[field]; bad {
		return
	}
	a, err := mail.ParseAddress(v)
	at := strings.LastIndexByte(v, '@')
	if err != nil || a.Address != v || at < 1 || !strings.Contains(v[at+1:], ".") ||
		strings.ContainsAny(v, " \t") {
		f.add(field, "must be a valid email address")
	}
}

// checkPhone accepts, as field, an E.164 number that can exist:
// libphonenumber's length rules for its country (github.com/nyaruka/
// phonenumbers, Google's metadata), and for the North American Numbering
// Plan (+1) an area code and exchange that do not start with 0 or 1. It does
// not require the number to be assigned (IsValidNumber): Ingo's
// documentation samples +12125551234 and +15555551234, which integrators
// copy, use the fictional 555 (issue 17).
func checkPhone(f fieldErrors, field, v string) {
	if !phoneRE.MatchString(v) {
		f.add(field, "must be an E.164 number such as +14155550123")
		return
	}
	if !possiblePhone(v) {
		f.add(field, "is not a possible phone number for its country code")
	}
}

// possiblePhone reports whether an E.164 string names a number that can
// exist (see checkPhone).
func possiblePhone(v string) bool {
	n, err := phonenumbers.Parse(v, "")
	if err != nil || phonenumbers.IsPossibleNumberWithReason(n) != phonenumbers.IS_POSSIBLE {
		return false
	}
	if n.GetCountryCode() == 1 {
		// NANP: NXX-NXX-XXXX, N being 2-9.
		national := strconv.FormatUint(n.GetNationalNumber(), 10)
		return len(national) == 10 && national[0] >= '2' && national[3] >= '2'
	}
	return true
}

// checkState validates a subdivision code sent as field, against the
// country it belongs to.
func checkState(f fieldErrors, field, state, country string) {
	if !stateRE.MatchString(state) {
		f.add(field, "must be a two-letter ISO 3166-2 subdivision code such as CA")
		return
	}
	if country == "US" && !usStates[state] {
		f.add(field, "must be a US state or territory code")
	}
}

// checkCountry validates an ISO 3166-1 alpha-2 code sent as field.
func checkCountry(f fieldErrors, field, v string) {
	if len(v) != 2 || !strings.Contains(isoCountries, " "+v+" ") {
		f.add(field, "must be an ISO 3166-1 alpha-2 country code such as US")
	}
}

// checkPostal validates a ZIP code sent as field.
func checkPostal(f fieldErrors, field, v string) {
	if !postalRE.MatchString(v) {
		f.add(field, "must be a 5-digit ZIP code or ZIP+4")
	}
}

// Earliest dates accepted: a person's birth, and a business's incorporation
// (companies incorporated in the 1600s still trade).
const (
	minBirthYear         = 1900
	minIncorporationYear = 1600
)

// checkPastDate accepts, as field, a real calendar date strictly before
// today (UTC) and not before January 1 of minYear.
func checkPastDate(f fieldErrors, field, v string, now time.Time, minYear int) {
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		f.add(field, "must be a real date in the form YYYY-MM-DD")
		return
	}
	today := now.UTC().Truncate(24 * time.Hour)
	if !d.Before(today) {
		f.add(field, "must be in the past")
	} else if d.Year() < minYear {
		f.add(field, "must not be before "+itoa(minYear)+"-01-01")
	}
}

// checkSSN validates an SSN (dashes allowed) and returns its nine digits, or
// "" after naming the problem. Area 000, 666 and 900-999, group 00 and serial
// 0000 are never issued (SSA, "Social Security Number Randomization"), so
// such an SSN cannot be anyone's; the sandbox's magic last four digits
// (0001, 0002) keep working with any issued area and group.
func checkSSN(f fieldErrors, field, v string) string {
	s := strings.ReplaceAll(strings.TrimSpace(v), "-", "")
	if len(s) != 9 || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		f.add(field, "must be 9 digits, dashes allowed")
		return ""
	}
	area, group, serial := s[:3], s[3:5], s[5:]
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		f.add(field, "is not an SSN that is ever issued (area 000, 666 or 900-999, group 00 or serial 0000)")
		return ""
	}
	return s
}

func checkMeta(f fieldErrors, md []MetaData) {
	if len(md) > maxMetaPairs {
		f.add("meta_data", "must have at most "+itoa(maxMetaPairs)+" entries")
		return
	}
	for i, m := range md {
		p := "meta_data[" + itoa(i) + "]"
		if m.Name == "" {
			f.add(p+".name", "is required")
		}
		checkText(f, p+".name", m.Name, maxMetaName)
		checkText(f, p+".value", m.Value, maxMetaValue)
	}
}

// CheckReason validates the optional reason of block and unblock.
func CheckReason(reason string) error {
	f := fieldErrors{}
	checkText(f, "reason", reason, MaxReason)
	return f.err()
}

// maxURL bounds a URL field; browsers and CDNs refuse much longer ones.
const maxURL = 2048

// checkHTTPSURL validates, as field, an absolute https URL with a host: a
// reference ingot stores and never fetches (businesses.md sections 2 and 4).
func checkHTTPSURL(f fieldErrors, field, v string) {
	checkText(f, field, v, maxURL)
	if _, bad := f[field]; bad {
		return
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Opaque != "" ||
		strings.ContainsAny(v, " \t") {
		f.add(field, "must be an https URL such as https://files.example.com/doc.pdf")
	}
}

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
