package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

func bizInput(ein string) banking.NewBusinessInput {
	return banking.NewBusinessInput{BusinessProfile: banking.BusinessProfile{
		Name: "Acme " + ein, EIN: ein, BusinessType: "llc", AddressOne: "1 Market St",
		City: "San Francisco", State: "CA", PostalCode: "94105", Country: "US",
		Email: "ops-" + ein + "@acme.example", Phone: "+14155550100",
	}}
}

// mustBusiness stores a new business of user uid.
func mustBusiness(t *testing.T, s *store.Store, u banking.User, ein string, at time.Time) banking.Business {
	t.Helper()
	b, err := newBusiness(s, u, ein, at)
	if err != nil {
		t.Fatalf("create business %s: %v", ein, err)
	}
	return b
}

func newBusiness(s *store.Store, u banking.User, ein string, at time.Time) (banking.Business, error) {
	b, err := banking.NewBusiness(u.ProgramID, u.ID, bizInput(ein), at)
	if err != nil {
		return b, err
	}
	ev := banking.NewBusinessEvent(&b, banking.EventBusinessCreated, "test", "", banking.BusinessCreatedChanges(&b), at)
	_, err = s.Do(context.Background(), store.CreateBusinessWork(b, ev))
	return b, err
}

func TestBusinessRoundTrip(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		u := mustUser(t, s, p.ID, "owner@example.com", t0)
		in := bizInput("12-3456789")
		in.RepName, in.Description, in.MetaData = "Rep", "Widgets", []banking.MetaData{{Name: "k", Value: "v"}}
		b, err := banking.NewBusiness(p.ID, u.ID, in, t0)
		if err != nil {
			t.Fatal(err)
		}
		ev := banking.NewBusinessEvent(&b, banking.EventBusinessCreated, "test", "", banking.BusinessCreatedChanges(&b), t0)
		if _, err := s.Do(ctx, store.CreateBusinessWork(b, ev)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Business(ctx, p.ID, u.ID, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b, got); diff != "" {
			t.Errorf("read back differs (-want +got):\n%s", diff)
		}
		other := mustUser(t, s, p.ID, "other@example.com", t0)
		if _, err := s.Business(ctx, p.ID, other.ID, b.ID); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("read with another user: %v, want not_found", err)
		}
		q := mustProgram(t, s, "hu_b")
		if _, err := s.Business(ctx, q.ID, u.ID, b.ID); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("read from another program: %v, want not_found", err)
		}
		evs, total, err := s.Events(ctx, p.ID, string(b.ID), 1, 10)
		if err != nil || total != 1 || evs[0].Type != banking.EventBusinessCreated {
			t.Errorf("events = %v, %d, %v; want business.created", evs, total, err)
		}
	})
}

func TestCreateBusinessRules(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		u := mustUser(t, s, p.ID, "owner@example.com", t0)
		mustBusiness(t, s, u, "12-3456789", t0)
		if _, err := newBusiness(s, u, "123456789", t0); !banking.IsCode(err, banking.CodeConflict) {
			t.Errorf("same EIN in the program: %v, want conflict", err)
		}
		// The same EIN in another program is another business.
		q := mustProgram(t, s, "hu_b")
		mustBusiness(t, s, mustUser(t, s, q.ID, "owner@example.com", t0), "12-3456789", t0)

		ghost := u
		ghost.ID = banking.NewUserID(t0)
		if _, err := newBusiness(s, ghost, "11-1111111", t0); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("unknown owning user: %v, want not_found", err)
		}
		if _, err := s.UpdateUser(ctx, p.ID, u.ID, func(u *banking.User) (*banking.Event, error) {
			ch, err := u.Block(t0)
			ev := banking.NewEvent(u, banking.EventUserBlocked, "test", "", ch, t0)
			return &ev, err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := newBusiness(s, u, "22-2222222", t0); !banking.IsCode(err, banking.CodeBlocked) {
			t.Errorf("blocked owning user: %v, want blocked", err)
		}
		var n int
		if err := s.DB().QueryRow(`SELECT count(*) FROM businesses`).Scan(&n); err != nil || n != 2 {
			t.Errorf("businesses = %d (%v), want 2", n, err)
		}
	})
}

