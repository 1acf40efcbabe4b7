package kyc_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/kyc"
)

var _ kyc.Provider = kyc.Sandbox{}

func subject(ssn string) kyc.Subject {
	return kyc.Subject{UserID: "user-1", FirstName: "Ada", LastName: "Lovelace", DateOfBirth: "1985-12-10", SSN: ssn}
}

func TestSandboxName(t *testing.T) {
	if got := (kyc.Sandbox{}).Name(); got != "sandbox" {
		t.Errorf("Name() = %q, want %q", got, "sandbox")
	}
}

func TestSandboxOutcomes(t *testing.T) {
	for _, tc := range []struct {
		ssn  string
		want kyc.Decision
	}{
		{"123450001", kyc.Decision{Outcome: kyc.Rejected, Reason: "SSN_MISMATCH"}},
		{"123-45-0001", kyc.Decision{Outcome: kyc.Rejected, Reason: "SSN_MISMATCH"}},
		{"000000001", kyc.Decision{Outcome: kyc.Rejected, Reason: "SSN_MISMATCH"}},
		{"123450002", kyc.Decision{Outcome: kyc.Review, Reason: "MANUAL_REVIEW"}},
		{"999-99-0002", kyc.Decision{Outcome: kyc.Review, Reason: "MANUAL_REVIEW"}},
		{"123456789", kyc.Decision{Outcome: kyc.Verified}},
		{"123450000", kyc.Decision{Outcome: kyc.Verified}},
		{"123450003", kyc.Decision{Outcome: kyc.Verified}},
		{"123450010", kyc.Decision{Outcome: kyc.Verified}},
		{"000100000", kyc.Decision{Outcome: kyc.Verified}}, // 0001 elsewhere than the end
		{"123451001", kyc.Decision{Outcome: kyc.Verified}},
	} {
		t.Run(tc.ssn, func(t *testing.T) {
			got, err := kyc.Sandbox{}.Check(context.Background(), subject(tc.ssn))
			if err != nil {
				t.Fatalf("Check(%s) error = %v, want nil", tc.ssn, err)
			}
			if got != tc.want {
				t.Errorf("Check(%s) = %+v, want %+v", tc.ssn, got, tc.want)
			}
		})
	}
}

func TestSandboxDelayElapses(t *testing.T) {
	// A short delay ends with the decision, not with an error.
	got, err := kyc.Sandbox{Delay: time.Millisecond}.Check(context.Background(), subject("123450001"))
	if err != nil {
		t.Fatalf("Check error = %v, want nil", err)
	}
	if want := (kyc.Decision{Outcome: kyc.Rejected, Reason: "SSN_MISMATCH"}); got != want {
		t.Errorf("Check = %+v, want %+v", got, want)
	}
}

func TestSandboxDelayHonoured(t *testing.T) {
	// With a deadline shorter than the delay, Check has not decided when
	// the deadline passes: the delay is really waited for.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	got, err := kyc.Sandbox{Delay: time.Hour}.Check(ctx, subject("123456789"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Check error = %v, want context.DeadlineExceeded", err)
	}
	if got != (kyc.Decision{}) {
		t.Errorf("Check = %+v with an error, want the zero Decision", got)
	}
}

func TestSandboxCancelDuringDelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		d   kyc.Decision
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := kyc.Sandbox{Delay: time.Hour}.Check(ctx, subject("123456789"))
		done <- result{d, err}
	}()
	cancel()
	select {
	case r := <-done:
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("Check error = %v, want context.Canceled", r.err)
		}
		if r.d != (kyc.Decision{}) {
			t.Errorf("Check = %+v after cancel, want the zero Decision", r.d)
		}
	case <-time.After(time.Minute):
		// A watchdog far below the one-hour delay, not a timing assertion.
		t.Fatal("Check did not return after its context was cancelled")
	}
}

func TestSandboxAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := kyc.Sandbox{Delay: time.Hour}.Check(ctx, subject("123456789"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Check(cancelled ctx) error = %v, want context.Canceled", err)
	}
}

func business(ein string, ssns ...string) kyc.Business {
	b := kyc.Business{ID: "buss-1", Name: "Acme LLC", EIN: ein, Type: "llc"}
	for _, s := range ssns {
		b.Owners = append(b.Owners, subject(s))
	}
	return b
}

var (
	verified     = kyc.Decision{Outcome: kyc.Verified}
	ssnRejected  = kyc.Decision{Outcome: kyc.Rejected, Reason: "SSN_MISMATCH"}
	manualReview = kyc.Decision{Outcome: kyc.Review, Reason: "MANUAL_REVIEW"}
)

// TestSandboxBusinessOutcomes: the rules of businesses.md section 5.
func TestSandboxBusinessOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		b      kyc.Business
		want   kyc.Decision
		owners []kyc.Decision
	}{
		{"verified", business("12-3456789", "123456789", "123450002"),
			verified, []kyc.Decision{verified, verified}},
		{"EIN 0001", business("12-3450001", "123456789"),
			kyc.Decision{Outcome: kyc.Rejected, Reason: "EIN_MISMATCH"}, []kyc.Decision{verified}},
		{"EIN 0001 and an owner 0001", business("12-3450001", "123450001"),
			kyc.Decision{Outcome: kyc.Rejected, Reason: "EIN_MISMATCH"}, []kyc.Decision{ssnRejected}},
		{"EIN 0002", business("12-3450002", "123450001", "123456789"),
			manualReview, []kyc.Decision{manualReview, manualReview}},
		{"one owner 0001", business("12-3456789", "123456789", "123-45-0001"),
			kyc.Decision{Outcome: kyc.Rejected, Reason: "OWNER_KYC_FAILED"}, []kyc.Decision{verified, ssnRejected}},
		{"0001 elsewhere in the EIN", business("00-0010000", "123456789"), verified, []kyc.Decision{verified}},
		{"EIN ending 1001", business("12-3451001", "123456789"), verified, []kyc.Decision{verified}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kyc.Sandbox{}.CheckBusiness(context.Background(), tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Decision != tc.want || !slices.Equal(got.Owners, tc.owners) {
				t.Errorf("CheckBusiness = %+v, want %+v with owners %+v", got, tc.want, tc.owners)
			}
		})
	}
}

func TestManualBusinessWaits(t *testing.T) {
	got, err := kyc.Manual{}.CheckBusiness(context.Background(), business("12-3456789", "123456789"))
	if err != nil || got.Decision != manualReview || !slices.Equal(got.Owners, []kyc.Decision{manualReview}) {
		t.Errorf("Manual.CheckBusiness = %+v, %v; want review for all", got, err)
	}
}

func TestSandboxBusinessDelayHonoured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := (kyc.Sandbox{Delay: time.Hour}).CheckBusiness(ctx, business("12-3456789")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CheckBusiness error = %v, want context.DeadlineExceeded", err)
	}
}
