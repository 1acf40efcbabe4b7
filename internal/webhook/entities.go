package webhook

import (
	"context"

	"github.com/ingot-dev/ingot/internal/banking"
)

// The mappers of users' and businesses' audit events. Each webhook names its
// entity by number (user_id, business_id) and by API id (resource_id).

func init() {
	user := func(typ Type, fields func(ev *banking.Event) []Field) Mapper {
		return entityMapper(Users, "user_id", typ, fields)
	}
	business := func(typ Type, fields func(ev *banking.Event) []Field) Mapper {
		return entityMapper(Businesses, "business_id", typ, fields)
	}
	Register(banking.EventKYCRejected, user(UserKYCFailed, reasonFields))
	Register(banking.EventKYCVerified, user(UserKYCVerified, status("verified")))
	Register(banking.EventKYCReview, user(UserKYCPending, withReasons(status("pending"))))
	Register(banking.EventUserBlocked, user(UserBlocked, status("blocked")))
	Register(banking.EventUserUnblocked, user(UserUnblocked, status("active")))
	Register(banking.EventKYBRejected, business(BusinessKYBFailed, withReasons(status("rejected"))))
	Register(banking.EventKYBVerified, business(BusinessKYBVerified, status("verified")))
	Register(banking.EventKYBReview, business(BusinessKYBPending, withReasons(status("pending"))))
	Register(banking.EventBusinessBlocked, business(BusinessBlocked, status("blocked")))
	Register(banking.EventBusinessUnblocked, business(BusinessUnblocked, status("active")))
}

// entityMapper maps an event about one user or business (its subject) to
// one webhook event: key (the entity's number), then fields.
func entityMapper(table Table, key string, typ Type, fields func(ev *banking.Event) []Field) Mapper {
	return Mapper{
		Refs: func(ev *banking.Event) []Ref { return []Ref{{table, ev.SubjectID}} },
		Map: func(ctx context.Context, l *Lookup, ev *banking.Event) ([]Event, error) {
			n, err := l.Number(ctx, Ref{table, ev.SubjectID})
			if err != nil {
				return nil, err
			}
			return []Event{{Type: typ, ResourceID: ev.SubjectID,
				Fields: append([]Field{{key, EntityID(n)}}, fields(ev)...)}}, nil
		},
	}
}

// reasonFields are a decision's reasons and reasons_code (Ingo's
// user.kyc.failed: no status).
func reasonFields(ev *banking.Event) []Field {
	reasons, codes := Reasons(ev.Reason)
	return []Field{{"reasons", reasons}, {"reasons_code", codes}}
}

func status(s string) func(*banking.Event) []Field {
	return func(*banking.Event) []Field { return []Field{{"status", s}} }
}

func withReasons(f func(*banking.Event) []Field) func(*banking.Event) []Field {
	return func(ev *banking.Event) []Field { return append(f(ev), reasonFields(ev)...) }
}
