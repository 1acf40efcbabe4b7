package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// Fixture files (sandbox.md section 2) are written in the API's own field
// names (apitype.FixtureFile), so this package, which turns wire bodies
// into service inputs, reads and writes them.

// ParseFixtures reads a fixture file strictly: an unknown field anywhere,
// or anything after the object, is an error naming where it is.
func ParseFixtures(data []byte) (service.Fixtures, error) {
	var f apitype.FixtureFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return service.Fixtures{}, fmt.Errorf("fixture file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return service.Fixtures{}, fmt.Errorf("fixture file: trailing data after the JSON object")
	}
	var out service.Fixtures
	for i := range f.Programs {
		p := &f.Programs[i]
		fp := service.FixtureProgram{Name: p.Name, APIKey: p.APIKey, HMACUsername: p.HMACUsername,
			HMACSecret: p.HMACSecret}
		for j := range p.Users {
			fp.Users = append(fp.Users, service.FixtureUser{Input: userInput(&p.Users[j].CreateUserRequest), KYCStatus: p.Users[j].KYCStatus})
		}
		for j := range p.Businesses {
			b := &p.Businesses[j]
			fb := service.FixtureBusiness{UserEmail: b.UserEmail, Input: businessInput(&b.CreateBusinessRequest), KYBStatus: b.KYBStatus}
			for k := range b.Owners {
				fb.Owners = append(fb.Owners, ownerInput(&b.Owners[k]))
			}
			fp.Businesses = append(fp.Businesses, fb)
		}
		for _, a := range p.Accounts {
			fp.Accounts = append(fp.Accounts, service.FixtureAccount{UserEmail: a.UserEmail, BusinessEIN: a.BusinessEIN,
				OpeningBalance: a.OpeningBalance})
		}
		for j := range p.LinkedAccounts {
			l := &p.LinkedAccounts[j]
			fp.LinkedAccounts = append(fp.LinkedAccounts, service.FixtureLinkedAccount{UserEmail: l.UserEmail,
				BusinessEIN: l.BusinessEIN, Input: linkedInput(&l.SaveLinkedAccountFields)})
		}
		out.Programs = append(out.Programs, fp)
	}
	return out, nil
}

// FixtureOf writes a program's state as a fixture file (`ingot fixtures
// export`): no credentials, no SSNs (secrets), each account's available
// balance as its opening balance. Loading it into an empty database makes
// a program with the same users, businesses, owners, statuses and
// balances (new ids).
func FixtureOf(x service.ExportedProgram) apitype.FixtureFile {
	p := apitype.FixtureProgram{Name: x.Program.Name, ProgramID: string(x.Program.ID)}
	emails := map[banking.UserID]string{}
	eins := map[banking.BusinessID]string{}
	for i := range x.Users {
		u := &x.Users[i]
		emails[u.ID] = u.Email
		meta := make([]apitype.MetaData, 0, len(u.MetaData))
		for _, m := range u.MetaData {
			meta = append(meta, apitype.MetaData{Name: m.Name, Value: m.Value})
		}
		if len(meta) == 0 {
			meta = nil
		}
		p.Users = append(p.Users, apitype.FixtureUser{CreateUserRequest: apitype.CreateUserRequest{
			FirstName: u.FirstName, MiddleName: u.MiddleName, LastName: u.LastName, Email: u.Email,
			PhoneNumber: u.PhoneNumber, DateOfBirth: u.DateOfBirth, AddressOne: u.AddressOne, AddressTwo: u.AddressTwo,
			City: u.City, State: u.State, Country: u.Country, PostalCode: u.PostalCode, Username: u.Username,
			TermsAccepted: u.TermsAccepted, MetaData: meta,
		}, KYCStatus: string(u.KYCStatus)})
	}
	for i := range x.Businesses {
		b, bp := &x.Businesses[i].Business, &x.Businesses[i].Business.BusinessProfile
		eins[b.ID] = bp.EIN
		fb := apitype.FixtureBusiness{UserEmail: emails[b.UserID], KYBStatus: string(b.KYBStatus),
			CreateBusinessRequest: apitype.CreateBusinessRequest{UserID: string(b.UserID),
				BusinessName: bp.Name, DBA: bp.DBA, EIN: bp.EIN, BusinessType: bp.BusinessType,
				BusinessIndustry: bp.Industry, BusinessDescription: bp.Description, NAICSCode: bp.NAICSCode,
				IncorporatedDate: bp.IncorporatedDate, IncorporatedState: bp.IncorporatedState,
				Email: bp.Email, PhoneNumber: bp.Phone, SupportEmail: bp.SupportEmail, SupportPhoneNumber: bp.SupportPhone,
				BusinessAddress: bp.AddressOne, BusinessAddress2: bp.AddressTwo, City: bp.City, State: bp.State,
				Zipcode: bp.PostalCode, Country: bp.Country,
				BusinessRepresentative: apitype.BusinessRepresentative{RepName: bp.RepName, RepEmail: bp.RepEmail,
					RepJobTitle: bp.RepJobTitle, RepDOB: bp.RepDOB, RepAddress: bp.RepAddress, RepAddress2: bp.RepAddress2,
					RepZipcode: bp.RepZipcode, RepCity: bp.RepCity, RepState: bp.RepState, RepCountry: bp.RepCountry,
					RepPhone: bp.RepPhone},
			}}
		for j := range x.Businesses[i].Owners {
			o := &x.Businesses[i].Owners[j]
			pct := apitype.Number(strconv.FormatFloat(o.Percent(), 'f', -1, 64))
			fb.Owners = append(fb.Owners, apitype.AddOwnerRequest{UserID: string(b.UserID), BusinessID: string(b.ID),
				Name: o.Name, FirstName: o.FirstName, LastName: o.LastName, Email: o.Email, Address: o.Address,
				PhoneNumber: o.PhoneNumber, OwnershipPercent: &pct, DateOfBirth: o.DateOfBirth})
		}
		p.Businesses = append(p.Businesses, fb)
	}
	for i := range x.Accounts {
		a := &x.Accounts[i]
		fa := apitype.FixtureAccount{}
		if a.Kind != banking.AccountMaster {
			fa.UserEmail = emails[a.UserID]
			if a.BusinessID != "" {
				fa.BusinessEIN = eins[a.BusinessID]
			}
		}
		if avail := a.Balance.Posted - a.Balance.PendingDebits; avail > 0 {
			fa.OpeningBalance = banking.FormatAmount(avail)
		}
		if a.Kind == banking.AccountMaster && fa.OpeningBalance == "" {
			continue // every program has its master account
		}
		p.Accounts = append(p.Accounts, fa)
	}
	return apitype.FixtureFile{Programs: []apitype.FixtureProgram{p}}
}