// TestBusinessWorkPersists: a BusinessWork writes back exactly what its
// mutation changed, inserts new owners and documents, and writes nothing
// when the mutation fails or records no event.
func TestBusinessWorkPersists(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		u := mustUser(t, s, p.ID, "owner@example.com", t0)
		b := mustBusiness(t, s, u, "12-3456789", t0)
		all := store.BusinessNeeds{User: true, Owners: true, Documents: true}
		var owner banking.Owner
		_, err := s.Do(ctx, store.BusinessWork(p.ID, u.ID, b.ID, all, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
			if f.User.ID != u.ID || len(f.Owners) != 0 {
				return nil, nil, fmt.Errorf("file = %+v", f)
			}
			o, _, err := banking.NewOwner(p.ID, b.ID, banking.NewOwnerInput{Name: "Grace Hopper", Email: "g@example.com",
				Address: "1 Navy Way", PhoneNumber: "+14155550111", SSN: "123456789"}, t0)
			if err != nil {
				return nil, nil, err
			}
			o.SSNSealed = []byte("sealed-ssn")
			ch, err := f.AddOwner(o)
			if err != nil {
				return nil, nil, err
			}
			d, err := banking.NewDocument(p.ID, b.ID, o.ID, banking.NewDocumentInput{DocumentType: "passport", FileURL: "https://f.example/p"}, t0)
			if err != nil {
				return nil, nil, err
			}
			if _, err := f.AddDocument(d); err != nil {
				return nil, nil, err
			}
			owner = o
			return o, []banking.Event{banking.NewBusinessEvent(&f.Business, banking.EventOwnerAdded, "test", "", ch, t0)}, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		owners, total, err := s.Owners(ctx, p.ID, u.ID, b.ID, 1, 10)
		if err != nil || total != 1 {
			t.Fatalf("owners = %v, %d, %v", owners, total, err)
		}
		if diff := cmp.Diff(owner, owners[0]); diff != "" {
			t.Errorf("owner read back differs (-want +got):\n%s", diff)
		}
		docs, total, err := s.Documents(ctx, p.ID, u.ID, b.ID, owner.ID, 1, 10)
		if err != nil || total != 1 || docs[0].Status != banking.DocPending {
			t.Fatalf("documents = %v, %d, %v", docs, total, err)
		}

		// A failing mutation writes nothing, whatever it changed first.
		boom := errors.New("boom")
		_, err = s.Do(ctx, store.BusinessWork(p.ID, u.ID, b.ID, all, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
			f.Business.Name = "Changed"
			f.Owners[0].KYCStatus = banking.KYCVerified
			f.Documents[0].Status = banking.DocApproved
			return nil, nil, boom
		}))
		if !errors.Is(err, boom) && banking.ErrorCode(err) != banking.CodeInternal {
			t.Fatalf("failing work: %v", err)
		}
		// A decision changes the business, the owner and the document.
		_, err = s.Do(ctx, store.BusinessWork(p.ID, u.ID, b.ID, all, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
			if f.Business.Name == "Changed" || len(f.Documents) != 1 {
				return nil, nil, fmt.Errorf("a failed work's changes were kept: %+v", f)
			}
			f.Business.KYBStatus = banking.KYCPending
			f.Owners[0].KYCStatus = banking.KYCPending
			ch, owners, err := f.ResolveKYB(banking.KYBDecision{Outcome: banking.KYCVerified}, t0.Add(time.Second))
			if err != nil || len(owners) != 1 {
				return nil, nil, fmt.Errorf("resolve: %v %v", owners, err)
			}
			return nil, []banking.Event{banking.NewBusinessEvent(&f.Business, banking.EventKYBVerified, "test", "", ch, t0)}, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.Business(ctx, p.ID, u.ID, b.ID)
		owners, _, _ = s.Owners(ctx, p.ID, u.ID, b.ID, 1, 10)
		docs, _, _ = s.Documents(ctx, p.ID, u.ID, b.ID, owner.ID, 1, 10)
		if got.KYBStatus != banking.KYCVerified || owners[0].KYCStatus != banking.KYCVerified || docs[0].Status != banking.DocApproved {
			t.Errorf("after the decision: business %s, owner %s, document %s", got.KYBStatus, owners[0].KYCStatus, docs[0].Status)
		}
		if string(owners[0].SSNSealed) != "sealed-ssn" {
			t.Errorf("the owner's sealed SSN = %q after an update of other columns", owners[0].SSNSealed)
		}
		_, total, _ = s.Events(ctx, p.ID, string(b.ID), 1, 10)
		if total != 3 {
			t.Errorf("business events = %d, want 3 (created, owner added, verified)", total)
		}

		// Another user's name for the business: not found, nothing runs.
		other := mustUser(t, s, p.ID, "other@example.com", t0)
		_, err = s.Do(ctx, store.BusinessWork(p.ID, other.ID, b.ID, all, func(*store.Tx, *banking.BusinessFile) (any, []banking.Event, error) {
			t.Error("the mutation ran for the wrong user")
			return nil, nil, nil
		}))
		if !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("wrong user: %v, want not_found", err)
		}
		if _, _, err := s.Documents(ctx, p.ID, u.ID, b.ID, "bown-00000000-0000-7000-8000-000000000000", 1, 10); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("documents of an unknown owner: %v, want not_found", err)
		}
	})
}

