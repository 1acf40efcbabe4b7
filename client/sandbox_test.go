package client_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
)

// The SDK's retries against the sandbox's injected faults: a retried
// mutation survives count 500s and 429s and runs once; one more fault than
// it retries surfaces the injected error; latency delays the real answer.
func TestSandboxFaultsDriveRetries(t *testing.T) {
	in := newIngot(t)
	ctx := context.Background()
	c := client.New(in.URL, in.creds.APIKey, in.creds.HMACUsername, in.creds.HMACSecret,
		client.WithBackoff(time.Millisecond, 2*time.Millisecond), client.WithMaxRetries(3))
	for _, status := range []int{500, 429, 503} {
		if _, err := c.Sandbox.SetFault(ctx, apitype.FaultRequest{Path: "user/create", Status: ptr(status), Count: ptr[int64](3)}); err != nil {
			t.Fatal(err)
		}
		email := "ada" + strconv.Itoa(status) + "@acme.example"
		u, err := c.CreateUser(ctx, validUser(email))
		if err != nil {
			t.Fatalf("status %d: create after 3 faults with 3 retries: %v", status, err)
		}
		page, err := c.ListUsers(ctx, apitype.ListUsersRequest{Search: email})
		if err != nil || page.Pagination.Total != 1 || page.Items[0].ID != u.ID {
			t.Errorf("status %d: users named %s: %+v, %v; want exactly the one created", status, email, page, err)
		}
	}
	// Four faults against three retries: the fourth answer is the caller's.
	if _, err := c.Sandbox.SetFault(ctx, apitype.FaultRequest{Path: "user/get-all", Status: ptr(503), Count: ptr[int64](4)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ListUsers(ctx, apitype.ListUsersRequest{})
	var e *client.Error
	if !errors.As(err, &e) || e.Code != "injected_fault" || e.StatusCode != 503 {
		t.Errorf("list after 4 faults: %v, want the injected 503", err)
	}
	if _, err := c.ListUsers(ctx, apitype.ListUsersRequest{}); err != nil {
		t.Errorf("list once the faults ran out: %v", err)
	}
	// Latency only.
	if _, err := c.Sandbox.SetFault(ctx, apitype.FaultRequest{Path: "*", Status: ptr(0), LatencyMS: ptr(200)}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.ListUsers(ctx, apitype.ListUsersRequest{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("a 200 ms latency fault answered after %v", d)
	}
	// A client deadline shorter than the latency ends the call.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.ListUsers(short, apitype.ListUsersRequest{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("call under a 50 ms deadline against 200 ms latency: %v, want the deadline", err)
	}
	fs, err := c.Sandbox.Faults(ctx)
	if err != nil || len(fs) != 3 {
		t.Errorf("faults: %+v, %v", fs, err)
	}
	if err := c.Sandbox.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSandboxClientControl(t *testing.T) {
	in := newIngot(t)
	ctx := context.Background()
	c := client.New(in.URL, in.creds.APIKey, in.creds.HMACUsername, in.creds.HMACSecret)
	now, err := c.Sandbox.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	later, err := c.Sandbox.Advance(ctx, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if d := later.Sub(now); d < 48*time.Hour || d > 48*time.Hour+time.Minute {
		t.Errorf("advance by 48 h moved the clock by %v", d)
	}
	if _, err := c.Sandbox.Advance(ctx, 0); !errors.Is(err, client.ErrInvalid) {
		t.Errorf("advance 0: %v, want ErrInvalid", err)
	}
	u, err := c.CreateUser(ctx, validUser("ada@acme.example"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sandbox.DecideKYC(ctx, u.ID, "verified"); !errors.Is(err, client.ErrConflict) {
		t.Errorf("decide a user not pending: %v, want ErrConflict", err)
	}
	if err := c.Sandbox.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetUser(ctx, u.ID); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("user after reset: %v, want ErrNotFound", err)
	}
	prod := newIngotWith(t, serverOptions{production: true})
	p := client.New(prod.URL, prod.creds.APIKey, prod.creds.HMACUsername, prod.creds.HMACSecret)
	if err := p.Sandbox.Reset(ctx); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("reset on a production server: %v, want ErrNotFound", err)
	}
}
