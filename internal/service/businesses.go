package service

import (
	"context"
	"maps"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// errNoBusiness is the answer for a business that is not the caller's:
// unknown, another program's, named with the wrong user_id or a malformed
// id all read the same, so an answer never tells them apart.
var errNoBusiness = banking.Errorf(banking.CodeNotFound, "business not found")

// required reports the absent fields among name/value pairs as one
// validation error (nil when all are present), so a client sees every
// missing id at once.
func required(pairs ...string) *banking.Error {
	f := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			f[pairs[i]] = "is required"
		}
	}
	if len(f) == 0 {
		return nil
	}
	return &banking.Error{Code: banking.CodeInvalid, Message: "validation failed", Fields: f}
}

// joinInvalid merges validation errors into one naming all their fields;
// nil when there are none. Only validation errors may be passed.
func joinInvalid(errs ...error) error {
	var out *banking.Error
	for _, err := range errs {
		e, ok := err.(*banking.Error)
		if err == nil || !ok || e == nil {
			continue
		}
		if out == nil {
			out = &banking.Error{Code: banking.CodeInvalid, Message: "validation failed", Fields: map[string]string{}}
		}
		maps.Copy(out.Fields, e.Fields)
	}
	if out == nil {
		return nil
	}
	return out
}

// businessRef reads the user_id and business_id every business call names:
// absent is 400 (both named at once), malformed is 404 (it names no
// business of that user).
func businessRef(rawUser, rawBusiness string) (banking.UserID, banking.BusinessID, error) {
	if err := required("user_id", rawUser, "business_id", rawBusiness); err != nil {
		return "", "", err
	}
	uid, ok1 := banking.ParseUserID(rawUser)
	bid, ok2 := banking.ParseID[banking.BusinessID](rawBusiness)
	if !ok1 || !ok2 {
		return "", "", errNoBusiness
	}
	return uid, bid, nil
}

// CreateBusiness validates and stores a new business of user rawUser with its
// business.created event. The user must be the program's (404) and active
// (409 blocked); the EIN must be new to the program (409).
func (s *Service) CreateBusiness(ctx context.Context, c Caller, rawUser string, in banking.NewBusinessInput) (banking.Business, error) {
	now := s.nowFor(c.ProgramID)
	b, err := banking.NewBusiness(c.ProgramID, "", in, now)
	var missing error
	if e := required("user_id", rawUser); e != nil {
		missing = e
	}
	if err := joinInvalid(missing, err); err != nil {
		return banking.Business{}, err
	}
	if b.UserID, err = userID(rawUser); err != nil {
		return banking.Business{}, err
	}
	ev := banking.NewBusinessEvent(&b, banking.EventBusinessCreated, c.actor(), "", banking.BusinessCreatedChanges(&b), now)
	w := store.CreateBusinessWork(b, ev)
	w.Idem = c.finish()
	if _, err := s.store.Do(ctx, w); err != nil {
		return banking.Business{}, err
	}
	return b, nil
}

// GetBusiness reads one business of the caller's program, named with its
// owning user.
func (s *Service) GetBusiness(ctx context.Context, c Caller, rawUser, rawBusiness string) (banking.Business, error) {
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return banking.Business{}, err
	}
	return s.store.Business(ctx, c.ProgramID, uid, bid)
}

// ListBusinesses returns a page of the caller's businesses, of one user
// when f.UserID is set (a user of another program is 404), and the total
// match count.
func (s *Service) ListBusinesses(ctx context.Context, c Caller, rawUser string, f banking.BusinessFilter) ([]banking.Business, banking.Total, error) {
	if rawUser != "" {
		uid, err := userID(rawUser)
		if err != nil {
			return nil, banking.Total{}, err
		}
		if _, err := s.store.User(ctx, c.ProgramID, uid); err != nil {
			return nil, banking.Total{}, err
		}
		f.UserID = uid
	}
	return s.store.ListBusinesses(ctx, c.ProgramID, f)
}

// UpdateBusiness applies a partial update. An update that changes nothing
// writes nothing and leaves updated_at alone.
func (s *Service) UpdateBusiness(ctx context.Context, c Caller, rawUser, rawBusiness string, p banking.BusinessPatch) (banking.Business, error) {
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return banking.Business{}, err
	}
	w := store.BusinessWork(c.ProgramID, uid, bid, store.BusinessNeeds{}, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
		now := s.nowFor(c.ProgramID)
		ch, err := banking.ApplyBusinessPatch(&f.Business, p, now)
		if err != nil || len(ch) == 0 {
			return f.Business, nil, err
		}
		return f.Business, []banking.Event{banking.NewBusinessEvent(&f.Business, banking.EventBusinessUpdated, c.actor(), "", ch, now)}, nil
	})
	if p.EIN != nil {
		// A new EIN is locked like a created one's (CreateBusinessWork).
		if ein, ok := banking.NormalizeEIN(*p.EIN); ok {
			w.Locks = append(w.Locks, store.LockKey("ein", ein))
		}
	}
	return s.doBusiness(ctx, c, w)
}

// doBusiness runs the one Work of a mutation answering a business.
func (s *Service) doBusiness(ctx context.Context, c Caller, w store.Work) (banking.Business, error) {
	w.Idem = c.finish()
	v, err := s.store.Do(ctx, w)
	if err != nil {
		return banking.Business{}, err
	}
	return v.(banking.Business), nil
}

// BlockBusiness blocks an active business: it can no longer be sent to KYB
// or move money.
func (s *Service) BlockBusiness(ctx context.Context, c Caller, rawUser, rawBusiness, reason string) (banking.Business, error) {
	return s.businessTransition(ctx, c, rawUser, rawBusiness, reason, banking.EventBusinessBlocked, (*banking.Business).Block)
}

// UnblockBusiness reactivates a blocked business.
func (s *Service) UnblockBusiness(ctx context.Context, c Caller, rawUser, rawBusiness, reason string) (banking.Business, error) {
	return s.businessTransition(ctx, c, rawUser, rawBusiness, reason, banking.EventBusinessUnblocked, (*banking.Business).Unblock)
}

func (s *Service) businessTransition(ctx context.Context, c Caller, rawUser, rawBusiness, reason string, typ banking.EventType,
	step func(*banking.Business, time.Time) (banking.Changes, error)) (banking.Business, error) {
	if err := joinInvalid(required("user_id", rawUser, "business_id", rawBusiness), banking.CheckReason(reason)); err != nil {
		return banking.Business{}, err
	}
	uid, bid, err := businessRef(rawUser, rawBusiness)
	if err != nil {
		return banking.Business{}, err
	}
	return s.doBusiness(ctx, c, store.BusinessWork(c.ProgramID, uid, bid, store.BusinessNeeds{}, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
		now := s.nowFor(c.ProgramID)
		ch, err := step(&f.Business, now)
		if err != nil {
			return nil, nil, err
		}
		return f.Business, []banking.Event{banking.NewBusinessEvent(&f.Business, typ, c.actor(), reason, ch, now)}, nil
	}))
}

// BusinessEvents lists a business's audit trail, newest first: its own
// events and its owners' and documents'.
func (s *Service) BusinessEvents(ctx context.Context, c Caller, rawUser, rawBusiness string, page, perPage int) ([]banking.Event, int, error) {
	b, err := s.GetBusiness(ctx, c, rawUser, rawBusiness)
	if err != nil {
		return nil, 0, err
	}
	return s.store.Events(ctx, c.ProgramID, string(b.ID), page, perPage)
}
