package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
)

// seeded is what the route tests fill path parameters with.
type seeded struct {
	pending  banking.User     // KYC pending (SSN 0002)
	business banking.Business // KYB pending (EIN 0002)
	account  banking.Account  // the verified owner's, funded by
	deposit  banking.Transaction
	// hook is a webhook event whose delivery failed once (the endpoint
	// answers 500).
	hook store.WebhookEvent
}

func seed(t *testing.T, e *env) seeded {
	t.Helper()
	e.failingHook()
	owner := e.user("Grace", "Hopper", "grace@example.com", "6789", true)
	e.waitKYC(owner, banking.KYCVerified)
	s := seeded{pending: e.user("Ada", "Lovelace", "ada@example.com", "0002", true)}
	s.business = e.business(owner, "Analytical Engines LLC", "12-3450002", "4321")
	s.account, s.deposit = e.account(owner, 123456)
	evs, _, err := e.svc.WebhookEvents(context.Background(), e.caller(), service.WebhookFilter{Page: 1, PerPage: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("no webhook event after seeding (%v)", err)
	}
	s.hook = e.waitDelivery(evs[0].ID)
	return s
}

// unchanged fails unless the seeded account's balance and webhook event are
// as seeded: no transfer was simulated, nothing was redelivered.
func (s seeded) unchanged(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	a, err := e.svc.AccountByID(ctx, e.program, string(s.account.ID))
	if err != nil || a.Balance.Posted != 123456 || a.Balance.PendingCredits != 0 {
		t.Errorf("account balance after refused posts: %+v (%v), want posted 123456 and nothing pending", a.Balance, err)
	}
	evs, _, err := e.svc.WebhookEvents(ctx, e.caller(), service.WebhookFilter{EventID: s.hook.ID, Page: 1, PerPage: 1})
	if err != nil || len(evs) != 1 || !evs[0].UpdatedAt.Equal(s.hook.UpdatedAt) || !evs[0].NextAttemptAt.Equal(s.hook.NextAttemptAt) {
		t.Errorf("webhook event after refused posts: %+v (%v), want it as seeded %+v", evs, err, s.hook)
	}
}

var pathParam = regexp.MustCompile(`\{([a-z$]*)\}`)

// concrete turns a route pattern into its method and a path that names the
// seeded data. A pattern with a parameter this test does not know fails,
// so a new page's route is tested as soon as it is added (give it a value
// here).
func (s seeded) concrete(t *testing.T, e *env, pattern string) (string, string) {
	t.Helper()
	method, path, _ := strings.Cut(pattern, " ")
	values := map[string]string{"$": "", "pid": string(e.program), "uid": string(s.pending.ID), "bid": string(s.business.ID),
		"aid": string(s.account.ID), "tid": string(s.deposit.ID), "eid": s.hook.ID}
	path = pathParam.ReplaceAllStringFunc(path, func(m string) string {
		v, ok := values[strings.Trim(m, "{}")]
		if !ok {
			t.Fatalf("route %q: no sample value for %s: add one to concrete", pattern, m)
		}
		return v
	})
	return method, path
}

// TestEveryRouteNeedsASession: without a session every page and every action
// answers 303 to the sign-in page (a page with itself as next), and changes
// nothing; so does a session cookie the server never issued.
func TestEveryRouteNeedsASession(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		s := seed(t, e)
		for _, forged := range []bool{false, true} {
			b := e.browser()
			if forged {
				u, _ := url.Parse(e.srv.URL + Prefix)
				b.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: strings.Repeat("ab", 32), Path: Prefix}})
			}
			for _, rt := range e.con.routes {
				method, path := s.concrete(t, e, rt.pattern)
				var a answer
				want := Prefix + "sign-in"
				if method == http.MethodGet {
					a = b.get(path)
					if path != Prefix {
						want += "?next=" + url.QueryEscape(path)
					}
				} else {
					a = b.post(path, url.Values{"decision": {"approve"}, "amount": {"5.00"}, "rail": {"wire"}})
				}
				a.want(t, http.StatusSeeOther, want)
			}
			// A path no route has: the same, so a stranger cannot tell.
			b.get(Prefix+"no-such-page").want(t, http.StatusSeeOther, Prefix+"sign-in?next="+url.QueryEscape(Prefix+"no-such-page"))
			b.post(Prefix+"programs", nil).want(t, http.StatusSeeOther, Prefix+"sign-in")
		}
		// Nothing was decided.
		if u, _ := e.svc.GetUser(context.Background(), e.caller(), string(s.pending.ID)); u.KYCStatus != banking.KYCPending {
			t.Errorf("user kyc_status = %s after unauthenticated posts, want pending", u.KYCStatus)
		}
		s.unchanged(t, e)
	})
}

