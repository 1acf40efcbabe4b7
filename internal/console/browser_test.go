package console

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ingot-dev/ingot/internal/banking"
)

// chromiumPath finds Debian's chromium (scripts/deps.sh installs it). Without
// it the browser tests fail under CI=true and are skipped, loudly, elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "Chromium is not installed: the console's browser tests need it (apt-get install chromium, or make deps as root)"
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; it is required under CI=true", msg)
	}
	t.Skipf("SKIPPING BROWSER TEST: %s", msg)
	return ""
}

// newBrowser starts headless Chromium with a fresh profile that may reach
// 127.0.0.1 only, and returns a tab's context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		// Every name but the test server's address resolves to nothing.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// tab drives one browser tab through the console and inspects each page.
type tab struct {
	t    *testing.T
	ctx  context.Context
	e    *env
	dir  string
	shot int

	mu sync.Mutex
	// documents maps each page loaded (URL) to its CSP header.
	documents map[string]string
	// violations are the browser's CSP complaints.
	violations []string
}

// run runs browser actions, failing the test on error.
func (b *tab) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// act runs steps that load another page (a click on a link or a button, a
// navigation) and waits for the new page, whose <title> starts with title.
// The old page is marked first, so a new page with the same title is told
// from it.
func (b *tab) act(what, title string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	eval[bool](b, `window.ingotOldPage = true`)
	b.run(what, steps...)
	b.waitTitle(title)
}

// waitTitle waits for a new page whose <title> starts with title.
func (b *tab) waitTitle(title string) {
	b.t.Helper()
	b.waitTitleWithin(title, 10*time.Second)
}