func TestListBusinesses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		u := mustUser(t, s, p.ID, "owner@example.com", t0)
		v := mustUser(t, s, p.ID, "other@example.com", t0)
		var all []banking.Business
		for i, ein := range []string{"10-0000001", "10-0000002", "10-0000003"} {
			owner := u
			if i == 2 {
				owner = v
			}
			all = append(all, mustBusiness(t, s, owner, ein, t0.Add(time.Duration(i)*time.Second)))
		}
		list := func(f banking.BusinessFilter) []banking.BusinessID {
			t.Helper()
			if f.Page == 0 {
				f.Page, f.PerPage = 1, 10
			}
			got, _, err := s.ListBusinesses(ctx, p.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			out := []banking.BusinessID{}
			for _, b := range got {
				out = append(out, b.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    banking.BusinessFilter
			want []banking.BusinessID
		}{
			{"all, newest first", banking.BusinessFilter{}, []banking.BusinessID{all[2].ID, all[1].ID, all[0].ID}},
			{"ascending", banking.BusinessFilter{Ascending: true}, []banking.BusinessID{all[0].ID, all[1].ID, all[2].ID}},
			{"one user's", banking.BusinessFilter{UserID: u.ID}, []banking.BusinessID{all[1].ID, all[0].ID}},
			{"ein without its dash", banking.BusinessFilter{Search: "100000002"}, []banking.BusinessID{all[1].ID}},
			{"ein with it", banking.BusinessFilter{Search: "10-0000003"}, []banking.BusinessID{all[2].ID}},
			{"email, any case", banking.BusinessFilter{Search: "OPS-10-0000001@"}, []banking.BusinessID{all[0].ID}},
			{"id", banking.BusinessFilter{Search: string(all[1].ID)[10:]}, []banking.BusinessID{all[1].ID}},
			{"LIKE metacharacters are literal", banking.BusinessFilter{Search: "%"}, []banking.BusinessID{}},
			{"underscore is literal", banking.BusinessFilter{Search: "acme_"}, []banking.BusinessID{}},
			{"kyb_status", banking.BusinessFilter{KYBStatus: banking.KYCVerified}, []banking.BusinessID{}},
			{"status", banking.BusinessFilter{Status: banking.StatusActive, Page: 2, PerPage: 2}, []banking.BusinessID{all[0].ID}},
		} {
			if got := list(tc.f); !cmp.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		_, total, err := s.ListBusinesses(ctx, p.ID, banking.BusinessFilter{Page: 2, PerPage: 2})
		if err != nil || total.N != 3 {
			t.Errorf("total = %d (%v), want 3 on every page", total.N, err)
		}
		other := mustProgram(t, s, "hu_b")
		if got, total, _ := s.ListBusinesses(ctx, other.ID, banking.BusinessFilter{Page: 1, PerPage: 10}); len(got) != 0 || total.N != 0 {
			t.Errorf("another program lists %d businesses", total.N)
		}
	})
}

// TestContactUserIsOneTransaction: the user and its contact row commit
// together; a refused user leaves no contact, an unknown business no user.
func TestContactUserIsOneTransaction(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		owner := mustUser(t, s, p.ID, "owner@example.com", t0)
		b := mustBusiness(t, s, owner, "12-3456789", t0)
		contact := func(email string, bid banking.BusinessID, typ banking.ContactType) error {
			u, _, err := banking.NewUser(p.ID, banking.NewUserInput{FirstName: "Cus", LastName: "Tomer", Email: email,
				PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "SF", State: "CA", Country: "US",
				PostalCode: "94105"}, t0)
			if err != nil {
				return err
			}
			ev := banking.NewEvent(&u, banking.EventUserCreated, "test", "", banking.CreatedChanges(&u), t0)
			_, err = s.Do(ctx, store.CreateContactUserWork(u, ev, banking.NewContact(&u, bid, typ)))
			return err
		}
		if err := contact("c1@example.com", b.ID, banking.ContactCustomers); err != nil {
			t.Fatal(err)
		}
		if err := contact("v1@example.com", b.ID, banking.ContactVendors); err != nil {
			t.Fatal(err)
		}
		if err := contact("c1@example.com", b.ID, banking.ContactCustomers); !banking.IsCode(err, banking.CodeConflict) {
			t.Errorf("duplicate email: %v, want conflict", err)
		}
		if err := contact("c2@example.com", "buss-00000000-0000-7000-8000-000000000000", banking.ContactCustomers); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("unknown business: %v, want not_found", err)
		}
		var users, contacts int
		s.DB().QueryRow(`SELECT count(*) FROM users`).Scan(&users)
		s.DB().QueryRow(`SELECT count(*) FROM business_contacts`).Scan(&contacts)
		if users != 3 || contacts != 2 {
			t.Errorf("users, contacts = %d, %d; want 3, 2", users, contacts)
		}
		got, total, err := s.Contacts(ctx, p.ID, owner.ID, b.ID, banking.ContactVendors, 1, 10)
		if err != nil || total != 1 || got[0].Email != "v1@example.com" || got[0].BusinessName != b.Name || got[0].Type != banking.ContactVendors {
			t.Errorf("vendors = %+v, %d, %v", got, total, err)
		}
		if _, total, _ := s.Contacts(ctx, p.ID, owner.ID, b.ID, "", 1, 10); total != 2 {
			t.Errorf("all contacts = %d, want 2", total)
		}
		if _, _, err := s.Contacts(ctx, p.ID, banking.NewUserID(t0), b.ID, "", 1, 10); !banking.IsCode(err, banking.CodeNotFound) {
			t.Errorf("contacts named with the wrong user: %v, want not_found", err)
		}
	})
}

