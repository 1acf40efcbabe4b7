package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// table is the whole console but sign-in and the assets: each page is a
// GET route with its handler and its template (templates/NAME.html), each
// action a POST route with its handler. A pattern with {pid} is a program's
// page: the framework reads the program first (404 when unknown).
func (c *Console) table() []route {
	return []route{
		page("GET /console/{$}", "programs", c.programsPage),
		page("GET /console/programs/{pid}/users", "users", c.usersPage),
		page("GET /console/programs/{pid}/users/{uid}", "user", c.userPage),
		page("GET /console/programs/{pid}/businesses", "businesses", c.businessesPage),
		page("GET /console/programs/{pid}/businesses/{bid}", "business", c.businessPage),
		page("GET /console/programs/{pid}/review", "review", c.reviewPage),
		page("GET /console/programs/{pid}/accounts", "accounts", c.accountsPage),
		page("GET /console/programs/{pid}/accounts/{aid}", "account", c.accountPage),
		page("GET /console/programs/{pid}/transactions", "transactions", c.transactionsPage),
		page("GET /console/programs/{pid}/transactions/{tid}", "transaction", c.transactionPage),
		page("GET /console/programs/{pid}/webhooks", "webhooks", c.webhooksPage),
		action("POST /console/programs/{pid}/users/{uid}/kyc", c.decideKYC),
		action("POST /console/programs/{pid}/businesses/{bid}/kyb", c.decideKYB),
		action("POST /console/programs/{pid}/accounts/{aid}/inbound-transfer", c.simulateInbound),
		action("POST /console/programs/{pid}/transactions/{tid}/settle", c.settle),
		page("GET /console/programs/{pid}/sandbox", "sandbox", c.sandboxPage),
		action("POST /console/programs/{pid}/sandbox/clock", c.advanceClock),
		action("POST /console/programs/{pid}/sandbox/reset", c.resetProgram),
		action("POST /console/programs/{pid}/webhooks/{eid}/redeliver", c.redeliver),
		action("POST /console/sign-out", c.signOut),
	}
}

// route is one console page or action.
type route struct {
	pattern string
	// tmpl and view make a page: view returns the page's title and the
	// data its template renders (as .Data).
	tmpl string
	view func(r *request) (title string, data any, err error)
	// act makes an action: it returns where to go next and the notice to
	// show there; on an error the error is the notice.
	act func(r *request) (to, notice string, err error)
}

// page declares a GET page rendered by templates/tmpl.html.
func page(pattern, tmpl string, view func(r *request) (string, any, error)) route {
	return route{pattern: pattern, tmpl: tmpl, view: view}
}

// action declares a POST action answered with a redirect (303).
func action(pattern string, act func(r *request) (string, string, error)) route {
	return route{pattern: pattern, act: act}
}

// request is what a page's or action's handler gets: the HTTP request, the
// signed-in operator, and the program when the path names one.
type request struct {
	*http.Request
	c       *Console
	op      service.Operator
	session string
	csrf    string
	flash   *flash
	// program is the program the path names ({pid}), nil on other pages.
	program *banking.Program
	// endSession makes an action's answer forget the session cookie.
	endSession bool
}

// caller is the program's identity for the API's own read methods.
func (r *request) caller() service.Caller { return service.Caller{ProgramID: r.program.ID} }

// operatorCaller is the program's identity with the signed-in operator, for
// the service's mutations: their audit events name the operator
// ("operator:<token name>", sandbox.md section 3) instead of the program.
func (r *request) operatorCaller() service.Caller {
	return service.Caller{ProgramID: r.program.ID, Operator: r.op}
}

// pageParam reads a page number from the query (1 when absent or bad).
func (r *request) pageParam(name string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}

// maxPage bounds a page number: far beyond any list, short of an OFFSET
// that overflows.
const maxPage = 1_000_000

// perPage is every list's page size (sandbox.md section 3).
const perPage = 50