// TestPostsNeedTheCSRFToken: a signed-in operator's form post without the
// CSRF token, with a wrong one, with another session's, or from another
// origin is 403 and changes nothing; with the token it works.
func TestPostsNeedTheCSRFToken(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		s := seed(t, e)
		b := e.browser()
		b.signIn(e.token)
		other := e.browser()
		other.signIn(e.token)
		otherCSRF := other.get(Prefix).csrf(t)
		page := b.get(e.userPath(s.pending.ID)).want(t, http.StatusOK, "")
		good := page.csrf(t)
		trail := func() int {
			_, n, err := e.svc.Trail(context.Background(), e.program, string(s.pending.ID), 1, 50)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := trail()
		for name, csrf := range map[string][]string{"missing": nil, "wrong": {strings.Repeat("0", 64)},
			"another session's": {otherCSRF}, "empty": {""}} {
			form := url.Values{"decision": {"approve"}}
			if csrf != nil {
				form["csrf"] = csrf
			}
			a := b.post(e.userPath(s.pending.ID)+"/kyc", form)
			if a.StatusCode != http.StatusForbidden || !strings.Contains(a.body, "<h1>") {
				t.Errorf("%s token: %d, want a 403 page:\n%s", name, a.StatusCode, a.body)
			}
			if a = b.post(Prefix+"sign-out", form); a.StatusCode != http.StatusForbidden {
				t.Errorf("sign-out with a %s token: %d, want 403", name, a.StatusCode)
			}
		}
		// A right token from another site's page: refused by Origin.
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+e.userPath(s.pending.ID)+"/kyc",
			strings.NewReader(url.Values{"csrf": {good}, "decision": {"approve"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		if a := b.do(req); a.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin post: %d, want 403", a.StatusCode)
		}
		if u, _ := e.svc.GetUser(context.Background(), e.caller(), string(s.pending.ID)); u.KYCStatus != banking.KYCPending || trail() != before {
			t.Fatalf("after refused posts: kyc_status %s, %d events (was %d); want pending and no event", u.KYCStatus, trail(), before)
		}
		// Still signed in, and the right token works.
		b.post(e.userPath(s.pending.ID)+"/kyc", url.Values{"csrf": {good}, "decision": {"approve"}}).
			want(t, http.StatusSeeOther, e.userPath(s.pending.ID))
		after := b.get(e.userPath(s.pending.ID)).want(t, http.StatusOK, "")
		for _, want := range []string{"KYC of Ada Lovelace is now verified.", "operator:alice", "user.kyc.verified"} {
			if !strings.Contains(after.body, want) {
				t.Errorf("user page after approval lacks %q", want)
			}
		}
	})
}

// TestMoneyActionsNeedTheCSRFToken: simulating a transfer and redelivering
// a webhook without the CSRF token, or with a wrong one, are 403 and change
// nothing; with it they work.
func TestMoneyActionsNeedTheCSRFToken(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		s := seed(t, e)
		b := e.browser()
		b.signIn(e.token)
		good := b.get(e.accountPath(s.account.ID)).want(t, http.StatusOK, "").csrf(t)
		inbound := e.accountPath(s.account.ID) + "/inbound-transfer"
		redeliver := programPath(e.program) + "/webhooks/" + s.hook.ID + "/redeliver"
		for name, csrf := range map[string][]string{"missing": nil, "wrong": {strings.Repeat("0", 64)}, "empty": {""}} {
			form := url.Values{"amount": {"5.00"}, "rail": {"wire"}}
			if csrf != nil {
				form["csrf"] = csrf
			}
			for _, p := range []string{inbound, redeliver} {
				if a := b.post(p, form); a.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s with a %s token: %d, want 403", p, name, a.StatusCode)
				}
			}
		}
		s.unchanged(t, e)
		b.post(inbound, url.Values{"csrf": {good}, "amount": {"5.00"}, "rail": {"wire"}}).
			want(t, http.StatusSeeOther, e.accountPath(s.account.ID))
		b.post(redeliver, url.Values{"csrf": {good}}).want(t, http.StatusSeeOther, programPath(e.program)+"/webhooks")
		a, _ := e.svc.AccountByID(context.Background(), e.program, string(s.account.ID))
		if a.Balance.Posted != 123456+500 {
			t.Errorf("posted balance after the simulated wire = %d, want %d", a.Balance.Posted, 123456+500)
		}
	})
}

