package console

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
	"github.com/ingot-dev/ingot/internal/vault"
)

// BenchmarkPages measures each console page's server time (the handler,
// from the session lookup to the last byte of HTML, without the network)
// with many users in one program (INGOT_BENCH_USERS, default 1,000,000) on
// each engine. Each sub-benchmark reports p50 and p99 in milliseconds; the
// target is 50 ms (issue 16). Seeding uses the store's bulk path and takes
// minutes per engine at the default size; run it with
//
//	go test -run '^$' -bench Pages -benchtime 200x -timeout 60m ./internal/console/
func BenchmarkPages(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("INGOT_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	for _, eng := range []string{"sqlite", "postgres"} {
		b.Run(eng, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "pages.db")
			if eng == "postgres" {
				dsn = testenv.PostgresURL(b)
			}
			f := seedPages(b, dsn, n)
			p := programPath(f.program)
			pages := []struct{ name, path string }{
				{"programs", Prefix},
				{"users", p + "/users"},
				{"users_page2", p + "/users?page=2"},
				{"users_search_rare", p + "/users?search=xotezy"},
				{"users_search_common", p + "/users?search=grace"},
				{"users_email", p + "/users?email=" + benchEmail(n/2)},
				{"users_blocked", p + "/users?status=blocked"},
				{"users_kyc_pending", p + "/users?kyc_status=pending"},
				{"users_kyc_rejected", p + "/users?kyc_status=rejected"},
				{"user", p + "/users/" + string(f.user)},
				{"businesses", p + "/businesses"},
				{"business", p + "/businesses/" + string(f.business)},
				{"review", p + "/review"},
				{"user_with_account", p + "/users/" + string(f.holder)},
				{"accounts", p + "/accounts"},
				{"accounts_page2", p + "/accounts?page=2"},
				{"accounts_last4", p + "/accounts?search=" + last4(f.number)},
				{"accounts_holder", p + "/accounts?search=lovelace"},
				{"accounts_frozen", p + "/accounts?status=frozen"},
				{"account", p + "/accounts/" + string(f.account)},
				{"transactions", p + "/transactions"},
				{"transactions_page2", p + "/transactions?page=2"},
				{"transactions_filtered", p + "/transactions?status=completed&type=inbound_transfer"},
				{"transactions_none", p + "/transactions?type=payout"},
				{"transaction", p + "/transactions/" + string(f.transaction)},
				{"webhooks", p + "/webhooks"},
				{"webhooks_failed", p + "/webhooks?status=failed"},
				{"sandbox", p + "/sandbox"},
			}
			for _, pg := range pages {
				b.Run(pg.name, func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					for b.Loop() {
						req := httptest.NewRequest(http.MethodGet, pg.path, nil)
						req.AddCookie(&http.Cookie{Name: sessionCookie, Value: f.session})
						w := httptest.NewRecorder()
						start := time.Now()
						f.con.ServeHTTP(w, req)
						lat = append(lat, time.Since(start))
						if w.Code != http.StatusOK {
							b.Fatalf("GET %s: %d\n%s", pg.path, w.Code, w.Body)
						}
					}
					slices.Sort(lat)
					pct := func(q float64) float64 {
						return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
					}
					b.ReportMetric(pct(0.50), "p50-ms")
					b.ReportMetric(pct(0.99), "p99-ms")
				})
			}
		})
	}
}

func benchEmail(i int) string { return fmt.Sprintf("user%07d@example.com", i) }

// pagesFixture is what BenchmarkPages reads.
type pagesFixture struct {
	con      *Console
	session  string
	program  banking.ProgramID
	user     banking.UserID
	business banking.BusinessID
	// holder has an account, account; number is its number; transaction
	// is one of its transactions.
	holder      banking.UserID
	account     banking.AccountID
	number      string
	transaction banking.TransactionID
}

