package console

import (
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// usersView is the users page's data: the filters as given, and one page
// of matches (or why the filters were refused).
type usersView struct {
	Search, Email, Status, KYCStatus, Sort string
	Users                                  []banking.User
	Pager                                  pager
	Invalid                                string
}

// usersPage lists a program's users with user/get-all's search and filters
// (search, email, status, kyc_status, sort), 50 a page.
func (c *Console) usersPage(r *request) (string, any, error) {
	q := r.URL.Query()
	v := usersView{Search: q.Get("search"), Email: q.Get("email"), Status: q.Get("status"),
		KYCStatus: q.Get("kyc_status"), Sort: q.Get("sort")}
	f := banking.UserFilter{Search: v.Search, Email: v.Email, Status: banking.Status(v.Status),
		KYCStatus: banking.KYCStatus(v.KYCStatus), Page: r.pageParam("page"), PerPage: perPage}
	if err := banking.CheckUserFilter(&f, v.Sort); err != nil {
		v.Invalid = c.errorText(r, err)
		v.Pager = newPager(r, "page", "users", 1, 0, 0)
		return "Users", v, nil
	}
	users, total, err := c.svc.ListUsers(r.Context(), r.caller(), f)
	if err != nil {
		return "", nil, err
	}
	v.Users, v.Pager = users, newSearchPager(r, "page", "users", f.Page, len(users), total)
	return "Users", v, nil
}

// userView is a user's page's data.
type userView struct {
	User       banking.User
	Businesses []banking.Business
	// MoreBusinesses is how many businesses the user has beyond those
	// listed.
	MoreBusinesses int
	// Accounts are the user's RBAs and their businesses' (sandbox.md
	// section 3: "accounts and balances"); MoreAccounts how many beyond.
	Accounts     []service.HeldAccount
	MoreAccounts int
	Trail        trail
}

// trail is an audit trail page with its chain check, for the "trail"
// partial.
type trail struct {
	Events []service.TrailEvent
	Pager  pager
	// Broken counts the events shown that fail the check; Unchained those
	// written before the chain existed.
	Broken, Unchained int
}

func (c *Console) trail(r *request, subject string) (trail, error) {
	page := r.pageParam("trail_page")
	evs, total, err := c.svc.Trail(r.Context(), r.program.ID, subject, page, perPage)
	if err != nil {
		return trail{}, err
	}
	t := trail{Events: evs, Pager: newPager(r, "trail_page", "events", page, len(evs), total)}
	for _, e := range evs {
		switch {
		case e.Broken != "":
			t.Broken++
		case !e.Chained:
			t.Unchained++
		}
	}
	return t, nil
}

// userPage shows one user: profile (the SSN's last four digits only),
// status and KYC with the operator's decision when KYC is pending, the
// user's businesses, and the audit trail with its chain check.
func (c *Console) userPage(r *request) (string, any, error) {
	u, err := c.svc.GetUser(r.Context(), r.caller(), r.PathValue("uid"))
	if err != nil {
		return "", nil, err
	}
	bs, total, err := c.svc.ListBusinesses(r.Context(), r.caller(), string(u.ID),
		banking.BusinessFilter{Page: 1, PerPage: perPage})
	if err != nil {
		return "", nil, err
	}
	as, atotal, err := c.svc.ConsoleAccounts(r.Context(), r.program.ID, service.AccountSearch{Search: string(u.ID), Page: 1, PerPage: perPage})
	if err != nil {
		return "", nil, err
	}
	t, err := c.trail(r, string(u.ID))
	if err != nil {
		return "", nil, err
	}
	return u.FirstName + " " + u.LastName, userView{User: u, Businesses: bs, MoreBusinesses: total.N - len(bs),
		Accounts: as, MoreAccounts: atotal.N - len(as), Trail: t}, nil
}

// decideKYC approves or rejects a pending KYC (form fields decision,
// reason), as the provider's decision would, recorded with the operator as
// actor; it returns to the page it was taken on (field back).
func (c *Console) decideKYC(r *request) (string, string, error) {
	uid := r.PathValue("uid")
	back := r.backTo(r.programPath() + "/users/" + uid)
	d := service.Decision(r.PostFormValue("decision"))
	u, err := c.svc.DecideKYC(r.Context(), r.op, r.program.ID, uid, d, r.PostFormValue("reason"))
	if err != nil {
		return back, "", err
	}
	return back, "KYC of " + u.FirstName + " " + u.LastName + " is now " + string(u.KYCStatus) + ".", nil
}
