package webhook

import (
	"context"
	"fmt"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
)

// The mappers of the ledger's audit events (webhooks.md section 3): an
// account's events (subject rbac-…) become account.issue.created and
// account.assignment.success, or account.frozen|unfrozen|closed; a
// movement's (subject ltra-…) become one account.transfer.* event per RBA
// it moves money from or to, each from that account's point of view.
//
// Entity ids are numbers: entity_id is the holder's (the user's or the
// business's; for the program's master RBA, whose holder is the program,
// the master account's own number, as programs have none), account_id the
// account's. A full account number never appears in a webhook: only
// account.assignment.success's account.number, the last four digits.

func init() {
	Register(banking.EventAccountIssued, Mapper{Refs: issuedRefs, Map: mapIssued})
	Register(banking.EventAccountFrozen, accountStatusMapper(AccountFrozen))
	Register(banking.EventAccountUnfrozen, accountStatusMapper(AccountUnfrozen))
	Register(banking.EventAccountClosed, accountStatusMapper(AccountClosed))
	Register(banking.EventTransferCreated, transferMapper(AccountTransferCreated, "pending"))
	Register(banking.EventTransferCompleted, transferMapper(AccountTransferCompleted, "completed"))
	Register(banking.EventTransferFailed, transferMapper(AccountTransferFailed, "failed"))
	Register(banking.EventTransferBlocked, transferMapper(AccountTransferBlocked, "blocked"))
	Register(banking.EventTransferReturned, transferMapper(AccountTransferReturned, "returned"))
}

// Fixed values of the account events (Ingo's field values).
const (
	accountType = "routable" // account.transfer.*'s account_type
	vbanType    = "vban"     // account.assignment.success's account.type
	// bankName is account.assignment.success's account.bank_name: the
	// installation has no bank name to show (RBA objects have none
	// either), so it is "" as a linked account's unknown bank_name.
	bankName = ""
)

// changed is the new value of an event's change key ("" when absent).
func changed(ev *banking.Event, key string) string {
	s, _ := ev.Changes[key].To.(string)
	return s
}

// holderRef is the numbered entity standing for the holder of an account
// of kind (or entity type) typ: the user, the business, or, for the
// program's master account, the account itself.
func holderRef(typ, userID, businessID, account string) Ref {
	switch typ {
	case string(banking.AccountUser):
		return Ref{Users, userID}
	case string(banking.AccountBusiness):
		return Ref{Businesses, businessID}
	}
	return Ref{Accounts, account}
}

// entityType is the entity_type of an account's holder: user, business
// or program.
func entityType(kind string) string {
	switch kind {
	case string(banking.AccountUser), string(banking.AccountBusiness):
		return kind
	}
	return string(banking.EntityProgram)
}

// issuedRefs are an issued account's number and its holder's, both named
// by the event's changes (banking.IssuedChanges).
func issuedRefs(ev *banking.Event) []Ref {
	return []Ref{{Accounts, ev.SubjectID},
		holderRef(changed(ev, "kind"), changed(ev, "user_id"), changed(ev, "business_id"), ev.SubjectID)}
}

// mapIssued is account.issue.created, then account.assignment.success.
func mapIssued(ctx context.Context, l *Lookup, ev *banking.Event) ([]Event, error) {
	refs := issuedRefs(ev)
	account, err := l.Number(ctx, refs[0])
	if err != nil {
		return nil, err
	}
	entity, err := l.Number(ctx, refs[1])
	if err != nil {
		return nil, err
	}
	who := []Field{{"entity_id", EntityID(entity)}, {"entity_type", entityType(changed(ev, "kind"))}}
	created := append(who[:len(who):len(who)], Field{"account_id", EntityID(account)}, Field{"status", "completed"})
	assigned := append(who[:len(who):len(who)], Field{"status", "completed"}, Field{"account", Object{
		{"account_id", EntityID(account)},
		{"status", changed(ev, "status")},
		{"number", lastFour(changed(ev, "account_number"))},
		{"routing", l.Routing},
		{"bank_name", bankName},
		{"type", vbanType},
	}})
	return []Event{{Type: AccountIssueCreated, Fields: created}, {Type: AccountAssignmentSuccess, Fields: assigned}}, nil
}

// lastFour is the last four characters of an account number (all of a
// shorter one).
func lastFour(number string) string {
	return number[max(len(number)-4, 0):]
}

// holder is an account's number and its holder's.
type holder struct {
	entityType      string
	entity, account int64
}

// holderOf reads account id's number and its holder's, in one query (an
// account's status events do not name the holder).
func (l *Lookup) holderOf(ctx context.Context, id string) (holder, error) {
	if h, ok := l.holders[id]; ok {
		return h, nil
	}
	var kind string
	var h holder
	var user, business int64
	err := l.q.QueryRow(ctx, `SELECT a.kind, a.entity_number, COALESCE(u.entity_number, 0), COALESCE(b.entity_number, 0)
		FROM accounts a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN businesses b ON b.id = a.business_id
		WHERE a.id = ?`, id).Scan(&kind, &h.account, &user, &business)
	if err != nil {
		return h, fmt.Errorf("holder of account %s: %w", id, err)
	}
	h.entityType, h.entity = entityType(kind), h.account
	switch kind {
	case string(banking.AccountUser):
		h.entity = user
	case string(banking.AccountBusiness):
		h.entity = business
	}
	if l.holders == nil {
		l.holders = map[string]holder{}
	}
	l.holders[id] = h
	l.numbers[Ref{Accounts, id}] = h.account
	return h, nil
}

