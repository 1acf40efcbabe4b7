package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// Cookies. Both are HttpOnly (no script may read them; the console has no
// script anyway), SameSite=Strict (another site's page cannot make the
// browser send them), scoped to the console's path, and Secure when the
// console is served over TLS.
const (
	// sessionCookie carries the session's secret.
	sessionCookie = "ingot_console"
	// signInCookie carries a random value from which the sign-in form's
	// CSRF token is derived, before any session exists.
	signInCookie = "ingot_console_signin"
	// maxFormBytes bounds a console form's body.
	maxFormBytes = 64 << 10
)

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) { setCookie(w, r, name, "", -1) }

// csrfToken derives a form's CSRF token from a cookie's secret value. A page
// of another site can neither read the cookie nor the token, so it cannot
// forge a form; the server needs to store nothing more than the session.
func csrfToken(secret string) string {
	h := sha256.Sum256([]byte("ingot-console-csrf\x00" + secret))
	return hex.EncodeToString(h[:])
}

func randomSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// authenticate finds the request's live session. Without one the browser
// is sent to sign in (303), with where it was going when that was a page.
func (c *Console) authenticate(w http.ResponseWriter, hr *http.Request) (*request, bool) {
	ck, err := hr.Cookie(sessionCookie)
	if err == nil && ck.Value != "" {
		s, err := c.svc.ConsoleSession(hr.Context(), ck.Value)
		switch {
		case err == nil:
			infoOf(hr.Context()).operator = s.Operator
			r := &request{Request: hr, c: c, op: s.Operator, session: ck.Value, csrf: csrfToken(ck.Value)}
			if s.Flash != "" {
				r.flash = &flash{Kind: s.FlashKind, Text: s.Flash}
			}
			return r, true
		case !banking.IsCode(err, banking.CodeNotFound):
			c.failPage(w, &request{Request: hr, c: c}, err)
			return nil, false
		}
		clearCookie(w, hr, sessionCookie) // ended, signed out or revoked
	}
	to := Prefix + "sign-in"
	if hr.Method == http.MethodGet && hr.URL.Path != Prefix {
		to += "?next=" + url.QueryEscape(hr.URL.RequestURI())
	}
	http.Redirect(w, hr, to, http.StatusSeeOther)
	return nil, false
}

// checkCSRF refuses (403) a POST whose form lacks the session's CSRF token,
// or that another origin sent. Nothing has been read or changed yet.
func (c *Console) checkCSRF(w http.ResponseWriter, r *request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !sameOrigin(r.Request) || r.ParseForm() != nil || !validCSRF(r.PostFormValue("csrf"), r.csrf) {
		c.errorPageFor(w, r, http.StatusForbidden, "This form has expired",
			"Its security token is missing or does not match your session, so nothing was changed. Go back, reload the page and try again.")
		return false
	}
	return true
}

func validCSRF(got, want string) bool {
	return want != "" && len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sameOrigin reports whether a browser's Origin header, when it sends one,
// names this server: a second line of defence after SameSite and the token.
// (The pages' Referrer-Policy is same-origin, not no-referrer, under which
// browsers send "Origin: null" with every form.)
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// signInView is the sign-in page's data.
type signInView struct {
	Next      string
	Error     string
	SignedOut bool
}

// signInForm shows the sign-in form; a signed-in browser goes on to the
// console.
func (c *Console) signInForm(w http.ResponseWriter, hr *http.Request) {
	if ck, err := hr.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if _, err := c.svc.ConsoleSession(hr.Context(), ck.Value); err == nil {
			http.Redirect(w, hr, nextTarget(hr.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	q := hr.URL.Query()
	c.renderSignIn(w, hr, http.StatusOK, signInView{Next: nextTarget(q.Get("next")), SignedOut: q.Has("signed-out")})
}

// renderSignIn renders the sign-in form with a CSRF token derived from the
// browser's sign-in cookie, setting one when it has none.
func (c *Console) renderSignIn(w http.ResponseWriter, hr *http.Request, status int, v signInView) {
	secret := ""
	if ck, err := hr.Cookie(signInCookie); err == nil && len(ck.Value) == 64 {
		secret = ck.Value
	} else {
		secret = randomSecret()
		setCookie(w, hr, signInCookie, secret, 0)
	}
	c.render(w, &request{Request: hr, c: c, csrf: csrfToken(secret)}, status, "signin", "Sign in", v)
}

// nextTarget is where to go after signing in: the page asked for when it is
// a console page, else the console's first page.
func nextTarget(next string) string {
	if safeTarget(next) && !strings.HasPrefix(next, Prefix+"sign-") {
		return next
	}
	return Prefix
}

// signIn checks a console token and opens a session. An address with more
// than maxFailures failed sign-ins within a minute gets 429 for a minute,
// before its form is even read.
func (c *Console) signIn(w http.ResponseWriter, hr *http.Request) {
	addr := clientAddr(hr)
	if wait, blocked := c.limiter.blocked(addr); blocked {
		c.tooManySignIns(w, hr, wait)
		return
	}
	hr.Body = http.MaxBytesReader(w, hr.Body, maxFormBytes)
	ck, err := hr.Cookie(signInCookie)
	if !sameOrigin(hr) || hr.ParseForm() != nil || err != nil || !validCSRF(hr.PostFormValue("csrf"), csrfToken(ck.Value)) {
		c.errorPage(w, hr, http.StatusForbidden, "This form has expired",
			"Its security token is missing or does not match, so you were not signed in. Reload the sign-in page and try again.")
		return
	}
	next := nextTarget(hr.PostFormValue("next"))
	session, op, err := c.svc.SignIn(hr.Context(), hr.PostFormValue("token"))
	if banking.IsCode(err, banking.CodeUnauthenticated) {
		if wait, blocked := c.limiter.fail(addr); blocked {
			c.log.Warn("console sign-in blocked", "addr", addr)
			c.tooManySignIns(w, hr, wait)
			return
		}
		c.renderSignIn(w, hr, http.StatusUnauthorized, signInView{Next: next,
			Error: "That console token is not valid. Check that you pasted all of it; a revoked token no longer works."})
		return
	}
	if err != nil {
		c.failPage(w, &request{Request: hr, c: c}, err)
		return
	}
	infoOf(hr.Context()).operator = op
	c.log.Info("console sign-in", "operator", op, "addr", addr)
	clearCookie(w, hr, signInCookie)
	setCookie(w, hr, sessionCookie, session, int(service.SessionTTL.Seconds()))
	http.Redirect(w, hr, next, http.StatusSeeOther)
}

// tooManySignIns answers 429 with Retry-After in whole seconds.
func (c *Console) tooManySignIns(w http.ResponseWriter, hr *http.Request, wait int) {
	w.Header().Set("Retry-After", strconv.Itoa(wait))
	c.errorPage(w, hr, http.StatusTooManyRequests, "Too many sign-in attempts",
		"More than "+strconv.Itoa(maxFailures)+" sign-ins from your address failed within a minute. Wait a minute, then try again.")
}

// signOut ends the session and forgets its cookie.
func (c *Console) signOut(r *request) (string, string, error) {
	if err := c.svc.SignOut(r.Context(), r.session); err != nil {
		return Prefix, "", err
	}
	r.session, r.endSession = "", true // no notice to leave: the session is gone
	c.log.Info("console sign-out", "operator", r.op)
	return Prefix + "sign-in?signed-out", "", nil
}
