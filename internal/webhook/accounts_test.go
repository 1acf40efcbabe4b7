package webhook

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// The ledger's mappers on built audit events; the API tests
// (internal/httpapi/webhook_ledger_test.go) drive the same events through
// the ledger on both engines. These cover what the ledger cannot produce
// through the API today (a failed, blocked or returned movement).

var (
	ltxTime   = time.Date(2026, 4, 16, 12, 34, 56, 0, time.UTC)
	ltxUser   = "user-0190a0b0-0000-7000-8000-000000000001"
	ltxBiz    = "buss-0190a0b0-0000-7000-8000-000000000002"
	ltxProg   = banking.ProgramID("prog-0190a0b0-0000-7000-8000-000000000003")
	ltxUserA  = "rbac-0190a0b0-0000-7000-8000-00000000000a"
	ltxBizA   = "rbac-0190a0b0-0000-7000-8000-00000000000b"
	ltxMaster = string(banking.MasterAccountID(ltxProg))
)

// ltxLookup is a Lookup that knows every number the tests' events name
// (and fails any query: none should be needed).
func ltxLookup() *Lookup {
	l := NewLookup(nil)
	l.Routing = "021000021"
	for r, n := range map[Ref]int64{{Users, ltxUser}: 11, {Businesses, ltxBiz}: 12, {Accounts, ltxUserA}: 21,
		{Accounts, ltxBizA}: 22, {Accounts, ltxMaster}: 3} {
		l.numbers[r] = n
	}
	return l
}

// render writes an event's fields as "key=value" in order.
func render(e Event) string {
	var parts []string
	var field func(prefix string, f Field)
	field = func(prefix string, f Field) {
		if o, ok := f.Value.(Object); ok {
			for _, g := range o {
				field(prefix+f.Key+".", g)
			}
			return
		}
		parts = append(parts, fmt.Sprintf("%s%s=%v", prefix, f.Key, f.Value))
	}
	for _, f := range e.Fields {
		field("", f)
	}
	return string(e.Type) + ": " + strings.Join(parts, " ")
}

func mapAll(t *testing.T, ev banking.Event) []string {
	t.Helper()
	m, ok := MapperFor(ev.Type)
	if !ok {
		t.Fatalf("no mapper for %s", ev.Type)
	}
	l := ltxLookup()
	if m.Refs != nil {
		for _, r := range m.Refs(&ev) {
			if _, ok := l.numbers[r]; !ok {
				t.Errorf("%s: Refs names %v, which the event does not involve", ev.Type, r)
			}
		}
	}
	outs, err := m.Map(context.Background(), l, &ev)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range outs {
		got = append(got, render(o))
	}
	return got
}

func ltx(status banking.TxStatus, src, dst string, srcType banking.EntityType, srcID string, dstType banking.EntityType, dstID string) banking.Transaction {
	return banking.Transaction{ID: "ltra-0190a0b0-0000-7000-8000-0000000000ff", ProgramID: ltxProg, Amount: 12345,
		Status: status, Category: banking.CategoryBookTransfer, Method: banking.MethodBook,
		SourceAccountID: banking.AccountID(src), DestinationAccountID: banking.AccountID(dst),
		SourceEntityType: srcType, SourceEntityID: srcID, DestinationEntityType: dstType, DestinationEntityID: dstID,
		Description: "rent", CreatedAt: ltxTime, UpdatedAt: ltxTime}
}

