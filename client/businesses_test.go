package client_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
)

// TestBusinessOnboarding drives a business through every typed method:
// owning user, KYC, business, owners, documents, KYB, contacts.
func TestBusinessOnboarding(t *testing.T) {
	in := newIngot(t)
	c := in.client()
	ctx := context.Background()

	req := validUser("owner@example.com")
	req.DateOfBirth, req.SSN = "1990-12-10", "123-45-6789"
	u, err := c.CreateUser(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.CreateBusiness(ctx, apitype.CreateBusinessRequest{
		UserID: u.ID, BusinessName: "Acme Widgets LLC", EIN: "123456789", BusinessType: "LLC",
		BusinessAddress: "1 Market St", City: "San Francisco", State: "CA", Zipcode: "94105",
		Country: "US", Email: "ops@acme.example", PhoneNumber: "+14155550100",
		BusinessRepresentative: apitype.BusinessRepresentative{RepName: "Rita Rep"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.ID, "buss-") || b.EIN != "12-3456789" || b.BusinessType != "llc" || b.PostalCode != "94105" || b.KYBStatus != "not_started" {
		t.Errorf("created business = %+v", b)
	}
	if got, err := c.GetBusiness(ctx, u.ID, b.ID); err != nil || got != b {
		t.Errorf("GetBusiness = %+v, %v", got, err)
	}
	_, err = c.CreateBusiness(ctx, apitype.CreateBusinessRequest{UserID: u.ID})
	if e := wantAPIError(t, err, 400, client.ErrInvalid); e.Fields["zipcode"] == "" {
		t.Errorf("fields = %v, want zipcode named", e.Fields)
	}

	// KYB before the owning user's KYC: not verified.
	err = c.SendBusinessVerificationRequest(ctx, u.ID, b.ID)
	wantAPIError(t, err, 409, client.ErrNotVerified)
	if err := c.SendVerificationRequest(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { got, _ := c.GetUser(ctx, u.ID); return got.KYCStatus == "verified" })

	dba := "Acme"
	if b, err = c.UpdateBusiness(ctx, apitype.UpdateBusinessRequest{UserID: u.ID, BusinessID: b.ID, DBA: &dba}); err != nil || b.DBA != "Acme" {
		t.Fatalf("UpdateBusiness = %+v, %v", b, err)
	}
	share := apitype.NumberOf(75.5)
	o, err := c.AddBusinessOwner(ctx, apitype.AddOwnerRequest{UserID: u.ID, BusinessID: b.ID, Name: "Grace Hopper",
		Email: "grace@acme.example", Address: "1 Navy Way", PhoneNumber: "+14155550111",
		OwnershipPercent: share, DateOfBirth: "1906-12-09", SSN: "123-45-6788"})
	if err != nil || o.OwnershipPercent != 75.5 || o.FirstName != "Grace" || o.KYCStatus != "not_started" {
		t.Fatalf("AddBusinessOwner = %+v, %v", o, err)
	}
	over := apitype.NumberOf(25)
	_, err = c.AddBusinessOwner(ctx, apitype.AddOwnerRequest{UserID: u.ID, BusinessID: b.ID, Name: "Too Much",
		Email: "x@acme.example", Address: "x", PhoneNumber: "+14155550112", OwnershipPercent: over})
	wantAPIError(t, err, 409, client.ErrConflict)
	d, err := c.AddBusinessOwnerDocument(ctx, apitype.AddDocumentRequest{UserID: u.ID, BusinessID: b.ID,
		BusinessOwnerID: o.ID, DocumentType: "passport", FileURL: "https://files.acme.example/p.pdf"})
	if err != nil || d.Status != "pending" {
		t.Fatalf("AddBusinessOwnerDocument = %+v, %v", d, err)
	}
	if err := c.SendBusinessVerificationRequest(ctx, u.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { got, _ := c.GetBusiness(ctx, u.ID, b.ID); return got.KYBStatus == "verified" })
	owners, err := c.BusinessOwners(ctx, apitype.BusinessPageRequest{UserID: u.ID, BusinessID: b.ID})
	if err != nil || len(owners.Items) != 1 || owners.Items[0].KYCStatus != "verified" {
		t.Errorf("BusinessOwners = %+v, %v", owners, err)
	}
	docs, err := c.BusinessOwnerDocuments(ctx, apitype.DocumentsRequest{UserID: u.ID, BusinessID: b.ID, BusinessOwnerID: o.ID})
	if err != nil || len(docs.Items) != 1 || docs.Items[0].Status != "approved" {
		t.Errorf("BusinessOwnerDocuments = %+v, %v", docs, err)
	}
	evs, err := c.BusinessEvents(ctx, apitype.BusinessPageRequest{UserID: u.ID, BusinessID: b.ID})
	if err != nil || !slices.Equal(eventTypes(evs.Items)[:2], []string{"business.kyb.verified", "business.owner.kyc.verified"}) {
		t.Errorf("BusinessEvents = %v, %v", eventTypes(evs.Items), err)
	}

	vendor := validUser("vendor@example.com")
	vendor.BusinessID, vendor.IsVendor = b.ID, ptr(true)
	if _, err := c.CreateUser(ctx, vendor); err != nil {
		t.Fatal(err)
	}
	contacts, err := c.BusinessContacts(ctx, apitype.ContactsRequest{UserID: u.ID, BusinessID: b.ID, Type: "vendors"})
	if err != nil || len(contacts.Items) != 1 || contacts.Items[0].Email != "vendor@example.com" || contacts.Items[0].ContactType != "vendors" {
		t.Errorf("BusinessContacts = %+v, %v", contacts, err)
	}

	if b, err = c.BlockBusiness(ctx, u.ID, b.ID, "review"); err != nil || b.Status != "blocked" {
		t.Fatalf("BlockBusiness = %+v, %v", b, err)
	}
	if _, err := c.BlockBusiness(ctx, u.ID, b.ID, ""); !errors.Is(err, client.ErrConflict) {
		t.Errorf("second BlockBusiness: %v, want ErrConflict", err)
	}
	if b, err = c.UnblockBusiness(ctx, u.ID, b.ID, ""); err != nil || b.Status != "active" {
		t.Fatalf("UnblockBusiness = %+v, %v", b, err)
	}
	page, err := c.ListBusinesses(ctx, apitype.ListBusinessesRequest{Search: "acme", KYBStatus: "verified"})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != b.ID {
		t.Errorf("ListBusinesses = %+v, %v", page, err)
	}
	if _, err := in.otherProgram(t).GetBusiness(ctx, u.ID, b.ID); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("another program's GetBusiness: %v, want ErrNotFound", err)
	}
}

// waitFor polls cond for up to 5 s: a bounded wait for background checks.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up after 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
