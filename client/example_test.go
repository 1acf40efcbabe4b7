package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
)

func ExampleClient_CreateUser() {
	// A real ingot server in-process; in production the URL and the
	// program's credentials come from `ingot program create`.
	srv, stop := exampleIngot()
	defer stop()
	c := client.New(srv.URL, srv.creds.APIKey, srv.creds.HMACUsername, srv.creds.HMACSecret)
	ctx := context.Background()

	u, err := c.CreateUser(ctx, apitype.CreateUserRequest{
		FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "San Francisco",
		State: "CA", PostalCode: "94105", Country: "US",
		SSN: "123-45-6789", DateOfBirth: "1990-12-10",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Status, u.KYCStatus, u.SSNLast4)

	// The same email again is refused; the error says why in its code.
	_, err = c.CreateUser(ctx, apitype.CreateUserRequest{
		FirstName: "Ada", LastName: "Byron", Email: "ADA@example.com",
		PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "San Francisco",
		State: "CA", PostalCode: "94105", Country: "US",
	})
	fmt.Println(errors.Is(err, client.ErrConflict))
	// Output:
	// active not_started 6789
	// true
}

func ExampleClient_BlockUser() {
	srv, stop := exampleIngot()
	defer stop()
	c := client.New(srv.URL, srv.creds.APIKey, srv.creds.HMACUsername, srv.creds.HMACSecret)
	ctx := context.Background()

	u, err := c.CreateUser(ctx, apitype.CreateUserRequest{
		FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com",
		PhoneNumber: "+12025550199", AddressOne: "2 Navy Way", City: "Arlington",
		State: "VA", PostalCode: "22202", Country: "US",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	blocked, err := c.BlockUser(ctx, u.ID, "suspicious activity")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(blocked.Status)

	// Blocking twice is a conflict and changes nothing.
	_, err = c.BlockUser(ctx, u.ID, "again")
	fmt.Println(errors.Is(err, client.ErrConflict))

	active, err := c.UnblockUser(ctx, u.ID, "cleared by review")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(active.Status)
	// Output:
	// blocked
	// true
	// active
}
