package console

import (
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// businessesView is the businesses page's data.
type businessesView struct {
	Search, Status, KYBStatus, Sort, UserID string
	Businesses                              []banking.Business
	Pager                                   pager
	Invalid                                 string
}

// businessesPage lists a program's businesses with business/get-all's
// search and filters (search, status, kyb_status, sort, and user_id for
// one user's), 50 a page.
func (c *Console) businessesPage(r *request) (string, any, error) {
	q := r.URL.Query()
	v := businessesView{Search: q.Get("search"), Status: q.Get("status"), KYBStatus: q.Get("kyb_status"),
		Sort: q.Get("sort"), UserID: q.Get("user_id")}
	f := banking.BusinessFilter{Search: v.Search, Status: banking.Status(v.Status),
		KYBStatus: banking.KYCStatus(v.KYBStatus), Page: r.pageParam("page"), PerPage: perPage}
	if err := banking.CheckBusinessFilter(&f, v.Sort); err != nil {
		v.Invalid = c.errorText(r, err)
		v.Pager = newPager(r, "page", "businesses", 1, 0, 0)
		return "Businesses", v, nil
	}
	bs, total, err := c.svc.ListBusinesses(r.Context(), r.caller(), v.UserID, f)
	if err != nil {
		return "", nil, err
	}
	v.Businesses, v.Pager = bs, newSearchPager(r, "page", "businesses", f.Page, len(bs), total)
	return "Businesses", v, nil
}

// businessView is a business's page's data.
type businessView struct {
	Business  banking.Business
	User      banking.User
	Owners    []banking.Owner
	Documents []businessDocument
	// MoreDocuments is set when the business has more documents than
	// listed.
	MoreDocuments bool
	Contacts      []banking.Contact
	Pager         pager
	// Accounts are the business's RBAs with their balances.
	Accounts     []service.HeldAccount
	MoreAccounts int
	Trail        trail
}

// businessDocument is a document with its owner's name.
type businessDocument struct {
	banking.Document
	Owner string
}

// businessPage shows one business: profile, owning user, status and KYB
// with the operator's decision when KYB is pending, owners (SSN's last four
// digits only), their documents, contacts, and the audit trail (owners' and
// documents' events are the business's) with its chain check.
func (c *Console) businessPage(r *request) (string, any, error) {
	ctx := r.Context()
	b, err := c.svc.BusinessByID(ctx, r.program.ID, r.PathValue("bid"))
	if err != nil {
		return "", nil, err
	}
	v := businessView{Business: b}
	if v.User, err = c.svc.GetUser(ctx, r.caller(), string(b.UserID)); err != nil {
		return "", nil, err
	}
	if v.Owners, _, err = c.svc.Owners(ctx, r.caller(), string(b.UserID), string(b.ID), 1, banking.MaxOwners); err != nil {
		return "", nil, err
	}
	docs, err := c.svc.BusinessDocuments(ctx, r.program.ID, b.ID)
	if err != nil {
		return "", nil, err
	}
	names := map[banking.OwnerID]string{}
	for _, o := range v.Owners {
		names[o.ID] = o.FirstName + " " + o.LastName
	}
	for _, d := range docs {
		v.Documents = append(v.Documents, businessDocument{Document: d, Owner: names[d.OwnerID]})
	}
	v.MoreDocuments = len(docs) == service.MaxBusinessDocuments
	page := r.pageParam("contacts_page")
	contacts, total, err := c.svc.Contacts(ctx, r.caller(), string(b.UserID), string(b.ID), "", page, perPage)
	if err != nil {
		return "", nil, err
	}
	v.Contacts, v.Pager = contacts, newPager(r, "contacts_page", "contacts", page, len(contacts), total)
	as, atotal, err := c.svc.ConsoleAccounts(ctx, r.program.ID, service.AccountSearch{Search: string(b.ID), Page: 1, PerPage: perPage})
	if err != nil {
		return "", nil, err
	}
	v.Accounts, v.MoreAccounts = as, atotal.N-len(as)
	if v.Trail, err = c.trail(r, string(b.ID)); err != nil {
		return "", nil, err
	}
	return b.Name, v, nil
}

// decideKYB approves or rejects a pending KYB (form fields decision,
// reason): the business, its owners and their documents, as the provider's
// decision would, recorded with the operator as actor.
func (c *Console) decideKYB(r *request) (string, string, error) {
	bid := r.PathValue("bid")
	back := r.backTo(r.programPath() + "/businesses/" + bid)
	d := service.Decision(r.PostFormValue("decision"))
	b, err := c.svc.DecideKYB(r.Context(), r.op, r.program.ID, bid, d, r.PostFormValue("reason"))
	if err != nil {
		return back, "", err
	}
	return back, "KYB of " + b.Name + " is now " + string(b.KYBStatus) + ".", nil
}
