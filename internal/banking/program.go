package banking

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"
)

// Program is a tenant: one integration with its own credentials. Every user
// belongs to exactly one program and is invisible to all others.
type Program struct {
	ID   ProgramID
	Name string
	// APIKeyHash is SHA-256 of the API key; the key itself is shown once.
	APIKeyHash []byte
	// HMACUsername identifies the signing credential in Authorization headers.
	HMACUsername string
	// HMACSecretSealed is the signing secret encrypted with the master key.
	HMACSecretSealed []byte
	CreatedAt        time.Time
	// Retired are the credentials rotations replaced, oldest first, with
	// when each stops (or stopped) authenticating. Filled by the store's
	// credential lookups and program listing; nil elsewhere.
	Retired []RetiredCredential
}

// RetiredCredential is a program's credential set that a rotation replaced
// ("ingot program rotate-credentials", api-v4.md section 8). It keeps
// authenticating the program until ExpiresAt, the end of the grace period
// the operator chose, so integrations can switch without downtime.
type RetiredCredential struct {
	// APIKeyHash is SHA-256 of the replaced API key.
	APIKeyHash []byte
	// HMACUsername names the replaced signing credential.
	HMACUsername string
	// HMACSecretSealed is its signing secret, sealed with the master key
	// (associated data: HMACUsername), as Program.HMACSecretSealed is.
	HMACSecretSealed []byte
	RetiredAt        time.Time
	ExpiresAt        time.Time
}

// Live reports whether the credential still authenticates at now: its grace
// period ends at ExpiresAt, exclusive.
func (r *RetiredCredential) Live(now time.Time) bool { return now.Before(r.ExpiresAt) }

// RetiredByUsername returns the retired credential named username, if any.
func (p *Program) RetiredByUsername(username string) (*RetiredCredential, bool) {
	for i := range p.Retired {
		if p.Retired[i].HMACUsername == username {
			return &p.Retired[i], true
		}
	}
	return nil, false
}

// ValidateProgramName checks an operator-supplied program name.
func ValidateProgramName(name string) error {
	f := fieldErrors{}
	if required(f, "name", strings.TrimSpace(name)) {
		checkText(f, "name", name, maxName)
	}
	return f.err()
}

// UserFilter selects and orders a page of users (user/get-all).
type UserFilter struct {
	Email     string // exact, case-insensitive
	Search    string // case-insensitive substring
	Status    Status
	KYCStatus KYCStatus
	Ascending bool
	Page      int
	PerPage   int
}

// Paging limits of user/get-all and user/events.
const (
	DefaultPerPage = 10
	MaxPerPage     = 500
)

// HashAPIKey is how API keys are stored and looked up: a leaked database does
// not leak usable keys.
func HashAPIKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// APIKeyMatches reports whether key is the program's current API key. It
// compares in constant time so response timing reveals nothing about how
// much of a guessed key was right.
func (p *Program) APIKeyMatches(key string) bool {
	return subtle.ConstantTimeCompare(HashAPIKey(key), p.APIKeyHash) == 1
}

// APIKeyValid reports whether key authenticates the program at now: the
// current key, or a retired one whose grace period has not ended. Every
// comparison is constant-time, as in APIKeyMatches.
func (p *Program) APIKeyValid(key string, now time.Time) bool {
	h := HashAPIKey(key)
	ok := subtle.ConstantTimeCompare(h, p.APIKeyHash) == 1
	for i := range p.Retired {
		r := &p.Retired[i]
		if subtle.ConstantTimeCompare(h, r.APIKeyHash) == 1 && r.Live(now) {
			ok = true
		}
	}
	return ok
}

// Paging validates page and per_page (nil = default). Out-of-range values are
// errors, not clamped, so a client's off-by-one shows up in the sandbox.
func Paging(page, perPage *int) (int, int, error) {
	f := fieldErrors{}
	p, pp := 1, DefaultPerPage
	if page != nil {
		if p = *page; p < 1 {
			f.add("page", "must be at least 1")
		} else if p > MaxPage {
			f.add("page", "must be at most "+itoa(MaxPage))
		}
	}
	if perPage != nil {
		if pp = *perPage; pp < 1 || pp > MaxPerPage {
			f.add("per_page", "must be between 1 and "+itoa(MaxPerPage))
		}
	}
	return p, pp, f.err()
}

// MaxPage bounds page so that (page-1)*per_page cannot overflow an offset.
const MaxPage = 1_000_000_000 / MaxPerPage

// Filter limits: a search or email longer than any stored value cannot match.
const maxSearch = 254

// CheckUserFilter validates the filters of user/get-all.
func CheckUserFilter(f *UserFilter, sort string) error {
	fe := fieldErrors{}
	checkText(fe, "search", f.Search, maxSearch)
	checkText(fe, "email", f.Email, maxEmail)
	switch f.Status {
	case "", StatusActive, StatusBlocked:
	default:
		fe.add("status", "must be active or blocked")
	}
	switch f.KYCStatus {
	case "", KYCNotStarted, KYCPending, KYCVerified, KYCRejected:
	default:
		fe.add("kyc_status", "must be not_started, pending, verified or rejected")
	}
	switch sort {
	case "", SortCreatedDesc:
	case SortCreatedAsc:
		f.Ascending = true
	default:
		fe.add("sort", "must be created_at:desc or created_at:asc")
	}
	return fe.err()
}

// Sort orders of user/get-all.
const (
	SortCreatedDesc = "created_at:desc"
	SortCreatedAsc  = "created_at:asc"
)
