package banking_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

var (
	allStatuses = []banking.Status{banking.StatusActive, banking.StatusBlocked}
	allKYC      = []banking.KYCStatus{banking.KYCNotStarted, banking.KYCPending, banking.KYCVerified, banking.KYCRejected}
)

// later is when the transitions under test happen, after the user was created.
var later = time.Date(2026, 4, 17, 9, 0, 0, 0, time.UTC)

// userIn returns a user with everything verification needs, in the given state.
func userIn(t *testing.T, s banking.Status, k banking.KYCStatus) banking.User {
	t.Helper()
	in := validInput()
	in.DateOfBirth = "1985-12-10"
	in.SSN = "123-45-6789"
	u, _ := mustNewUser(t, in)
	u.SSNSealed = []byte("sealed-ssn")
	u.Status, u.KYCStatus = s, k
	if k == banking.KYCRejected {
		u.KYCReason = "SSN_MISMATCH"
	}
	return u
}

// transition is one state-changing method of User, bound to its arguments.
type transition struct {
	name string
	do   func(u *banking.User) (banking.Changes, error)
	// allowed reports whether the transition is legal from (s, k), and the
	// state it leads to.
	allowed func(s banking.Status, k banking.KYCStatus) (bool, banking.Status, banking.KYCStatus)
	// changed is the one field the transition reports.
	changed string
}

var transitions = []transition{
	{
		name: "Block",
		do:   func(u *banking.User) (banking.Changes, error) { return u.Block(later) },
		allowed: func(s banking.Status, k banking.KYCStatus) (bool, banking.Status, banking.KYCStatus) {
			return s == banking.StatusActive, banking.StatusBlocked, k
		},
		changed: "status",
	},
	{
		name: "Unblock",
		do:   func(u *banking.User) (banking.Changes, error) { return u.Unblock(later) },
		allowed: func(s banking.Status, k banking.KYCStatus) (bool, banking.Status, banking.KYCStatus) {
			return s == banking.StatusBlocked, banking.StatusActive, k
		},
		changed: "status",
	},
	{
		name: "SubmitKYC",
		do:   func(u *banking.User) (banking.Changes, error) { return u.SubmitKYC(later) },
		allowed: func(s banking.Status, k banking.KYCStatus) (bool, banking.Status, banking.KYCStatus) {
			ok := s == banking.StatusActive && (k == banking.KYCNotStarted || k == banking.KYCRejected)
			return ok, s, banking.KYCPending
		},
		changed: "kyc_status",
	},
	{
		name: "ResolveKYC(verified)",
		do: func(u *banking.User) (banking.Changes, error) {
			return u.ResolveKYC(banking.KYCVerified, "", later)
		},
		allowed: func(s banking.Status, k banking.KYCStatus) (bool, banking.Status, banking.KYCStatus) {
			return k == banking.KYCPending, s, banking.KYCVerified
		},
		changed: "kyc_status",
	},
	{
		name: "ResolveKYC(rejected)",
		do: func(u *banking.User) (banking.Changes, error) {
			return u.ResolveKYC(banking.KYCRejected, "SSN_MISMATCH", later)
		},
		allowed: func(s banking.Status, k banking.KYCStatus) (bool, banking.Status, banking.KYCStatus) {
			return k == banking.KYCPending, s, banking.KYCRejected
		},
		changed: "kyc_status",
	},
}

func TestTransitionMatrix(t *testing.T) {
	for _, tr := range transitions {
		for _, s := range allStatuses {
			for _, k := range allKYC {
				t.Run(fmt.Sprintf("%s/%s/%s", tr.name, s, k), func(t *testing.T) {
					u := userIn(t, s, k)
					before := u
					ok, wantS, wantK := tr.allowed(s, k)
					ch, err := tr.do(&u)
					if !ok {
						// A blocked user's refusals are 409 blocked
						// (businesses.md section 7); other refusals conflict.
						want := banking.CodeConflict
						if tr.name == "SubmitKYC" && s == banking.StatusBlocked {
							want = banking.CodeBlocked
						}
						wantCode(t, err, want)
						if ch != nil {
							t.Errorf("changes = %v on conflict, want nil", ch)
						}
						if !reflect.DeepEqual(u, before) {
							t.Errorf("user changed on conflict:\n%+v\nwant\n%+v", u, before)
						}
						return
					}
					if err != nil {
						t.Fatalf("%s from (%s, %s) error = %v, want nil", tr.name, s, k, err)
					}
					if u.Status != wantS || u.KYCStatus != wantK {
						t.Errorf("state = (%s, %s), want (%s, %s)", u.Status, u.KYCStatus, wantS, wantK)
					}
					from, to := string(s), string(wantS)
					if tr.changed == "kyc_status" {
						from, to = string(k), string(wantK)
					}
					want := banking.Changes{tr.changed: {From: from, To: to}}
					if !reflect.DeepEqual(ch, want) {
						t.Errorf("changes = %v, want %v", ch, want)
					}
					if !u.UpdatedAt.Equal(later) {
						t.Errorf("UpdatedAt = %v, want %v", u.UpdatedAt, later)
					}
					if !u.CreatedAt.Equal(before.CreatedAt) {
						t.Errorf("CreatedAt = %v, want %v (unchanged)", u.CreatedAt, before.CreatedAt)
					}
				})
			}
		}
	}
}

