package main

import (
	"context"
	"database/sql"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/testenv"
)

// TestBlackboxBusinessOnboarding drives business onboarding through the
// real binary: on PostgreSQL with two "ingot serve" processes on one
// database, each call going to either; on SQLite with one. A user passes
// KYC, owns businesses whose EINs and owners' SSNs ask for each sandbox
// outcome, adds owners (concurrently, through both processes, against the
// 100 % rule) and documents, and sends them to KYB; every decision lands
// once, with its documents, and the audit chain verifies.
func TestBlackboxBusinessOnboarding(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.DSN(t)
			env := childEnv()
			creds := createProgram(t, env, "biz", "--db", dsn)
			args := []string{"--sandbox", "--kyc-delay", "300ms", "--db", dsn}
			servers := []*server{startServe(t, env, false, args...)}
			if eng.Name == "postgres" {
				servers = append(servers, startServe(t, env, false, args...))
			}
			var clients []*client
			for _, s := range servers {
				clients = append(clients, newClient(t, s, creds))
			}
			// pick alternates between the processes.
			n := 0
			pick := func() *client { n++; return clients[n%len(clients)] }

			uid := pick().call("user/create", newUserBody("owner@example.com", "123-45-6789")).ok(t).user(t)["id"].(string)
			pick().call("user/send-verification-request", map[string]any{"user_id": uid}).ok(t)
			if st := waitKYC(t, pick(), uid); st != "verified" {
				t.Fatalf("owner kyc_status = %s", st)
			}

			type want struct{ kyb, doc string }
			cases := map[string]want{ // EIN → outcome
				"12-3456789": {"verified", "approved"},
				"12-3450001": {"rejected", "rejected"},
				"12-3456780": {"rejected", "rejected"}, // an owner's SSN ends 0001
				"12-3450002": {"pending", "pending"},
			}
			bids := map[string]string{}
			for ein := range cases {
				body := map[string]any{"user_id": uid, "business_name": "Biz " + ein, "ein": ein,
					"business_type": "Sole Proprietorship", "business_address": "1 Market St", "city": "San Francisco",
					"state": "CA", "zipcode": "94105", "country": "US", "email": "ops@biz.example",
					"phone_number": "+14155550100"}
				b := pick().call("business/create", body).ok(t).items(t)[0]
				if b["business_type"] != "sole_proprietorship" || b["postal_code"] != "94105" {
					t.Errorf("created business = %v", b)
				}
				bids[ein] = b["id"].(string)
			}
			pick().call("business/create", map[string]any{"user_id": uid, "business_name": "Dup", "ein": "123456789",
				"business_type": "llc", "business_address": "x", "city": "x", "state": "CA", "zipcode": "94105",
				"country": "US", "email": "d@biz.example", "phone_number": "+14155550100"}).fails(t, http.StatusConflict, "conflict", "")

			// Owners added at once through both processes: eight of 20 % each,
			// so exactly five fit under 100 %.
			addOwner := func(c *client, bid, ssn string, share float64) (int, error) {
				return rawCall(c, "business/add-business-owner", map[string]any{"user_id": uid, "business_id": bid,
					"name": "Grace Hopper", "email": "grace@biz.example", "address": "1 Navy Way",
					"phone_number": "+14155550111", "ownership_percent": share, "date_of_birth": "1906-12-09", "ssn": ssn})
			}
			bid := bids["12-3456789"]
			var wg sync.WaitGroup
			statuses := make(chan int, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, err := addOwner(clients[i%len(clients)], bid, "123-45-6789", 20)
					if err != nil {
						t.Error(err)
					}
					statuses <- st
				}()
			}
			wg.Wait()
			close(statuses)
			got := map[int]int{}
			for st := range statuses {
				got[st]++
			}
			if got[http.StatusOK] != 5 || got[http.StatusConflict] != 3 {
				t.Errorf("concurrent owners: %v, want five 200 and three 409", got)
			}
			for ein, b := range bids {
				if ein == "12-3456789" {
					continue
				}
				ssn := "123-45-6789"
				if ein == "12-3456780" {
					ssn = "123-45-0001"
				}
				if st, err := addOwner(pick(), b, ssn, 50); err != nil || st != http.StatusOK {
					t.Fatalf("add owner to %s: %d %v", ein, st, err)
				}
			}
			for _, b := range bids {
				owners := pick().call("business/get-business-owners", map[string]any{"user_id": uid, "business_id": b}).ok(t).items(t)
				for _, o := range owners {
					pick().call("business/add-business-owner-document", map[string]any{"user_id": uid, "business_id": b,
						"business_owner_id": o["id"], "document_type": "passport", "file_url": "https://files.biz.example/p.pdf"}).ok(t)
				}
				pick().call("business/send-verification-request", map[string]any{"user_id": uid, "business_id": b}).ok(t)
			}

			raw := openRaw(t, dsn)
			deadline := time.Now().Add(30 * time.Second)
			for ein, w := range cases {
				b := bids[ein]
				for {
					kyb := pick().call("business/get", map[string]any{"user_id": uid, "business_id": b}).ok(t).items(t)[0]["kyb_status"]
					if kyb == w.kyb && (w.kyb != "pending" || jobsLeft(t, raw) == 0) {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("business %s: kyb_status %v after 30 s, want %s", ein, kyb, w.kyb)
					}
					time.Sleep(50 * time.Millisecond)
				}
				owners := pick().call("business/get-business-owners", map[string]any{"user_id": uid, "business_id": b}).ok(t).items(t)
				docs := pick().call("business/get-business-owner-documents", map[string]any{"user_id": uid, "business_id": b,
					"business_owner_id": owners[0]["id"]}).ok(t).items(t)
				if len(docs) != 1 || docs[0]["status"] != w.doc {
					t.Errorf("business %s: documents %v, want %s", ein, docs, w.doc)
				}
			}
			st, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var decisions int
			if err := st.DB().QueryRow(`SELECT count(*) FROM events WHERE type IN ('business.kyb.verified', 'business.kyb.rejected')`).Scan(&decisions); err != nil {
				t.Fatal(err)
			}
			if decisions != 3 {
				t.Errorf("%d KYB decision events for three decided businesses, want exactly one each", decisions)
			}
			if r := runCLI(t, env, "audit", "verify", "--db", dsn); r.code != 0 {
				t.Errorf("audit verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			for _, s := range servers {
				if s.exited() {
					t.Errorf("a server exited: %s", s.stderr.String())
				}
			}
		})
	}
}

// jobsLeft counts the durable jobs still waiting.
func jobsLeft(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM jobs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
