package client_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
)

func eventTypes(evs []apitype.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

func TestUserLifecycle(t *testing.T) {
	in := newIngot(t)
	c := in.client()
	ctx := context.Background()

	req := validUser("ada@example.com")
	req.DateOfBirth = "1990-12-10"
	req.SSN = "123-45-6789"
	u, err := c.CreateUser(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.ID, "user-") || u.Status != "active" || u.KYCStatus != "not_started" || u.SSNLast4 != "6789" {
		t.Errorf("created user = %+v", u)
	}

	got, err := c.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != u {
		t.Errorf("GetUser = %+v, want %+v", got, u)
	}

	mustCreate(t, c, "grace@example.com")
	page, err := c.ListUsers(ctx, apitype.ListUsersRequest{Email: "ADA@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != u.ID || page.Pagination.Total != 1 {
		t.Errorf("ListUsers(email) = %+v", page)
	}
	page, err = c.ListUsers(ctx, apitype.ListUsersRequest{PerPage: ptr(1), Sort: "created_at:asc"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != u.ID || page.Pagination.Total != 2 ||
		page.Pagination.PerPage != 1 || page.Pagination.Sort != "created_at:asc" {
		t.Errorf("ListUsers(per_page 1, asc) = %+v", page)
	}

	upd, err := c.UpdateUser(ctx, apitype.UpdateUserRequest{UserID: u.ID, City: ptr("Oakland")})
	if err != nil {
		t.Fatal(err)
	}
	if upd.City != "Oakland" || upd.FirstName != "Ada" {
		t.Errorf("updated user = %+v", upd)
	}

	b, err := c.BlockUser(ctx, u.ID, "fraud review")
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != "blocked" {
		t.Errorf("after block status = %q", b.Status)
	}
	ub, err := c.UnblockUser(ctx, u.ID, "cleared")
	if err != nil {
		t.Fatal(err)
	}
	if ub.Status != "active" {
		t.Errorf("after unblock status = %q", ub.Status)
	}

	if err := c.SendVerificationRequest(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	// The sandbox decides in the background; a bounded wait, not a timing
	// assertion.
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, err := c.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if g.KYCStatus == "verified" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kyc_status = %q after 5s, want verified", g.KYCStatus)
		}
		time.Sleep(10 * time.Millisecond)
	}

	evs, err := c.UserEvents(ctx, apitype.UserEventsRequest{UserID: u.ID, PerPage: ptr(500)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"user.kyc.verified", "user.kyc.submitted", "user.unblocked", "user.blocked", "user.updated", "user.created"}
	if got := eventTypes(evs.Items); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if evs.Items[3].Reason != "fraud review" {
		t.Errorf("block event reason = %q", evs.Items[3].Reason)
	}
	if ch := evs.Items[4].Changes["city"]; ch.From != "San Francisco" || ch.To != "Oakland" {
		t.Errorf("update event city change = %+v", ch)
	}
}

func TestAPIErrors(t *testing.T) {
	in := newIngot(t)
	c := in.client()
	ctx := context.Background()
	u := mustCreate(t, c, "ada@example.com")

	t.Run("not found", func(t *testing.T) {
		_, err := c.GetUser(ctx, "user-0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b")
		e := wantAPIError(t, err, 404, client.ErrNotFound)
		if !strings.HasPrefix(e.RequestID, "req-") || e.Message == "" {
			t.Errorf("error = %#v, want a message and a req- request id", e)
		}
		if errors.Is(err, client.ErrConflict) {
			t.Error("a not_found error matches ErrConflict")
		}
	})
	t.Run("another program's user is not found", func(t *testing.T) {
		_, err := in.otherProgram(t).BlockUser(ctx, u.ID, "")
		wantAPIError(t, err, 404, client.ErrNotFound)
	})
	t.Run("duplicate email", func(t *testing.T) {
		_, err := c.CreateUser(ctx, validUser("ADA@example.com"))
		wantAPIError(t, err, 409, client.ErrConflict)
	})
	t.Run("unblock an active user", func(t *testing.T) {
		_, err := c.UnblockUser(ctx, u.ID, "")
		wantAPIError(t, err, 409, client.ErrConflict)
	})
	t.Run("invalid fields", func(t *testing.T) {
		req := validUser("not-an-email")
		req.PostalCode = "9410"
		_, err := c.CreateUser(ctx, req)
		e := wantAPIError(t, err, 400, client.ErrInvalid)
		if e.Fields["email"] == "" || e.Fields["postal_code"] == "" {
			t.Errorf("Fields = %v, want email and postal_code", e.Fields)
		}
		if !strings.Contains(err.Error(), "postal_code") {
			t.Errorf("Error() = %q, want it to name the failing field", err)
		}
	})
	t.Run("verification without ssn", func(t *testing.T) {
		err := c.SendVerificationRequest(ctx, u.ID)
		e := wantAPIError(t, err, 400, client.ErrInvalid)
		if e.Fields["ssn"] == "" {
			t.Errorf("Fields = %v, want ssn", e.Fields)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		const wrong = "0123456789abcdef-wrong-secret"
		bad := client.New(in.URL, in.creds.APIKey, in.creds.HMACUsername, wrong)
		_, err := bad.GetUser(ctx, u.ID)
		wantAPIError(t, err, 401, client.ErrUnauthenticated)
		if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), in.creds.HMACSecret) {
			t.Errorf("error %q contains a secret", err)
		}
	})
	t.Run("wrong api key", func(t *testing.T) {
		bad := client.New(in.URL, "ak_wrong", in.creds.HMACUsername, in.creds.HMACSecret)
		_, err := bad.ListUsers(ctx, apitype.ListUsersRequest{})
		wantAPIError(t, err, 401, client.ErrUnauthenticated)
	})
	t.Run("signing clock outside the window", func(t *testing.T) {
		late := in.client(client.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
		_, err := late.GetUser(ctx, u.ID)
		wantAPIError(t, err, 401, client.ErrUnauthenticated)
	})
}

func TestDo(t *testing.T) {
	in := newIngot(t)
	c := in.client()
	ctx := context.Background()

	var created apitype.Page[apitype.User]
	body := map[string]any{
		"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
		"phone_number": "+14155550123", "address_one": "1 Main St", "city": "San Francisco",
		"state": "CA", "postal_code": "94105", "country": "US",
	}
	if err := c.Do(ctx, "user/create", body, &created); err != nil {
		t.Fatal(err)
	}
	if len(created.Items) != 1 || created.Items[0].Email != "ada@example.com" {
		t.Fatalf("created = %+v", created)
	}
	if _, ok := body["idempotent_key"]; ok {
		t.Error("Do added idempotent_key to the caller's map")
	}
	id := created.Items[0].ID

	for _, path := range []string{"user/get-all", "/api/v4/user/get-all", "/user/get-all"} {
		var page apitype.Page[apitype.User]
		if err := c.Do(ctx, path, []byte(`{"search":"lovelace"}`), &page); err != nil {
			t.Fatalf("Do(%s): %v", path, err)
		}
		if page.Pagination.Total != 1 || page.Items[0].ID != id {
			t.Errorf("Do(%s) = %+v", path, page)
		}
	}
	if err := c.Do(ctx, "user/block", &apitype.BlockUserRequest{UserID: id}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "user/get", nil, nil); !errors.Is(err, client.ErrInvalid) {
		t.Errorf("Do(user/get, nil body) = %v, want ErrInvalid (user_id required)", err)
	}
	if err := c.Do(ctx, "user/nope", map[string]any{}, nil); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Do(unknown path) = %v, want ErrNotFound", err)
	}
	err := c.Do(ctx, "user/get", []byte(`{"user_id":"`+id+`","typo":1}`), nil)
	if e := wantAPIError(t, err, 400, client.ErrInvalid); !strings.Contains(e.Message+fmt.Sprint(e.Fields), "typo") {
		t.Errorf("unknown-field error %v does not name the field", err)
	}

	// A base URL with the API prefix or a trailing slash works the same.
	for _, base := range []string{in.URL + "/", in.URL + "/api/v4", in.URL + "/api/v4/"} {
		alt := client.New(base, in.creds.APIKey, in.creds.HMACUsername, in.creds.HMACSecret)
		if _, err := alt.GetUser(ctx, id); err != nil {
			t.Errorf("base %q: %v", base, err)
		}
	}
}

func TestClientDoesNotPrintSecret(t *testing.T) {
	const secret = "s3cr3t-hmac-value"
	c := client.New("http://127.0.0.1:1", "ak", "hu", secret)
	for _, format := range []string{"%v", "%+v", "%#v"} {
		if s := fmt.Sprintf(format, c); strings.Contains(s, secret) {
			t.Errorf("Sprintf(%q, client) = %s: contains the secret", format, s)
		}
	}
}

// TestSandboxHint: a sandbox's 401 hint reaches the SDK's error, and its
// text; a production server's 401 has none.
func TestSandboxHint(t *testing.T) {
	ctx := context.Background()
	for _, sandbox := range []bool{true, false} {
		in := newIngotWith(t, serverOptions{production: !sandbox})
		bad := client.New(in.URL, in.creds.APIKey, in.creds.HMACUsername, "0123456789abcdef-wrong-secret")
		_, err := bad.ListUsers(ctx, apitype.ListUsersRequest{})
		e := wantAPIError(t, err, 401, client.ErrUnauthenticated)
		switch {
		case sandbox && (!strings.Contains(e.Hint, "signature check") || !strings.Contains(err.Error(), "hint: signature check")):
			t.Errorf("sandbox: Hint = %q, Error() = %q; want the signature check named in both", e.Hint, err)
		case !sandbox && e.Hint != "":
			t.Errorf("production: Hint = %q, want none", e.Hint)
		}
		if strings.Contains(err.Error(), in.creds.HMACSecret) {
			t.Errorf("error %q contains the secret", err)
		}
	}
}