// waitTitleWithin is waitTitle for a page that may take up to d.
func (b *tab) waitTitleWithin(title string, d time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`window.ingotOldPage ? "" : document.title`))
		if err == nil && strings.HasPrefix(got, title+" · ") && eval[string](b, `document.readyState`) == "complete" {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			b.t.Fatalf("waiting for page %q: at %q (%s), err %v", title, got, loc, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// text reads the text of the first element matching a CSS selector.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// a11yScript lists what the rendered page gets wrong for assistive
// technology: not exactly one h1, an image without alt text, a form control
// without a label (a <label for>, an enclosing label, or an aria label), a
// button without a name, a duplicated id.
const a11yScript = `(() => {
  const problems = [];
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(h1 + ' h1 elements');
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt') || img.getAttribute('alt').trim() === '') problems.push('image without alt text: ' + img.getAttribute('src'));
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const byFor = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    if (!byFor && !el.closest('label') && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) {
      problems.push('form control without a label: ' + el.outerHTML);
    }
  }
  for (const b of document.querySelectorAll('button')) {
    if (!b.textContent.trim() && !b.getAttribute('aria-label')) problems.push('button without a name: ' + b.outerHTML);
  }
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) {
    if (ids[el.id]) problems.push('duplicate id ' + el.id);
    ids[el.id] = true;
  }
  return problems;
})()`

// inspect checks the page on screen and saves its screenshots at 1280 and
// 390 px wide: accessibility, no full SSN anywhere in it, no part wider than
// a phone, the CSP it came with.
func (b *tab) inspect(name string) {
	b.t.Helper()
	for _, p := range eval[[]string](b, a11yScript) {
		b.t.Errorf("%s: accessibility: %s", name, p)
	}
	html := eval[string](b, `document.documentElement.outerHTML`)
	for _, ssn := range b.e.ssns {
		if strings.Contains(html, ssn) {
			b.t.Errorf("%s: the page shows a full SSN (%s)", name, ssn)
		}
	}
	for _, n := range b.e.numbers {
		if strings.Contains(html, n) {
			b.t.Errorf("%s: the page shows a full account number (%s)", name, n)
		}
	}
	loc := eval[string](b, `location.href`)
	b.mu.Lock()
	policy, seen := b.documents[loc]
	b.mu.Unlock()
	if !seen || policy != csp {
		b.t.Errorf("%s: page %s came with CSP %q (seen %v), want %q", name, loc, policy, seen, csp)
	}
	for _, w := range []int64{1280, 390} {
		b.run("resize", chromedp.EmulateViewport(w, 900))
		if w == 390 {
			if sw := eval[int](b, `document.documentElement.scrollWidth`); sw > 390 {
				b.t.Errorf("%s: at 390 px the page is %d px wide (it scrolls sideways)", name, sw)
			}
		}
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		b.shot++
		path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s-%d.png", b.shot, name, w))
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", path)
	}
	b.run("resize", chromedp.EmulateViewport(1280, 900))
}

// TestBrowser drives the console in Chromium as an operator would: sign in,
// search a user, open them, approve their pending KYC and see the status and
// the audit trail change, visit every page, sign out. Each page is checked
// (tab.inspect) and photographed at 1280 and 390 px; the screenshots go to
// the test's temporary directory, or to INGOT_CONSOLE_SCREENSHOTS when set
// (to look at them after the run).
//
// Then the money: open an account, see its balance, simulate an inbound
// transfer and see the balance change, open the transaction with its
// entries, open the webhook deliveries (the endpoint answers 500) and
// redeliver one. Then find the pending top-up (from a linked account ending
// in 0002), settle it completed and see the business's balance change;
// advance the sandbox's clock a day and see the program's time change.
func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, filepath.Join(t.TempDir(), "console.db"))
	dir := os.Getenv("INGOT_CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &tab{t: t, ctx: ctx, e: e, dir: dir, documents: map[string]string{}}
	if err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventResponseReceived:
			if ev.Type == network.ResourceTypeDocument {
				b.documents[ev.Response.URL] = headerValue(ev.Response.Headers, "Content-Security-Policy")
			}
		case *cdplog.EventEntryAdded:
			if strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.violations = append(b.violations, ev.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	// A webhook endpoint that fails, so deliveries are pending or failed.
	e.failingHook()
	// The program's customers: a page and more of users, some verified,
	// rejected or waiting for review, and businesses.
	owner := e.user("Grace", "Hopper", "grace@example.com", "6789", true)
	for i := range 52 {
		last4 := []string{"1111", "0001", "0002", "2222"}[i%4]
		e.user(fmt.Sprintf("Test%02d", i), "Customer", fmt.Sprintf("customer%02d@example.com", i), last4, i%3 != 0)
	}
	ada := e.user("Ada", "Lovelace", "ada@example.com", "0002", true)
	e.waitKYC(owner, banking.KYCVerified)
	biz := e.business(owner, "Analytical Engines LLC", "12-3450002", "4321")
	works := e.business(owner, "Difference Works Inc", "12-3456789", "5555")
	acct, _ := e.account(owner, 123456)
	// A top-up from a linked account ending in 0002: pending until settled.
	worksAcct, _ := e.pendingTopUp(owner, works, "250.00")
	base := e.srv.URL

	// Sign in: any console page sends a stranger to the sign-in page.
	b.act("open the console", "Sign in", chromedp.Navigate(base+Prefix))
	b.inspect("sign-in")
	b.act("sign in", "Programs", chromedp.SendKeys(chromedp.ID("token"), e.token), chromedp.Click(chromedp.CSS(`form.card button[type="submit"]`)))
	b.inspect("programs")

	// Users: search, then open the user.
	b.act("open the program", "Users", chromedp.Click(chromedp.CSS(`a.strong[href$="/users"]`)))
	b.inspect("users")
	b.act("search", "Users", chromedp.SendKeys(chromedp.ID("search"), "lovelace"), chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))
	if n := eval[int](b, `document.querySelectorAll('table.list tbody tr').length`); n != 1 {
		t.Fatalf("search for lovelace: %d rows, want 1", n)
	}
	b.act("open the user", "Ada Lovelace", chromedp.Click(chromedp.CSS(`table.list a.strong`)))
	if got := eval[string](b, `document.querySelectorAll('.badges .badge')[1].textContent`); got != "pending" {
		t.Fatalf("KYC badge before the decision = %q, want pending", got)
	}
	b.inspect("user-pending")

	// Approve the pending KYC: the status and the trail change.
	b.act("approve", "Ada Lovelace", chromedp.SendKeys(chromedp.ID("reason-user"), "DOCS_CHECKED"),
		chromedp.Click(chromedp.CSS(`section.review button.approve`)))
	if got := b.text(`.flash`); got != "KYC of Ada Lovelace is now verified." {
		t.Fatalf("notice after approving = %q", got)
	}
	if got := eval[string](b, `document.querySelectorAll('.badges .badge')[1].textContent`); got != "verified" {
		t.Fatalf("KYC badge after approving = %q, want verified", got)
	}
	row := b.text(`section[aria-labelledby="trail-h"] tbody tr`)
	for _, want := range []string{"user.kyc.verified", "operator:alice", "DOCS_CHECKED", "kyc_status: pending → verified"} {
		if !strings.Contains(row, want) {
			t.Errorf("newest trail event %q lacks %q", row, want)
		}
	}
	if got := b.text(`.chain`); !strings.Contains(got, "intact") {
		t.Errorf("chain check after approving = %q, want intact", got)
	}
	b.inspect("user-approved")
	if u, _ := e.svc.GetUser(context.Background(), e.caller(), string(ada.ID)); u.KYCStatus != banking.KYCVerified {
		t.Errorf("stored kyc_status = %s, want verified", u.KYCStatus)
	}

	// The other pages.
	b.act("businesses", "Businesses", chromedp.Click(chromedp.CSS(`nav.main-nav a[href$="/businesses"]`)))
	b.inspect("businesses")
	b.act("business", "Analytical Engines LLC", chromedp.Navigate(base+e.businessPath(biz.ID)))
	b.inspect("business")
	b.act("review", "Review queue", chromedp.Click(chromedp.CSS(`nav.main-nav a[href$="/review"]`)))
	b.inspect("review")

	// Accounts: the list, then Grace's account and its balance.
	b.act("accounts", "Accounts", chromedp.Click(chromedp.CSS(`nav.main-nav a[href$="/accounts"]`)))
	b.inspect("accounts")
	b.act("search the account", "Accounts", chromedp.SendKeys(chromedp.ID("search"), last4(acct.Number)),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))
	b.act("open the account", "Account •••• "+last4(acct.Number), chromedp.Click(chromedp.CSS(`table.list a.strong[href*="/accounts/"]`)))
	if got := b.text(`.balances .available`); got != "$1,234.56" {
		t.Fatalf("available balance = %q, want $1,234.56", got)
	}
	b.inspect("account")

	// Simulate an inbound wire: the balance changes at once.
	b.act("simulate a wire", "Account •••• "+last4(acct.Number), chromedp.SendKeys(chromedp.ID("amount"), "100.50"),
		chromedp.SetValue(chromedp.ID("rail"), "wire"), chromedp.SendKeys(chromedp.ID("description"), "Browser wire"),
		chromedp.Click(chromedp.CSS(`section.sandbox button[type="submit"]`)))
	if got := b.text(`.flash`); got != "Inbound wire transfer of $100.50 is completed." {
		t.Fatalf("notice after simulating = %q", got)
	}
	if got := b.text(`.balances .available`); got != "$1,335.06" {
		t.Fatalf("available balance after the wire = %q, want $1,335.06", got)
	}
	b.inspect("account-funded")

	// The transaction's page, with its entries.
	b.act("open the transaction", "Transaction $100.50", chromedp.Click(chromedp.CSS(`section[aria-labelledby="tx-h"] table.list a.strong`)))
	if n := eval[int](b, `document.querySelectorAll('table.entries tbody tr').length`); n != 2 {
		t.Errorf("transaction page: %d ledger entries, want 2", n)
	}
	if got := b.text(`table.entries tbody`); !strings.Contains(got, "-$100.50") || !strings.Contains(got, "$100.50") {
		t.Errorf("entries %q lack the debit and the credit of $100.50", got)
	}
	if got := b.text(`ol.timeline`); !strings.Contains(got, "Created and settled") || !strings.Contains(got, "operator:alice") {
		t.Errorf("timeline %q lacks the settlement by operator:alice", got)
	}
	b.inspect("transaction")
	b.act("transactions", "Transactions", chromedp.Click(chromedp.CSS(`nav.main-nav a[href$="/transactions"]`)))
	b.inspect("transactions")

	// Webhook deliveries: the endpoint answers 500; redeliver the newest.
	b.act("webhooks", "Webhook deliveries", chromedp.Click(chromedp.CSS(`nav.main-nav a[href$="/webhooks"]`)))
	if got := b.text(`table.list tbody tr`); !strings.Contains(got, "HTTP 500") {
		t.Errorf("newest delivery %q does not show the receiver's 500", got)
	}
	b.inspect("webhooks")
	b.act("redeliver", "Webhook deliveries", chromedp.Click(chromedp.CSS(`table.list button.redeliver`)))
	if got := b.text(`.flash`); !strings.HasPrefix(got, "Redelivery of ") || !strings.Contains(got, "pending again") {
		t.Errorf("notice after redelivering = %q", got)
	}
	b.inspect("webhooks-redelivered")

	// Settle the pending top-up: find it among the pending transactions,
	// settle it completed, see the business's balance change.
	b.act("pending transactions", "Transactions", chromedp.Navigate(base+programPath(e.program)+"/transactions?status=pending"))
	b.act("open the pending top-up", "Transaction $250.00", chromedp.Click(chromedp.CSS(`table.list a.strong[href*="/transactions/"]`)))
	if got := b.text(`.badges .badge`); got != "pending" {
		t.Fatalf("top-up status before settling = %q, want pending", got)
	}
	b.inspect("transaction-pending")
	b.act("settle", "Transaction $250.00", chromedp.SetValue(chromedp.ID("outcome"), "completed"),
		chromedp.Click(chromedp.CSS(`section.settle button[type="submit"]`)))
	if got := b.text(`.flash`); got != "The $250.00 top_up is now completed." {
		t.Fatalf("notice after settling = %q", got)
	}
	if got := b.text(`.badges .badge`); got != "completed" {
		t.Errorf("top-up status after settling = %q, want completed", got)
	}
	if got := b.text(`ol.timeline`); !strings.Contains(got, "Settled") || !strings.Contains(got, "operator:alice") {
		t.Errorf("timeline %q lacks the settlement by operator:alice", got)
	}
	if got := eval[string](b, `document.getElementById('return-code').value`); got != "R01" {
		t.Errorf("the return form's code is %q by default, want R01", got)
	}
	b.inspect("transaction-settled")
	b.act("open the business's account", "Account •••• "+last4(worksAcct.Number), chromedp.Click(chromedp.CSS(`dl.facts a[href*="/accounts/"]`)))
	if got := b.text(`.balances .available`); got != "$250.00" {
		t.Errorf("business's available balance after settling = %q, want $250.00", got)
	}

	// The sandbox's clock: a day forward.
	b.act("sandbox", "Sandbox", chromedp.Click(chromedp.CSS(`nav.main-nav a[href$="/sandbox"]`)))
	before := b.text(`.program-time`)
	b.inspect("sandbox")
	// The advance answers once every job due within the day has run: here
	// each webhook event's retries to the failing receiver, which can take
	// longer than a page (the service waits up to a minute).
	eval[bool](b, `window.ingotOldPage = true`)
	start := time.Now()
	b.run("advance a day", chromedp.Click(chromedp.CSS(`button[name="seconds"][value="86400"]`)))
	b.waitTitleWithin("Sandbox", 90*time.Second)
	t.Logf("advancing the clock a day took %s", time.Since(start).Round(time.Millisecond))
	if got := b.text(`.flash`); !strings.HasPrefix(got, "The clock moved forward by 1 day: the program's time is now ") {
		t.Errorf("notice after advancing = %q", got)
	}
	after := b.text(`.program-time`)
	bt, err1 := time.Parse("2006-01-02 15:04:05 UTC", before)
	at, err2 := time.Parse("2006-01-02 15:04:05 UTC", after)
	if err1 != nil || err2 != nil || at.Sub(bt) < 24*time.Hour || at.Sub(bt) > 24*time.Hour+time.Minute {
		t.Errorf("program time went from %q to %q, want a day later (%v %v)", before, after, err1, err2)
	}
	if got := b.text(`section[aria-labelledby="clock-h"] p`); !strings.Contains(got, "1 day ahead of the real time") {
		t.Errorf("clock section after advancing = %q", got)
	}
	b.inspect("sandbox-advanced")
	// The redelivery and the advance are in the program's audit trail,
	// each naming the operator.
	for _, want := range []banking.EventType{banking.EventWebhookRedelivered, banking.EventClockAdvanced} {
		found := false
		for _, ev := range e.eventsAfter(0) {
			found = found || ev.typ == want && ev.actor == "operator:alice"
		}
		if !found {
			t.Errorf("no %s event by operator:alice in the program's trail", want)
		}
	}

	b.act("not found", "Not found", chromedp.Navigate(base+e.userPath("user-00000000-0000-0000-0000-000000000000")))
	b.inspect("not-found")

	// Sign out: the console is closed again.
	b.act("sign out", "Sign in", chromedp.Click(chromedp.CSS(`.who button`)))
	if got := b.text(`.flash`); got != "You are signed out." {
		t.Errorf("after signing out: %q", got)
	}
	b.act("back to a page", "Sign in", chromedp.Navigate(base+e.userPath(ada.ID)))

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, v := range b.violations {
		t.Errorf("the browser reported a CSP violation: %s", v)
	}
}

// headerValue reads a response header whatever its letter case.
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}
