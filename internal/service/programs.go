package service

import (
	"context"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// DefaultGrace is how long replaced credentials keep working after a
// rotation when the operator does not say (api-v4.md section 8).
const DefaultGrace = 24 * time.Hour

// Rotated is the answer of RotateCredentials: the new credentials, shown
// once, and until when the replaced ones keep working.
type Rotated struct {
	Credentials
	// PreviousHMACUsername is the username the rotation replaced.
	PreviousHMACUsername string
	// PreviousValidUntil is the end of the grace period.
	PreviousValidUntil time.Time
}

// RotateCredentials gives program pid a new API key, HMAC username and
// secret. The replaced ones keep authenticating for grace (0: they stop at
// once, give or take the credential cache of running servers, see
// credCacheTTL). The rotation is a program.credentials_rotated event in the
// program's audit trail. This process's cached credentials of the program
// are dropped; other processes see the rotation when their cache entries
// expire. An unknown program is not_found; a negative grace is invalid.
func (s *Service) RotateCredentials(ctx context.Context, pid banking.ProgramID, grace time.Duration) (Rotated, error) {
	if grace < 0 {
		return Rotated{}, banking.Invalid("grace", "must not be negative")
	}
	now := s.clock()
	c := newCredentials(string(pid), "")
	p, err := s.store.RotateCredentials(ctx, store.Rotation{Program: pid,
		APIKeyHash: banking.HashAPIKey(c.APIKey), HMACUsername: c.HMACUsername,
		HMACSecretSealed: s.sealer.Seal([]byte(c.HMACSecret), []byte(c.HMACUsername)),
		At:               now, GraceEnd: now.Add(grace), EventID: banking.NewEventID(now)})
	if err != nil {
		return Rotated{}, err
	}
	s.creds.dropProgram(pid)
	c.Name = p.Name
	return Rotated{Credentials: c, PreviousHMACUsername: p.Retired[0].HMACUsername, PreviousValidUntil: now.Add(grace)}, nil
}

// ProgramInfo describes a program without any secret ("ingot program list").
type ProgramInfo struct {
	ID           banking.ProgramID
	Name         string
	CreatedAt    time.Time
	HMACUsername string
	// Users is how many users the program has.
	Users int
	// Previous lists the replaced HMAC usernames still in their grace
	// period, with its end.
	Previous []PreviousCredential
}

// PreviousCredential is a replaced credential that still works.
type PreviousCredential struct {
	HMACUsername string
	ValidUntil   time.Time
}

// Programs lists every program, oldest first, without secrets.
func (s *Service) Programs(ctx context.Context) ([]ProgramInfo, error) {
	ps, err := s.store.Programs(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := s.store.UserCounts(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]ProgramInfo, 0, len(ps))
	for _, p := range ps {
		info := ProgramInfo{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, HMACUsername: p.HMACUsername, Users: counts[p.ID]}
		for _, r := range p.Retired {
			if r.Live(now) {
				info.Previous = append(info.Previous, PreviousCredential{HMACUsername: r.HMACUsername, ValidUntil: r.ExpiresAt})
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// newCredentials generates fresh credentials for program id.
func newCredentials(id, name string) Credentials {
	return Credentials{
		ProgramID:    id,
		Name:         name,
		APIKey:       "ak_" + seededHex(20),
		HMACUsername: "hu_" + seededHex(8),
		HMACSecret:   seededHex(32),
	}
}