// seedPages bulk-loads n users into a new program (a few with a rare name,
// some blocked, some waiting in review, one in accountEvery verified), then
// through the service accounts, transactions and webhook events
// (seedMoney), a user with a trail and a business with an owner and a
// document waiting for KYB.
func seedPages(b *testing.B, dsn string, n int) pagesFixture {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	sealer, _ := vault.New(key)
	// A sandbox, as its page exists only there.
	svc := service.New(service.Config{Store: st, Sealer: sealer, NoJobs: true, Sandbox: true,
		Webhooks: service.WebhookConfig{AllowPrivate: true}})
	b.Cleanup(func() { svc.Close(); st.Close() })
	creds, err := svc.CreateProgram(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	pid := banking.ProgramID(creds.ProgramID)
	t0 := time.Now().Add(-time.Duration(n) * time.Millisecond)
	start := time.Now()
	const chunk = 10_000
	first := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Leslie"}
	users := make([]banking.User, 0, chunk)
	events := make([]banking.Event, 0, chunk)
	var owner banking.UserID
	var holders []banking.UserID // verified, to be given accounts
	for i := range n {
		last := "Lovelace"
		if i%(max(n/5, 1)) == 1 {
			last = "Quixotezyx"
		}
		at := t0.Add(time.Duration(i) * time.Millisecond)
		u, _, err := banking.NewUser(pid, banking.NewUserInput{FirstName: first[i%len(first)], LastName: last,
			Email: benchEmail(i), PhoneNumber: fmt.Sprintf("+1415555%04d", i%10_000), AddressOne: "1 Main St",
			City: "San Francisco", State: "CA", Country: "US", PostalCode: "94105"}, at)
		if err != nil {
			b.Fatalf("user %d: %v %v", i, err, err.(*banking.Error).Fields)
		}
		switch {
		case i%10_000 == 7:
			u.KYCStatus = banking.KYCPending // in review
		case i%10_000 == 8:
			u.Status = banking.StatusBlocked
		case i%10_000 == 9:
			u.KYCStatus = banking.KYCRejected
		case i == n-1:
			u.KYCStatus, owner = banking.KYCVerified, u.ID
		case i%accountEvery == 3:
			u.KYCStatus = banking.KYCVerified
			holders = append(holders, u.ID)
		}
		users = append(users, u)
		events = append(events, banking.NewEvent(&u, banking.EventUserCreated, "bench", "", banking.CreatedChanges(&u), at))
		if len(users) == chunk || i == n-1 {
			if err := st.BulkCreateUsers(ctx, users, events); err != nil {
				b.Fatal(err)
			}
			users, events = users[:0], events[:0]
		}
	}
	c := service.Caller{ProgramID: pid}
	f := pagesFixture{program: pid}
	seedMoney(b, svc, c, holders, &f)
	u, err := svc.CreateUser(ctx, c, banking.NewUserInput{FirstName: "Ada", LastName: "Reviewed", Email: "ada.reviewed@example.com",
		PhoneNumber: "+14155550123", DateOfBirth: "1990-12-10", AddressOne: "1 Main St", City: "San Francisco",
		State: "CA", Country: "US", PostalCode: "94105", SSN: "123-45-0002"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.SubmitKYC(ctx, c, string(u.ID)); err != nil {
		b.Fatal(err)
	}
	biz, err := svc.CreateBusiness(ctx, c, string(owner), banking.NewBusinessInput{BusinessProfile: banking.BusinessProfile{
		Name: "Bench Works LLC", EIN: "12-3450002", BusinessType: "llc", AddressOne: "1 Market St", City: "San Francisco",
		State: "CA", PostalCode: "94105", Country: "US", Email: "ops@bench.example", Phone: "+14155550100"}})
	if err != nil {
		b.Fatal(err)
	}
	share := "100"
	o, err := svc.AddOwner(ctx, c, string(owner), string(biz.ID), banking.NewOwnerInput{Name: "Olivia Owner", FirstName: "Olivia",
		LastName: "Owner", Email: "olivia@example.com", PhoneNumber: "+14155550199", Address: "2 Owner Way",
		DateOfBirth: "1985-03-04", SSN: "321-65-4321", Ownership: &share})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.AddDocument(ctx, c, string(owner), string(biz.ID), string(o.ID), banking.NewDocumentInput{
		DocumentType: "passport", FileURL: "https://files.example.com/p.pdf"}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.SubmitKYB(ctx, c, string(owner), string(biz.ID)); err != nil {
		b.Fatal(err)
	}
	// Fresh statistics, as autovacuum (PostgreSQL) or ANALYZE would give a
	// long-running database.
	if _, err := st.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateConsoleToken(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	tok, err := svc.CreateConsoleToken(ctx, "bench2")
	if err != nil {
		b.Fatal(err)
	}
	session, _, err := svc.SignIn(ctx, tok)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d users on %s in %v", n, st.Engine(), time.Since(start).Round(time.Second))
	f.con, f.session, f.user, f.business = New(Config{Service: svc, Sandbox: true}), session, u.ID, biz.ID
	return f
}

// accountEvery: one bulk user in accountEvery is verified and gets an
// account (1,000 accounts at a million users).
const accountEvery = 1000

// seedMoney gives each holder an account funded by five inbound wires
// (5,000 transactions at a million users), and, with a webhook endpoint
// that no one answers (deliveries stay pending: the service runs no jobs),
// creates as many users as holders through the service, each logging a
// user.created webhook event.
func seedMoney(b *testing.B, svc *service.Service, c service.Caller, holders []banking.UserID, f *pagesFixture) {
	b.Helper()
	ctx := context.Background()
	if _, err := svc.SetWebhook(ctx, c.ProgramID, "http://127.0.0.1:9/hooks", nil); err != nil {
		b.Fatal(err)
	}
	for i, h := range holders {
		a, err := svc.IssueUserAccount(ctx, c, string(h))
		if err != nil {
			b.Fatalf("issue account %d: %v", i, err)
		}
		for k := range 5 {
			t, err := svc.SimulateInbound(ctx, c, string(a.ID), fmt.Sprintf("%d.%02d", 100+k*37, i%100), "wire", fmt.Sprintf("Deposit %d", k), nil)
			if err != nil {
				b.Fatalf("fund account %d: %v", i, err)
			}
			f.transaction = t.ID
		}
		f.holder, f.account, f.number = h, a.ID, a.Number
		if _, err := svc.CreateUser(ctx, c, banking.NewUserInput{FirstName: "Hook", LastName: fmt.Sprintf("Subject%d", i),
			Email: fmt.Sprintf("hook%07d@example.com", i), PhoneNumber: "+14155550123", AddressOne: "1 Main St",
			City: "San Francisco", State: "CA", Country: "US", PostalCode: "94105"}); err != nil {
			b.Fatal(err)
		}
	}
}