func TestSubmitKYCClearsReason(t *testing.T) {
	u := userIn(t, banking.StatusActive, banking.KYCRejected)
	if _, err := u.SubmitKYC(later); err != nil {
		t.Fatalf("SubmitKYC error = %v, want nil", err)
	}
	if u.KYCReason != "" {
		t.Errorf("KYCReason = %q after resubmission, want \"\"", u.KYCReason)
	}
}

func TestResolveKYCRecordsReason(t *testing.T) {
	for _, tc := range []struct {
		to     banking.KYCStatus
		reason string
	}{{banking.KYCRejected, "SSN_MISMATCH"}, {banking.KYCVerified, ""}} {
		u := userIn(t, banking.StatusActive, banking.KYCPending)
		if _, err := u.ResolveKYC(tc.to, tc.reason, later); err != nil {
			t.Fatalf("ResolveKYC(%s) error = %v, want nil", tc.to, err)
		}
		if u.KYCReason != tc.reason {
			t.Errorf("ResolveKYC(%s) KYCReason = %q, want %q", tc.to, u.KYCReason, tc.reason)
		}
	}
}

func TestResolveKYCRejectsNonFinalDecision(t *testing.T) {
	for _, to := range []banking.KYCStatus{banking.KYCPending, banking.KYCNotStarted, "", "review"} {
		t.Run(string(to), func(t *testing.T) {
			u := userIn(t, banking.StatusActive, banking.KYCPending)
			before := u
			ch, err := u.ResolveKYC(to, "", later)
			wantCode(t, err, banking.CodeInvalid)
			if ch != nil || !reflect.DeepEqual(u, before) {
				t.Errorf("ResolveKYC(%q) changes = %v, user changed = %v, want nil, false", to, ch, !reflect.DeepEqual(u, before))
			}
		})
	}
}

func TestResolveKYCAppliesOnce(t *testing.T) {
	u := userIn(t, banking.StatusActive, banking.KYCPending)
	if _, err := u.ResolveKYC(banking.KYCVerified, "", later); err != nil {
		t.Fatalf("first ResolveKYC error = %v, want nil", err)
	}
	_, err := u.ResolveKYC(banking.KYCRejected, "SSN_MISMATCH", later.Add(time.Second))
	wantCode(t, err, banking.CodeConflict)
	if u.KYCStatus != banking.KYCVerified {
		t.Errorf("KYCStatus = %s after a second decision, want %s", u.KYCStatus, banking.KYCVerified)
	}
}

func TestSubmitKYCMissingIdentity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		noDOB   bool
		noSSN   bool
		missing []string
	}{
		{"date_of_birth", true, false, []string{"date_of_birth"}},
		{"ssn", false, true, []string{"ssn"}},
		{"both", true, true, []string{"date_of_birth", "ssn"}},
	} {
		for _, k := range []banking.KYCStatus{banking.KYCNotStarted, banking.KYCRejected} {
			t.Run(tc.name+"/"+string(k), func(t *testing.T) {
				u := userIn(t, banking.StatusActive, k)
				if tc.noDOB {
					u.DateOfBirth = ""
				}
				if tc.noSSN {
					u.SSNSealed, u.SSNLast4 = nil, ""
				}
				before := u
				ch, err := u.SubmitKYC(later)
				e := wantInvalid(t, err, tc.missing...)
				for _, f := range tc.missing {
					wantFieldMsg(t, e, f, "required")
				}
				if ch != nil || !reflect.DeepEqual(u, before) {
					t.Errorf("changes = %v, user changed = %v, want nil, false", ch, !reflect.DeepEqual(u, before))
				}
			})
		}
	}
}

func TestSubmitKYCStateCheckedBeforeMissingData(t *testing.T) {
	// A wrong state is a conflict even when data is also missing: the client
	// cannot fix it by adding fields.
	for _, tc := range []struct {
		s banking.Status
		k banking.KYCStatus
	}{
		{banking.StatusBlocked, banking.KYCNotStarted},
		{banking.StatusBlocked, banking.KYCRejected},
		{banking.StatusActive, banking.KYCPending},
		{banking.StatusActive, banking.KYCVerified},
	} {
		u := userIn(t, tc.s, tc.k)
		u.DateOfBirth, u.SSNSealed = "", nil
		_, err := u.SubmitKYC(later)
		want := banking.CodeConflict
		if tc.s == banking.StatusBlocked {
			want = banking.CodeBlocked // businesses.md section 7
		}
		if !banking.IsCode(err, want) {
			t.Errorf("SubmitKYC from (%s, %s) without identity error = %v, want code %s", tc.s, tc.k, err, want)
		}
	}
}

func TestBlockUnblockRoundTrip(t *testing.T) {
	u := userIn(t, banking.StatusActive, banking.KYCVerified)
	if _, err := u.Block(later); err != nil {
		t.Fatalf("Block error = %v", err)
	}
	if _, err := u.Block(later); !banking.IsCode(err, banking.CodeConflict) {
		t.Errorf("second Block error = %v, want code %s", err, banking.CodeConflict)
	}
	if _, err := u.SubmitKYC(later); !banking.IsCode(err, banking.CodeBlocked) {
		t.Errorf("SubmitKYC of blocked user error = %v, want code %s", err, banking.CodeBlocked)
	}
	if _, err := u.Unblock(later); err != nil {
		t.Fatalf("Unblock error = %v", err)
	}
	if u.Status != banking.StatusActive || u.KYCStatus != banking.KYCVerified {
		t.Errorf("state = (%s, %s), want (active, verified)", u.Status, u.KYCStatus)
	}
}
