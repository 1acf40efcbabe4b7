package banking

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t0      = time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	testPID = ProgramID("prog-0b5a3c1e-8f55-4a59-9a57-6a3f0e1f2d3c")
	userA   = "user-11111111-1111-4111-8111-111111111111"
	bizB    = "buss-22222222-2222-4222-8222-222222222222"
	acctA   = "rbac-33333333-3333-4333-8333-333333333333"
	acctB   = "rbac-44444444-4444-4444-8444-444444444444"
)

func validTransfer() BookTransferInput {
	return BookTransferInput{Amount: "25.00", SourceEntityID: userA, SourceEntityType: "user", SourceAccountID: acctA,
		DestinationEntityID: bizB, DestinationEntityType: "business", DestinationAccountID: acctB,
		Description: "rent", HasKey: true}
}

// TestParseBookTransfer: step 1 of money.md section 4 names every wrong
// field at once (400); only a well-formed body reaches step 2, where an id
// of the wrong kind is 404.
func TestParseBookTransfer(t *testing.T) {
	bt, err := ParseBookTransfer(testPID, validTransfer())
	if err != nil {
		t.Fatal(err)
	}
	if bt.Amount != 2500 || bt.Source != (Side{EntityUser, userA, AccountID(acctA)}) ||
		bt.Destination != (Side{EntityBusiness, bizB, AccountID(acctB)}) || bt.Description != "rent" {
		t.Errorf("parsed %+v", bt)
	}
	for _, c := range []struct {
		name   string
		change func(*BookTransferInput)
		fields []string // 400 naming these; nil: 404
	}{
		{"everything missing", func(in *BookTransferInput) { *in = BookTransferInput{} }, []string{"amount",
			"source_entity_id", "source_entity_type", "source_routable_bank_account_id", "destination_entity_id",
			"destination_entity_type", "destination_routable_bank_account_id", "description", "idempotent_key"}},
		{"no idempotent_key", func(in *BookTransferInput) { in.HasKey = false }, []string{"idempotent_key"}},
		{"amount as a number's text", func(in *BookTransferInput) { in.Amount = "25" }, []string{"amount"}},
		{"same account", func(in *BookTransferInput) { in.DestinationAccountID = acctA }, []string{"destination_routable_bank_account_id"}},
		{"entity type", func(in *BookTransferInput) { in.SourceEntityType = "USER" }, []string{"source_entity_type"}},
		{"description blank", func(in *BookTransferInput) { in.Description = "  " }, []string{"description"}},
		{"description long", func(in *BookTransferInput) { in.Description = strings.Repeat("x", 256) }, []string{"description"}},
		{"reference long", func(in *BookTransferInput) { in.Reference = strings.Repeat("x", 256) }, []string{"reference"}},
		{"currency", func(in *BookTransferInput) { in.Currency = new("eur") }, []string{"currency"}},
		{"currency sent empty", func(in *BookTransferInput) { in.Currency = new("") }, []string{"currency"}},
		{"metadata keys", func(in *BookTransferInput) {
			in.Metadata = map[string]string{}
			for i := range 21 {
				in.Metadata[strings.Repeat("k", i+1)] = "v"
			}
		}, []string{"metadata"}},
		{"metadata empty key", func(in *BookTransferInput) { in.Metadata = map[string]string{"": "v"} }, []string{"metadata"}},
		{"bad body and bad id", func(in *BookTransferInput) { in.Amount = "0.00"; in.SourceAccountID = "bbac-x" }, []string{"amount"}},
		{"linked account as source", func(in *BookTransferInput) {
			in.SourceAccountID = "bbac-33333333-3333-4333-8333-333333333333"
		}, nil},
		{"user id as business", func(in *BookTransferInput) { in.DestinationEntityID = userA }, nil},
		{"business id as user", func(in *BookTransferInput) { in.SourceEntityID = bizB }, nil},
		{"another program", func(in *BookTransferInput) {
			in.SourceEntityType, in.SourceEntityID = "program", "prog-99999999-9999-4999-8999-999999999999"
		}, nil},
	} {
		in := validTransfer()
		c.change(&in)
		_, err := ParseBookTransfer(testPID, in)
		e := AsError(err)
		if c.fields == nil {
			if err == nil || e.Code != CodeNotFound {
				t.Errorf("%s: %v, want 404", c.name, err)
			}
			continue
		}
		if err == nil || e.Code != CodeInvalid {
			t.Errorf("%s: %v, want 400", c.name, err)
			continue
		}
		if got := slices.Sorted(maps.Keys(e.Fields)); !slices.Equal(got, slices.Sorted(slices.Values(c.fields))) {
			t.Errorf("%s: fields %v, want %v", c.name, got, c.fields)
		}
	}
	in := validTransfer()
	in.Currency, in.SourceEntityType, in.SourceEntityID = new("USD"), "program", string(testPID)
	if _, err := ParseBookTransfer(testPID, in); err != nil {
		t.Errorf("currency USD, the program as source: %v", err)
	}
}

