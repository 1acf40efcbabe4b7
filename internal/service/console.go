package service

import (
	"context"
	"crypto/sha256"
	"regexp"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Console access (sandbox.md section 3): an operator signs in with a console
// token and gets a session. Tokens and sessions are kept only as SHA-256
// hashes: both are 256 random bits, so the hash alone is as strong as the
// secret, and a copy of the database opens nothing.

// ConsoleTokenPrefix starts every console token, so one pasted in the
// wrong place says what it is.
const ConsoleTokenPrefix = "ict_"

// SessionTTL is how long a console session lasts after sign-in, whatever
// is done with it meanwhile.
const SessionTTL = 12 * time.Hour

// tokenName is what a console token may be called: it becomes the audit
// trail's actor "operator:<name>", so it is short and plain.
var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckTokenName validates a console token's name: 1 to 64 letters, digits,
// '.', '_', '@' or '-', starting with a letter or digit.
func CheckTokenName(name string) error {
	if !tokenName.MatchString(name) {
		return banking.Invalid("name", "must be 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
	}
	return nil
}

// hashSecret is how console tokens and session ids are stored and looked up.
func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newConsoleToken returns a fresh console token.
func newConsoleToken() string { return ConsoleTokenPrefix + randomHex(32) }

// CreateConsoleToken creates a console token called name and returns it; it
// is shown this once (only its hash is stored). A name in use is a conflict.
func (s *Service) CreateConsoleToken(ctx context.Context, name string) (string, error) {
	if err := CheckTokenName(name); err != nil {
		return "", err
	}
	tok := newConsoleToken()
	if err := s.store.CreateConsoleToken(ctx, name, hashSecret(tok), s.clock()); err != nil {
		return "", err
	}
	return tok, nil
}

// CreateFirstConsoleToken creates a console token called name only when the
// database has none (the sandbox's first start), and reports whether it did.
func (s *Service) CreateFirstConsoleToken(ctx context.Context, name string) (string, bool, error) {
	if err := CheckTokenName(name); err != nil {
		return "", false, err
	}
	tok := newConsoleToken()
	created, err := s.store.CreateFirstConsoleToken(ctx, name, hashSecret(tok), s.clock())
	if err != nil || !created {
		return "", false, err
	}
	return tok, true, nil
}

// ConsoleTokens lists the console tokens, without secrets.
func (s *Service) ConsoleTokens(ctx context.Context) ([]store.ConsoleToken, error) {
	return s.store.ConsoleTokens(ctx)
}

// RevokeConsoleToken deletes a console token and ends its sessions at once,
// in every process, and reports how many sessions it ended. An unknown name
// is not_found.
func (s *Service) RevokeConsoleToken(ctx context.Context, name string) (int, error) {
	return s.store.RevokeConsoleToken(ctx, name)
}

// errBadToken is the one answer to any token that does not sign in, so the
// answer says nothing about why.
var errBadToken = banking.Errorf(banking.CodeUnauthenticated, "that console token is not valid")

// SignIn opens a session for the operator holding token and returns the
// session's secret (the cookie's value) and the operator. A token that is
// not a live console token is unauthorized.
func (s *Service) SignIn(ctx context.Context, token string) (string, Operator, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, ConsoleTokenPrefix) || len(token) > 200 {
		return "", "", errBadToken
	}
	session := randomHex(32)
	now := s.clock()
	name, err := s.store.CreateConsoleSession(ctx, hashSecret(token), hashSecret(session), now, now.Add(SessionTTL))
	if banking.IsCode(err, banking.CodeNotFound) {
		return "", "", errBadToken
	}
	if err != nil {
		return "", "", err
	}
	return session, Operator(name), nil
}

// Session is a live console session as a request sees it.
type Session struct {
	Operator Operator
	// FlashKind ("ok" or "error") and Flash are the notice the last action
	// left, taken by this read ("" when none).
	FlashKind, Flash string
}

// ConsoleSession finds the live session whose secret is session and takes
// its notice. One that ended, was signed out or whose token was revoked is
// not_found.
func (s *Service) ConsoleSession(ctx context.Context, session string) (Session, error) {
	cs, err := s.store.ConsoleSession(ctx, hashSecret(session), s.clock())
	if err != nil {
		return Session{}, err
	}
	return Session{Operator: Operator(cs.TokenName), FlashKind: cs.FlashKind, Flash: cs.Flash}, nil
}

// Flash leaves a notice (kind "ok" or "error") for the session's next page.
func (s *Service) Flash(ctx context.Context, session, kind, msg string) error {
	return s.store.SetConsoleFlash(ctx, hashSecret(session), kind, msg)
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, session string) error {
	return s.store.DeleteConsoleSession(ctx, hashSecret(session))
}
