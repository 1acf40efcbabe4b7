package console

import (
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// accountsView is the accounts page's data.
type accountsView struct {
	Search, Status string
	Accounts       []service.HeldAccount
	Pager          pager
	Invalid        string
}

// accountsPage lists a program's routable bank accounts, newest first, 50
// a page, with their holders and balances: filter by status, search by the
// number's last four digits, an id, or the holder's name or email.
func (c *Console) accountsPage(r *request) (string, any, error) {
	q := r.URL.Query()
	v := accountsView{Search: q.Get("search"), Status: q.Get("status")}
	f := service.AccountSearch{Status: banking.AccountStatus(v.Status), Search: v.Search,
		Page: r.pageParam("page"), PerPage: perPage}
	as, total, err := c.svc.ConsoleAccounts(r.Context(), r.program.ID, f)
	if banking.IsCode(err, banking.CodeInvalid) {
		v.Invalid, v.Pager = c.errorText(r, err), newPager(r, "page", "accounts", 1, 0, 0)
		return "Accounts", v, nil
	}
	if err != nil {
		return "", nil, err
	}
	v.Accounts, v.Pager = as, newSearchPager(r, "page", "accounts", f.Page, len(as), total)
	return "Accounts", v, nil
}

// accountView is an account's page's data.
type accountView struct {
	Account      service.HeldAccount
	Routing      string
	Transactions []banking.Statement
	Pager        pager
	Trail        trail
}

// accountPage shows one RBA: holder, status, the number's last four
// digits only, its balances, its transactions (50 a page) and its audit
// trail; in the sandbox, a form that simulates an inbound transfer.
func (c *Console) accountPage(r *request) (string, any, error) {
	ctx := r.Context()
	a, err := c.svc.AccountByID(ctx, r.program.ID, r.PathValue("aid"))
	if err != nil {
		return "", nil, err
	}
	page := r.pageParam("page")
	txs, total, err := c.svc.AccountStatements(ctx, r.program.ID, a.ID, banking.TxFilter{Page: page, PerPage: perPage})
	if err != nil {
		return "", nil, err
	}
	v := accountView{Account: a, Routing: c.svc.RoutingNumber(), Transactions: txs,
		Pager: newPager(r, "page", "transactions", page, len(txs), total)}
	if v.Trail, err = c.trail(r, string(a.ID)); err != nil {
		return "", nil, err
	}
	return "Account " + maskLast4(last4(a.Number)), v, nil
}

// simulateInbound puts money into the account from outside, as the sandbox
// control plane's sandbox/simulate/inbound-transfer does (form fields
// amount, rail, description), recorded with the operator as actor. Only in
// a sandbox: elsewhere the action does not exist (not found).
func (c *Console) simulateInbound(r *request) (string, string, error) {
	aid := r.PathValue("aid")
	back := r.backTo(r.programPath() + "/accounts/" + aid)
	if !c.sandbox {
		return back, "", banking.Errorf(banking.CodeNotFound, "simulated transfers exist only in a sandbox")
	}
	caller := r.operatorCaller()
	t, err := c.svc.SimulateInbound(r.Context(), caller, aid, r.PostFormValue("amount"), r.PostFormValue("rail"),
		r.PostFormValue("description"), nil)
	if err != nil {
		return back, "", err
	}
	return back, "Inbound " + string(t.Method) + " transfer of " + formatMoney(t.Amount) + " is " + string(t.Status) + ".", nil
}

// last4 is the last four characters of an account number ("" for none).
func last4(number string) string {
	if len(number) <= 4 {
		return number
	}
	return number[len(number)-4:]
}