func TestTransferMappers(t *testing.T) {
	book := ltx(banking.TxPending, ltxUserA, ltxBizA, banking.EntityUser, ltxUser, banking.EntityBusiness, ltxBiz)
	const id = "ltra-0190a0b0-0000-7000-8000-0000000000ff"
	event := func(tr banking.Transaction, typ banking.EventType, before banking.TxStatus) banking.Event {
		return banking.NewTransferEvent(&tr, typ, "ledger", banking.TransferChanges(&tr, before), ltxTime)
	}
	failed := book
	failed.Status, failed.FailureReason = banking.TxFailed, "R01 insufficient funds"
	blocked := book
	blocked.Status = banking.TxBlocked
	completed := book
	completed.Status, completed.PostingDate = banking.TxCompleted, ltxTime
	// An inbound wire: the outside world's side (the clearing account)
	// gets no event.
	inbound := ltx(banking.TxCompleted, string(banking.ClearingAccountID(ltxProg)), ltxMaster, "", "", banking.EntityProgram, string(ltxProg))
	inbound.Category, inbound.Method = banking.CategoryInboundTransfer, banking.MethodWire
	returned := event(completed, banking.EventTransferReturned, banking.TxCompleted)
	returned.Changes["status"] = banking.Change{From: "completed", To: "returned"}
	returned.Changes["return_transaction_id"] = banking.Change{From: "", To: "ltra-return"}
	// The same return told about the return transaction itself: it moves
	// the money back, so its sides are the original's swapped.
	back := ltx(banking.TxCompleted, ltxBizA, ltxUserA, banking.EntityBusiness, ltxBiz, banking.EntityUser, ltxUser)
	back.ID, back.Category, back.ReversedTransactionID = "ltra-return", banking.CategoryReturn, id
	aboutReturn := event(back, banking.EventTransferReturned, "")
	aboutReturn.Changes["reversed_transaction_id"] = banking.Change{From: "", To: id}

	money := "currency=USD amount=123.45 memo=rent"
	for _, c := range []struct {
		name string
		ev   banking.Event
		want []string
	}{
		{"created", event(book, banking.EventTransferCreated, ""), []string{
			"account.transfer.created: entity_id=11 entity_type=user account_id=21 account_type=routable transfer_id=" + id + " " + money + " direction=debit status=pending",
			"account.transfer.created: entity_id=12 entity_type=business account_id=22 account_type=routable transfer_id=" + id + " " + money + " direction=credit status=pending",
		}},
		{"completed", event(completed, banking.EventTransferCompleted, banking.TxPending), []string{
			"account.transfer.completed: entity_id=11 entity_type=user account_id=21 account_type=routable transfer_id=" + id + " " + money + " direction=debit status=completed",
			"account.transfer.completed: entity_id=12 entity_type=business account_id=22 account_type=routable transfer_id=" + id + " " + money + " direction=credit status=completed",
		}},
		{"failed", event(failed, banking.EventTransferFailed, banking.TxPending), []string{
			"account.transfer.failed: entity_id=11 entity_type=user account_id=21 account_type=routable transfer_id=" + id + " " + money + " direction=debit status=failed reasons=[insufficient funds] reasons_code=[R01]",
			"account.transfer.failed: entity_id=12 entity_type=business account_id=22 account_type=routable transfer_id=" + id + " " + money + " direction=credit status=failed reasons=[insufficient funds] reasons_code=[R01]",
		}},
		{"blocked", event(blocked, banking.EventTransferBlocked, banking.TxPending), []string{
			"account.transfer.blocked: entity_id=11 entity_type=user account_id=21 transfer_id=" + id + " direction=debit status=blocked",
			"account.transfer.blocked: entity_id=12 entity_type=business account_id=22 transfer_id=" + id + " direction=credit status=blocked",
		}},
		{"returned", returned, []string{
			"account.transfer.returned: entity_id=11 entity_type=user account_id=21 transfer_id=" + id + " adjustment_id=ltra-return " + money + " direction=debit status=returned",
			"account.transfer.returned: entity_id=12 entity_type=business account_id=22 transfer_id=" + id + " adjustment_id=ltra-return " + money + " direction=credit status=returned",
		}},
		{"returned, told about the return", aboutReturn, []string{
			"account.transfer.returned: entity_id=12 entity_type=business account_id=22 transfer_id=" + id + " adjustment_id=ltra-return " + money + " direction=credit status=returned",
			"account.transfer.returned: entity_id=11 entity_type=user account_id=21 transfer_id=" + id + " adjustment_id=ltra-return " + money + " direction=debit status=returned",
		}},
		{"inbound to the master account", event(inbound, banking.EventTransferCompleted, ""), []string{
			"account.transfer.completed: entity_id=3 entity_type=program account_id=3 account_type=routable transfer_id=" + id + " " + money + " direction=credit status=completed",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := mapAll(t, c.ev)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("mapped to\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestIssuedMapper(t *testing.T) {
	for _, c := range []struct {
		name    string
		account banking.Account
		who     string
	}{
		{"user", banking.Account{ID: banking.AccountID(ltxUserA), ProgramID: ltxProg, Kind: banking.AccountUser,
			UserID: banking.UserID(ltxUser), Number: "2718281828", Status: banking.AccountActive}, "entity_id=11 entity_type=user"},
		{"business", banking.Account{ID: banking.AccountID(ltxBizA), ProgramID: ltxProg, Kind: banking.AccountBusiness,
			UserID: banking.UserID(ltxUser), BusinessID: banking.BusinessID(ltxBiz), Number: "3141592653", Status: banking.AccountActive},
			"entity_id=12 entity_type=business"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := c.account
			ev := banking.NewAccountEvent(&a, banking.EventAccountIssued, "program:x", "", banking.IssuedChanges(&a), ltxTime)
			got := mapAll(t, ev)
			n := map[string]string{ltxUserA: "21", ltxBizA: "22"}[string(a.ID)]
			want := []string{
				"account.issue.created: " + c.who + " account_id=" + n + " status=completed",
				"account.assignment.success: " + c.who + " status=completed account.account_id=" + n +
					" account.status=active account.number=" + a.Number[6:] + " account.routing=021000021 account.bank_name= account.type=vban",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("mapped to\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, g := range got {
				if strings.Contains(g, a.Number) {
					t.Errorf("a webhook carries the full account number: %s", g)
				}
			}
		})
	}
}

func TestTransferReasons(t *testing.T) {
	for _, c := range []struct{ in, reasons, codes string }{
		{"", "[]", "[]"},
		{"R01 insufficient funds", "[insufficient funds]", "[R01]"},
		{"R10", "[R10]", "[R10]"},
		{"held for review", "[held for review]", "[]"},
		{"r01 lower case is text", "[r01 lower case is text]", "[]"},
	} {
		reasons, codes := TransferReasons(c.in)
		if fmt.Sprint(reasons) != c.reasons || fmt.Sprint(codes) != c.codes || reasons == nil || codes == nil {
			t.Errorf("TransferReasons(%q) = %v, %v; want %s, %s (never nil: JSON [])", c.in, reasons, codes, c.reasons, c.codes)
		}
	}
}