func party(kind AccountKind, st AccountStatus, avail int64, h Holder) *Party {
	h.Kind = kind
	return &Party{Account: Account{Kind: kind, Status: st, Balance: Balance{Posted: avail}}, Holder: h}
}

var okUser = Holder{UserStatus: StatusActive, KYCStatus: KYCVerified}

// TestCheckMovementOrder: steps 3 to 6 answer the first failure in the
// stated order, whichever side fails.
func TestCheckMovementOrder(t *testing.T) {
	blockedOwner := Holder{UserStatus: StatusBlocked, KYCStatus: KYCVerified, BusinessStatus: StatusActive, KYBStatus: KYCVerified}
	unverifiedBiz := Holder{UserStatus: StatusActive, BusinessStatus: StatusActive, KYBStatus: KYCPending}
	for _, c := range []struct {
		name     string
		src, dst *Party
		amount   int64
		want     Code
	}{
		{"fine", party(AccountUser, AccountActive, 100, okUser), party(AccountMaster, AccountActive, 0, Holder{}), 100, ""},
		{"blocked beats everything", party(AccountUser, AccountFrozen, 0, Holder{UserStatus: StatusBlocked}),
			party(AccountUser, AccountClosed, 0, Holder{}), 100, CodeBlocked},
		{"blocked owner of the destination business", party(AccountUser, AccountActive, 100, okUser),
			party(AccountBusiness, AccountActive, 0, blockedOwner), 1, CodeBlocked},
		{"not verified before not active", party(AccountUser, AccountFrozen, 0, okUser),
			party(AccountBusiness, AccountActive, 0, unverifiedBiz), 1, CodeNotVerified},
		{"frozen source", party(AccountUser, AccountFrozen, 100, okUser), party(AccountMaster, AccountActive, 0, Holder{}), 1, CodeAccountNotActive},
		{"frozen destination receives", party(AccountMaster, AccountActive, 100, Holder{}), party(AccountUser, AccountFrozen, 0, okUser), 1, ""},
		{"closed destination", party(AccountMaster, AccountActive, 100, Holder{}), party(AccountUser, AccountClosed, 0, okUser), 1, CodeAccountNotActive},
		{"not enough", party(AccountUser, AccountActive, 99, okUser), party(AccountMaster, AccountActive, 0, Holder{}), 100, CodeInsufficientFunds},
		{"clearing may go negative", party(AccountClearing, AccountActive, -5, Holder{}), party(AccountUser, AccountActive, 0, okUser), 100, ""},
	} {
		err := CheckMovement(c.src, c.dst, c.amount)
		if got := ErrorCode(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Pending debits count against the available balance.
	src := party(AccountUser, AccountActive, 100, okUser)
	src.Account.Balance.PendingDebits = 60
	if err := CheckMovement(src, nil, 41); !IsCode(err, CodeInsufficientFunds) {
		t.Errorf("41.00 out of 100 with 60 pending: %v, want insufficient_funds", err)
	}
}

// TestAccountTransitions: freeze, unfreeze and close, and what close needs.
func TestAccountTransitions(t *testing.T) {
	a := Account{Kind: AccountUser, Status: AccountActive}
	if _, err := a.Unfreeze(t0); !IsCode(err, CodeConflict) {
		t.Errorf("unfreeze an active account: %v", err)
	}
	if ch, err := a.Freeze(t0); err != nil || a.Status != AccountFrozen || ch["status"] != (Change{"active", "frozen"}) {
		t.Errorf("freeze: %v %v %v", a.Status, ch, err)
	}
	if _, err := a.Freeze(t0); !IsCode(err, CodeConflict) {
		t.Errorf("freeze a frozen account: %v", err)
	}
	a.Balance.PendingCredits = 1
	if _, err := a.Close(t0); !IsCode(err, CodeConflict) {
		t.Errorf("close with a pending credit: %v", err)
	}
	a.Balance = Balance{}
	if _, err := a.Close(t0); err != nil || a.Status != AccountClosed {
		t.Errorf("close an empty frozen account: %v", err)
	}
	for _, f := range []func(*Account, time.Time) (Changes, error){(*Account).Freeze, (*Account).Unfreeze, (*Account).Close} {
		if _, err := f(&a, t0); !IsCode(err, CodeConflict) {
			t.Errorf("a transition of a closed account: %v", err)
		}
	}
	m := Account{Kind: AccountMaster, Status: AccountActive}
	if _, err := m.Close(t0); !IsCode(err, CodeConflict) {
		t.Errorf("close the master account: %v", err)
	}
}

// TestCheckIssue: the gate of money.md section 2.1.
func TestCheckIssue(t *testing.T) {
	for _, c := range []struct {
		h    Holder
		open int
		want Code
	}{
		{Holder{Kind: AccountUser, UserStatus: StatusActive, KYCStatus: KYCVerified}, 4, ""},
		{Holder{Kind: AccountUser, UserStatus: StatusActive, KYCStatus: KYCVerified}, 5, CodeConflict},
		{Holder{Kind: AccountUser, UserStatus: StatusBlocked, KYCStatus: KYCVerified}, 5, CodeBlocked},
		{Holder{Kind: AccountUser, UserStatus: StatusActive, KYCStatus: KYCRejected}, 0, CodeNotVerified},
		{Holder{Kind: AccountBusiness, UserStatus: StatusActive, KYCStatus: KYCNotStarted, BusinessStatus: StatusActive, KYBStatus: KYCVerified}, 0, ""},
		{Holder{Kind: AccountBusiness, UserStatus: StatusBlocked, BusinessStatus: StatusActive, KYBStatus: KYCVerified}, 0, CodeBlocked},
		{Holder{Kind: AccountBusiness, UserStatus: StatusActive, BusinessStatus: StatusActive, KYBStatus: KYCPending}, 0, CodeNotVerified},
	} {
		if err := c.h.CheckIssue(c.open); (c.want == "" && err != nil) || (c.want != "" && ErrorCode(err) != c.want) {
			t.Errorf("%+v with %d open: %v, want %q", c.h, c.open, err, c.want)
		}
	}
}

// TestParseTxFilter: directions, statuses and inclusive date ranges.
func TestParseTxFilter(t *testing.T) {
	f, err := ParseTxFilter("credit", "completed", "2026-04-01", "2026-04-30", 1, 10)
	if err != nil || f.Direction != Credit || f.Status != TxCompleted ||
		!f.From.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) || !f.To.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("%+v %v", f, err)
	}
	f, err = ParseTxFilter("", "", "2026-04-16T12:00:00Z", "2026-04-16T12:00:00.5+02:00", 1, 10)
	if err == nil {
		t.Errorf("end before start: %+v", f)
	}
	f, err = ParseTxFilter("", "", "2026-04-16T12:00:00Z", "2026-04-16T12:00:00Z", 1, 10)
	if err != nil || f.To.Sub(f.From) != time.Millisecond {
		t.Errorf("one instant: %+v %v", f, err)
	}
	_, err = ParseTxFilter("in", "done", "yesterday", "2026-13-01", 1, 10)
	if got := slices.Sorted(maps.Keys(AsError(err).Fields)); !slices.Equal(got, []string{"direction", "end_date", "start_date", "status"}) {
		t.Errorf("bad filters name %v", got)
	}
}