// programPath is the program's pages' prefix.
func (r *request) programPath() string { return programPath(r.program.ID) }

func programPath(pid banking.ProgramID) string {
	return Prefix + "programs/" + url.PathEscape(string(pid))
}

// handler wraps a route: the session (else a redirect to sign-in), the CSRF
// token of a POST (else 403), the program of {pid} (else 404), then the
// page's rendering or the action's redirect.
func (c *Console) handler(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		r, ok := c.authenticate(w, hr)
		if !ok {
			return
		}
		if rt.act != nil && !c.checkCSRF(w, r) {
			return
		}
		if pid := hr.PathValue("pid"); pid != "" {
			p, err := c.svc.Program(hr.Context(), banking.ProgramID(pid))
			if err != nil {
				c.failPage(w, r, err)
				return
			}
			r.program = &p
		}
		if rt.act != nil {
			c.runAction(w, r, rt)
			return
		}
		title, data, err := rt.view(r)
		if err != nil {
			c.failPage(w, r, err)
			return
		}
		c.render(w, r, http.StatusOK, rt.tmpl, title, data)
	})
}

// runAction runs an action and redirects, leaving its notice (or its
// error's) for the next page.
func (c *Console) runAction(w http.ResponseWriter, r *request, rt route) {
	to, notice, err := rt.act(r)
	kind := "ok"
	if err != nil {
		kind, notice = "error", c.errorText(r, err)
	}
	if !safeTarget(to) {
		to = Prefix
	}
	if r.endSession {
		clearCookie(w, r.Request, sessionCookie)
	}
	if notice != "" && r.session != "" {
		if ferr := c.svc.Flash(r.Context(), r.session, kind, notice); ferr != nil {
			c.log.Error("console flash", "err", ferr)
		}
	}
	http.Redirect(w, r.Request, to, http.StatusSeeOther)
}

// errorText is what an operator is told about a failed action: a banking
// error's message (written to be shown), with its fields; anything else is
// logged and reported without detail.
func (c *Console) errorText(r *request, err error) string {
	var be *banking.Error
	if errors.As(err, &be) && be.Code != banking.CodeInternal {
		msg := be.Message
		for f, m := range be.Fields {
			msg += "; " + f + " " + m
		}
		return msg
	}
	c.log.Error("console action", "path", r.URL.Path, "err", err)
	return "The action failed on the server; nothing was changed. The error is in the server's log."
}

// failPage answers a page whose data could not be read: 404 for what does
// not exist, 503 when the database is out of reach, 500 otherwise.
func (c *Console) failPage(w http.ResponseWriter, r *request, err error) {
	switch {
	case banking.IsCode(err, banking.CodeNotFound):
		c.errorPageFor(w, r, http.StatusNotFound, "Not found", "Nothing here has that id. It may belong to another program.")
	case banking.IsCode(err, banking.CodeInvalid):
		c.errorPageFor(w, r, http.StatusBadRequest, "That request is not valid", c.errorText(r, err))
	case banking.IsCode(err, banking.CodeUnavailable):
		w.Header().Set("Retry-After", "5")
		c.errorPageFor(w, r, http.StatusServiceUnavailable, "The database cannot be reached", "Try again in a few seconds.")
	default:
		c.log.Error("console page", "path", r.URL.Path, "err", err)
		c.errorPageFor(w, r, http.StatusInternalServerError, "Something went wrong", "The console could not show this page. The error is in the server's log.")
	}
}

// safeTarget reports whether to is a console path to redirect to: never
// another site (an open redirect), never a scheme-relative or backslashed
// path a browser would read as one.
func safeTarget(to string) bool {
	return strings.HasPrefix(to, Prefix) && !strings.ContainsAny(to, "\\\r\n\t") && !strings.Contains(to, "//")
}

// backTo is the form's "back" field when it is a safe console path, else
// def: actions return to the page they were taken on.
func (r *request) backTo(def string) string {
	if b := r.PostFormValue("back"); safeTarget(b) {
		return b
	}
	return def
}