func TestResealOwnerSSNs(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		u := mustUser(t, s, p.ID, "owner@example.com", t0)
		b := mustBusiness(t, s, u, "12-3456789", t0)
		var oid banking.OwnerID
		_, err := s.Do(ctx, store.BusinessWork(p.ID, u.ID, b.ID, store.BusinessNeeds{Owners: true}, func(_ *store.Tx, f *banking.BusinessFile) (any, []banking.Event, error) {
			o, _, err := banking.NewOwner(p.ID, b.ID, banking.NewOwnerInput{Name: "G H", Email: "g@example.com",
				Address: "x", PhoneNumber: "+14155550111"}, t0)
			if err != nil {
				return nil, nil, err
			}
			o.SSNSealed, oid = []byte("owner-ssn"), o.ID
			ch, err := f.AddOwner(o)
			return nil, []banking.Event{banking.NewBusinessEvent(&f.Business, banking.EventOwnerAdded, "t", "", ch, t0)}, err
		}))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		if _, err := s.Reseal(ctx, func(v store.SealedValue) ([]byte, error) {
			seen[v.Kind+" "+v.Owner] = string(v.AAD)
			if v.Kind == "owner_ssn" {
				return []byte("re-" + string(v.Sealed)), nil
			}
			return nil, nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		if seen["owner_ssn "+string(oid)] != "ssn:"+string(oid) {
			t.Fatalf("reseal saw %v, want the owner's SSN with aad ssn:%s", seen, oid)
		}
		owners, _, _ := s.Owners(ctx, p.ID, u.ID, b.ID, 1, 10)
		if string(owners[0].SSNSealed) != "re-owner-ssn" {
			t.Errorf("owner ssn_sealed = %q after reseal", owners[0].SSNSealed)
		}
	})
}