// TestSignInFormNeedsItsToken: the sign-in form's own CSRF token is checked
// too (a login CSRF would sign a browser in as someone else).
func TestSignInFormNeedsItsToken(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	b := e.browser()
	b.get(Prefix + "sign-in")
	for _, csrf := range []string{"", strings.Repeat("1", 64)} {
		a := b.post(Prefix+"sign-in", url.Values{"csrf": {csrf}, "token": {e.token}})
		if a.StatusCode != http.StatusForbidden || a.Header.Get("Set-Cookie") != "" {
			t.Errorf("sign-in with csrf %q: %d, Set-Cookie %q; want 403 and no cookie", csrf, a.StatusCode, a.Header.Get("Set-Cookie"))
		}
	}
	b.get(Prefix).want(t, http.StatusSeeOther, Prefix+"sign-in")
}

// TestRevokedTokenEndsItsSessions: revoking a token ends its sessions at
// once (the next request is sent to sign in) and it no longer signs in;
// other tokens' sessions go on.
func TestRevokedTokenEndsItsSessions(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		bobToken, err := e.svc.CreateConsoleToken(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		alice, bob := e.browser(), e.browser()
		alice.signIn(e.token)
		bob.signIn(bobToken)
		alice.get(Prefix).want(t, http.StatusOK, "")
		if n, err := e.svc.RevokeConsoleToken(ctx, "alice"); err != nil || n != 1 {
			t.Fatalf("revoke = %d, %v; want 1 session ended", n, err)
		}
		a := alice.get(Prefix).want(t, http.StatusSeeOther, Prefix+"sign-in")
		if c := a.Header.Get("Set-Cookie"); !strings.Contains(c, sessionCookie+"=;") {
			t.Errorf("revoked session's cookie not cleared: Set-Cookie %q", c)
		}
		if a := alice.trySignIn(e.token); a.StatusCode != http.StatusUnauthorized {
			t.Errorf("sign-in with a revoked token: %d, want 401", a.StatusCode)
		}
		bob.get(Prefix).want(t, http.StatusOK, "")
	})
}

// TestSignOut: signing out ends the session server-side: the old cookie,
// replayed, no longer works.
func TestSignOut(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	b := e.browser()
	b.signIn(e.token)
	u, _ := url.Parse(e.srv.URL + Prefix)
	var old *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			old = c
		}
	}
	csrf := b.get(Prefix).csrf(t)
	b.post(Prefix+"sign-out", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther, Prefix+"sign-in?signed-out")
	if !strings.Contains(b.get(Prefix+"sign-in?signed-out").body, "You are signed out.") {
		t.Error("sign-in page after sign-out does not say so")
	}
	replay := e.browser()
	replay.c.Jar.SetCookies(u, []*http.Cookie{old})
	replay.get(Prefix).want(t, http.StatusSeeOther, Prefix+"sign-in")
}

