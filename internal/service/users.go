package service

import (
	"context"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// Caller is who makes a call: the authenticated program, and, for a mutation
// made under an idempotency key, how to store its answer with the change.
type Caller struct {
	ProgramID banking.ProgramID
	// Idem, when set (Service.Bind), completes the caller's idempotency
	// reservation in the transaction of the call's Work. A mutating method
	// passes it to the one Work that makes its change (store.Work.Idem) and
	// returns exactly that Work's value, which is what Idem renders.
	Idem *IdemCall
	// Operator, when set, is the console operator acting for the program
	// (sandbox.md section 3): the audit trail then names them
	// ("operator:<name>") as the actor instead of the program.
	Operator Operator
}

// finish is the store's completion step of c's reservation, or nil.
func (c Caller) finish() *store.IdemFinish {
	if c.Idem == nil {
		return nil
	}
	return c.Idem.fin
}

func (c Caller) actor() string {
	if c.Operator != "" {
		return c.Operator.Actor()
	}
	return banking.ActorProgram(c.ProgramID)
}

// userID validates a user_id field: absent is invalid, malformed is not found
// (no such user can exist).
func userID(v string) (banking.UserID, error) {
	if v == "" {
		return "", banking.Invalid("user_id", "is required")
	}
	// Ids are exact strings; any other present value, however long or odd,
	// names no user.
	id, ok := banking.ParseUserID(v)
	if !ok {
		return "", banking.Errorf(banking.CodeNotFound, "user not found")
	}
	return id, nil
}

// ssnAAD binds a sealed SSN to its user or business owner, so a ciphertext
// moved to another row does not open.
func ssnAAD[T banking.UserID | banking.OwnerID](id T) []byte { return []byte("ssn:" + string(id)) }

// CreateUser validates and stores a new user with its user.created event.
// With a business_id the user is created as that business's contact, in the
// same transaction (businesses.md section 6); the business must be the
// program's.
func (s *Service) CreateUser(ctx context.Context, c Caller, in banking.NewUserInput) (banking.User, error) {
	u, ssn, err := banking.NewUser(c.ProgramID, in, s.nowFor(c.ProgramID))
	if err != nil {
		return u, err
	}
	var bid banking.BusinessID
	if in.BusinessID != "" {
		var ok bool
		if bid, ok = banking.ParseID[banking.BusinessID](in.BusinessID); !ok {
			return banking.User{}, errNoBusiness
		}
	}
	if ssn != "" {
		u.SSNSealed = s.sealer.Seal([]byte(ssn), ssnAAD(u.ID))
	}
	changes := banking.CreatedChanges(&u)
	if bid == "" {
		ev := banking.NewEvent(&u, banking.EventUserCreated, c.actor(), "", changes, u.CreatedAt)
		if err := s.store.CreateUser(ctx, u, ev, c.finish()); err != nil {
			return banking.User{}, err
		}
		return u, nil
	}
	contact := banking.NewContact(&u, bid, in.ContactType())
	banking.ContactChanges(changes, &contact)
	ev := banking.NewEvent(&u, banking.EventUserCreated, c.actor(), "", changes, u.CreatedAt)
	w := store.CreateContactUserWork(u, ev, contact)
	w.Idem = c.finish()
	if _, err := s.store.Do(ctx, w); err != nil {
		return banking.User{}, err
	}
	return u, nil
}

// GetUser reads one user of the caller's program.
func (s *Service) GetUser(ctx context.Context, c Caller, rawID string) (banking.User, error) {
	id, err := userID(rawID)
	if err != nil {
		return banking.User{}, err
	}
	return s.store.User(ctx, c.ProgramID, id)
}

// ListUsers returns a page of the caller's users and how many match in all.
func (s *Service) ListUsers(ctx context.Context, c Caller, f banking.UserFilter) ([]banking.User, banking.Total, error) {
	return s.store.ListUsers(ctx, c.ProgramID, f)
}

// UpdateUser applies a partial update. An update that changes nothing writes
// nothing and leaves updated_at alone.
func (s *Service) UpdateUser(ctx context.Context, c Caller, rawID string, p banking.UserPatch) (banking.User, error) {
	id, err := userID(rawID)
	if err != nil {
		return banking.User{}, err
	}
	return s.store.UpdateUser(ctx, c.ProgramID, id, func(u *banking.User) (*banking.Event, error) {
		current := ""
		if p.SSN != nil && u.HasSSN() {
			b, err := s.sealer.Open(u.SSNSealed, ssnAAD(u.ID))
			if err != nil {
				return nil, banking.Internal(err)
			}
			current = string(b)
		}
		now := s.nowFor(c.ProgramID)
		ch, newSSN, err := banking.ApplyPatch(u, p, current, now)
		if err != nil || len(ch) == 0 {
			return nil, err
		}
		if newSSN != "" {
			u.SSNSealed = s.sealer.Seal([]byte(newSSN), ssnAAD(u.ID))
		}
		ev := banking.NewEvent(u, banking.EventUserUpdated, c.actor(), "", ch, now)
		return &ev, nil
	}, c.finish())
}

// BlockUser blocks an active user.
func (s *Service) BlockUser(ctx context.Context, c Caller, rawID, reason string) (banking.User, error) {
	return s.transition(ctx, c, rawID, reason, banking.EventUserBlocked, (*banking.User).Block)
}

// UnblockUser reactivates a blocked user.
func (s *Service) UnblockUser(ctx context.Context, c Caller, rawID, reason string) (banking.User, error) {
	return s.transition(ctx, c, rawID, reason, banking.EventUserUnblocked, (*banking.User).Unblock)
}

// transition runs one status change with its event.
func (s *Service) transition(ctx context.Context, c Caller, rawID, reason string, typ banking.EventType,
	step func(*banking.User, time.Time) (banking.Changes, error)) (banking.User, error) {
	id, err := userID(rawID)
	if err != nil {
		return banking.User{}, err
	}
	if err := banking.CheckReason(reason); err != nil {
		return banking.User{}, err
	}
	return s.store.UpdateUser(ctx, c.ProgramID, id, func(u *banking.User) (*banking.Event, error) {
		now := s.nowFor(c.ProgramID)
		ch, err := step(u, now)
		if err != nil {
			return nil, err
		}
		ev := banking.NewEvent(u, typ, c.actor(), reason, ch, now)
		return &ev, nil
	}, c.finish())
}

// UserEvents lists a user's audit trail, newest first.
func (s *Service) UserEvents(ctx context.Context, c Caller, rawID string, page, perPage int) ([]banking.Event, int, error) {
	id, err := userID(rawID)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.store.User(ctx, c.ProgramID, id); err != nil {
		return nil, 0, err
	}
	return s.store.Events(ctx, c.ProgramID, string(id), page, perPage)
}