// accountStatusMapper maps a change of an account's status to typ:
// entity_id, entity_type, account_id, status (the new one: frozen, active
// or closed).
func accountStatusMapper(typ Type) Mapper {
	return Mapper{Map: func(ctx context.Context, l *Lookup, ev *banking.Event) ([]Event, error) {
		h, err := l.holderOf(ctx, ev.SubjectID)
		if err != nil {
			return nil, err
		}
		return []Event{{Type: typ, Fields: []Field{{"entity_id", EntityID(h.entity)}, {"entity_type", h.entityType},
			{"account_id", EntityID(h.account)}, {"status", changed(ev, "status")}}}}, nil
	}}
}

// side is one RBA a movement involves, as its event's changes name it
// (banking.TransferChanges): the account, its holder, and the direction
// of the money from its point of view.
type side struct {
	account, entityType, entityID string
	direction                     banking.Direction
}

func (s side) refs() []Ref {
	return []Ref{{Accounts, s.account}, holderRef(s.entityType, s.entityID, s.entityID, s.account)}
}

// sides are the RBAs of a movement event: its source (debit) and its
// destination (credit), without the outside world's side (an internal
// account, written "").
func sides(ev *banking.Event) []side {
	var out []side
	for _, end := range []struct {
		prefix string
		d      banking.Direction
	}{{"source_", banking.Debit}, {"destination_", banking.Credit}} {
		if acct := changed(ev, end.prefix+"account_id"); acct != "" {
			out = append(out, side{account: acct, entityType: changed(ev, end.prefix+"entity_type"),
				entityID: changed(ev, end.prefix+"entity_id"), direction: end.d})
		}
	}
	return out
}

func transferRefs(ev *banking.Event) []Ref {
	var refs []Ref
	for _, s := range sides(ev) {
		refs = append(refs, s.refs()...)
	}
	return refs
}

// returnIDs are a transfer.returned event's transfer_id (the movement that
// came back) and adjustment_id (the return transaction), and whether the
// event is about the return itself. The ledger reports a return about the
// original movement, its changes naming the return as
// return_transaction_id; an event about the return transaction (category
// return) names the original as reversed_transaction_id, and its sides
// move the money the other way.
func returnIDs(ev *banking.Event) (transfer, adjustment string, isReturn bool) {
	if changed(ev, "category") == string(banking.CategoryReturn) {
		return changed(ev, "reversed_transaction_id"), ev.SubjectID, true
	}
	return ev.SubjectID, changed(ev, "return_transaction_id"), false
}

// transferMapper maps a movement's event to one typ event per RBA it
// involves, with status: the fields of webhooks.md section 3's table in
// its order. account.transfer.blocked and .returned also carry account_id
// [extension], without which two events of one movement between two
// accounts of one holder could not be told apart.
func transferMapper(typ Type, status string) Mapper {
	return Mapper{Refs: transferRefs, Map: func(ctx context.Context, l *Lookup, ev *banking.Event) ([]Event, error) {
		transferID, adjustment, flip := ev.SubjectID, "", false
		if typ == AccountTransferReturned {
			transferID, adjustment, flip = returnIDs(ev)
		}
		amount, memo := changed(ev, "amount"), changed(ev, "description")
		currency := strings.ToUpper(changed(ev, "currency"))
		var out []Event
		for _, s := range sides(ev) {
			refs := s.refs()
			account, err := l.Number(ctx, refs[0])
			if err != nil {
				return nil, err
			}
			entity, err := l.Number(ctx, refs[1])
			if err != nil {
				return nil, err
			}
			direction := s.direction
			if flip {
				direction = map[banking.Direction]banking.Direction{banking.Debit: banking.Credit, banking.Credit: banking.Debit}[direction]
			}
			f := []Field{{"entity_id", EntityID(entity)}, {"entity_type", entityType(s.entityType)},
				{"account_id", EntityID(account)}}
			switch typ {
			case AccountTransferBlocked:
				f = append(f, Field{"transfer_id", transferID}, Field{"direction", string(direction)})
			case AccountTransferReturned:
				f = append(f, Field{"transfer_id", transferID}, Field{"adjustment_id", adjustment},
					Field{"currency", currency}, Field{"amount", amount}, Field{"memo", memo},
					Field{"direction", string(direction)})
			default:
				f = append(f, Field{"account_type", accountType}, Field{"transfer_id", transferID},
					Field{"currency", currency}, Field{"amount", amount}, Field{"memo", memo},
					Field{"direction", string(direction)})
			}
			f = append(f, Field{"status", status})
			if typ == AccountTransferFailed {
				reasons, codes := TransferReasons(changed(ev, "failure_reason"))
				f = append(f, Field{"reasons", reasons}, Field{"reasons_code", codes})
			}
			out = append(out, Event{Type: typ, Fields: f})
		}
		return out, nil
	}}
}

// TransferReasons are the reasons and reasons_code lists of a movement's
// failure_reason: a leading return code (a letter and two digits, e.g.
// "R01 insufficient funds") is the code and the rest its reason; any other
// text is the reason alone, with no code; none gives two empty lists.
func TransferReasons(failure string) (reasons, codes []string) {
	failure = strings.TrimSpace(failure)
	if failure == "" {
		return []string{}, []string{}
	}
	code, text, _ := strings.Cut(failure, " ")
	if len(code) == 3 && 'A' <= code[0] && code[0] <= 'Z' && isDigit(code[1]) && isDigit(code[2]) {
		if text = strings.TrimSpace(text); text == "" {
			text = code
		}
		return []string{text}, []string{code}
	}
	return []string{failure}, []string{}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