// TestSignInRateLimit: ten failed sign-ins from one address within a minute
// are answered 401; the eleventh, and anything else from that address for a
// minute (the right token too), 429 with Retry-After; then it works again.
func TestSignInRateLimit(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	b := e.browser()
	for i := 1; i <= maxFailures; i++ {
		if a := b.trySignIn("ict_wrong"); a.StatusCode != http.StatusUnauthorized || !strings.Contains(a.body, "not valid") {
			t.Fatalf("failed sign-in %d: %d, want 401 saying the token is not valid", i, a.StatusCode)
		}
		e.clock.Advance(time.Second)
	}
	a := b.trySignIn("ict_wrong")
	if a.StatusCode != http.StatusTooManyRequests || a.Header.Get("Retry-After") != "60" {
		t.Fatalf("sign-in %d: %d, Retry-After %q; want 429, 60", maxFailures+1, a.StatusCode, a.Header.Get("Retry-After"))
	}
	e.clock.Advance(59 * time.Second)
	if a := b.trySignIn(e.token); a.StatusCode != http.StatusTooManyRequests || a.Header.Get("Retry-After") != "1" {
		t.Fatalf("right token while blocked: %d, Retry-After %q; want 429, 1", a.StatusCode, a.Header.Get("Retry-After"))
	}
	e.clock.Advance(time.Second)
	b.signIn(e.token)

	// Failures spread over more than a minute never block.
	c := e.browser()
	for i := 1; i <= 2*maxFailures; i++ {
		if a := c.trySignIn("ict_wrong"); a.StatusCode != http.StatusUnauthorized {
			t.Fatalf("spread failure %d: %d, want 401", i, a.StatusCode)
		}
		e.clock.Advance(7 * time.Second)
	}
}

// TestSecurityHeaders: every console answer, pages, errors, redirects and
// assets alike, carries the strict policy; cookies are HttpOnly and
// SameSite=Strict, and Secure over TLS.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	s := seed(t, e)
	b := e.browser()
	check := func(a answer) {
		t.Helper()
		p := a.Header.Get("Content-Security-Policy")
		if p != csp {
			t.Errorf("%s %s: CSP %q, want %q", a.Request.Method, a.Request.URL, p, csp)
		}
		if a.Header.Get("X-Content-Type-Options") != "nosniff" || a.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: missing nosniff or frame denial", a.Request.URL)
		}
	}
	check(b.get(Prefix))
	check(b.get(Prefix + "sign-in"))
	check(b.get(Prefix + "assets/console.css"))
	check(b.get(Prefix + "no-such-page"))
	b.signIn(e.token)
	check(b.get(Prefix+"no-such-page").want(t, http.StatusNotFound, ""))
	for _, rt := range e.con.routes {
		if rt.act != nil {
			continue
		}
		_, path := s.concrete(t, e, rt.pattern)
		check(b.get(path).want(t, http.StatusOK, ""))
	}
	check(b.get(programPath("prog-00000000-0000-0000-0000-000000000000")+"/users").want(t, http.StatusNotFound, ""))
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP allows %s", bad)
		}
	}

	tls := newTLSServer(t, e)
	resp, err := tls.Client().Get(tls.URL + Prefix + "sign-in")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Secure", "Path=/console/"} {
		if !strings.Contains(c, want) {
			t.Errorf("cookie over TLS %q lacks %s", c, want)
		}
	}
	if c := e.browser().get(Prefix + "sign-in").Header.Get("Set-Cookie"); c == "" || strings.Contains(c, "Secure") {
		t.Errorf("cookie over plain HTTP is Secure (the browser would drop it): %q", c)
	}
}

// TestMount: the console answers its own paths only; the API keeps every
// other one, including a path that merely starts like the console's.
func TestMount(t *testing.T) {
	e := newEnv(t, t.TempDir()+"/c.db")
	b := e.browser()
	b.get("/console").want(t, http.StatusMovedPermanently, Prefix)
	for _, p := range []string{"/console/../api/v4/user/get", "/consoles/", "/api/v4/user/get"} {
		a := b.get(p)
		if a.Header.Get("Content-Security-Policy") != "" || !strings.Contains(a.body, `"error"`) {
			t.Errorf("GET %s: answered by the console (%d), want the API's error envelope:\n%s", p, a.StatusCode, a.body)
		}
	}
	if a := b.get("/console/programs/x/users"); a.Header.Get("Content-Security-Policy") != csp {
		t.Errorf("a console path is not the console's")
	}
}
