package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/kyc"
)

// businesses.md sections 3 to 5: owners, documents, KYB and the sandbox's
// magic values, end to end.

// kybCase is a business ready for KYB: a verified owning user, owners whose
// SSNs end as given, and a passport for each.
type kybCase struct {
	uid, bid string
	owners   []string // owner ids, oldest first
	docs     []string // one document per owner
}

func (c *apiClient) kybCase(t *testing.T, email, ein string, ssnLast4 ...string) kybCase {
	t.Helper()
	k := kybCase{uid: c.verifiedUser(t, email)}
	k.bid = c.newBusiness(t, k.uid, ein)["id"].(string)
	for i, last4 := range ssnLast4 {
		body := validOwner(k.uid, k.bid, last4, 25)
		body["email"] = "owner" + string(rune('a'+i)) + "@acme.example"
		o := c.addOwner(t, body)
		k.owners = append(k.owners, o["id"].(string))
		d := c.call("business/add-business-owner-document", map[string]any{"user_id": k.uid, "business_id": k.bid,
			"business_owner_id": o["id"], "document_type": "passport", "file_url": "https://files.acme.example/" + last4 + ".pdf"}).
			want(t, http.StatusOK, "").one(t)
		wantKeys(t, "document", d, "id", "document_type", "file_url", "status", "created_at")
		if d["status"] != "pending" || !strings.HasPrefix(d["id"].(string), "bkyc-") {
			t.Errorf("new document = %v", d)
		}
		k.docs = append(k.docs, d["id"].(string))
	}
	return k
}

// ownerStatuses lists the owners' kyc_status, oldest first.
func (c *apiClient) ownerStatuses(t *testing.T, k kybCase) []string {
	t.Helper()
	var out []string
	for _, o := range c.owners(t, k.uid, k.bid) {
		out = append(out, o["kyc_status"].(string))
	}
	return out
}

// docStatuses lists each owner's document status.
func (c *apiClient) docStatuses(t *testing.T, k kybCase) []string {
	t.Helper()
	var out []string
	for _, oid := range k.owners {
		for _, d := range c.documents(t, k.uid, k.bid, oid) {
			out = append(out, d["status"].(string))
		}
	}
	return out
}

func TestKYBMagicValues(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		for i, tc := range []struct {
			name      string
			ein       string
			ssns      []string
			kyb       string
			reason    string
			owners    []string
			docs      []string
			ownerEvts []string // the decision's events, newest first
		}{
			{"verified", "12-3456789", []string{"6789", "0002"}, "verified", "",
				[]string{"verified", "verified"}, []string{"approved", "approved"},
				[]string{"business.kyb.verified", "business.owner.kyc.verified", "business.owner.kyc.verified"}},
			{"EIN 0001", "12-3450001", []string{"6789"}, "rejected", "EIN_MISMATCH",
				[]string{"verified"}, []string{"rejected"},
				[]string{"business.kyb.rejected", "business.owner.kyc.verified"}},
			{"owner SSN 0001", "12-3456780", []string{"6789", "0001"}, "rejected", "OWNER_KYC_FAILED",
				[]string{"verified", "rejected"}, []string{"rejected", "rejected"},
				[]string{"business.kyb.rejected", "business.owner.kyc.rejected", "business.owner.kyc.verified"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				k := c.kybCase(t, "kyb"+string(rune('a'+i))+"@example.com", tc.ein, tc.ssns...)
				c.submitKYB(t, k.uid, k.bid)
				b := c.waitKYB(t, k.uid, k.bid, tc.kyb)
				if b["status"] != "active" {
					t.Errorf("status = %v", b["status"])
				}
				if got := c.ownerStatuses(t, k); !slices.Equal(got, tc.owners) {
					t.Errorf("owners' kyc_status = %v, want %v", got, tc.owners)
				}
				if got := c.docStatuses(t, k); !slices.Equal(got, tc.docs) {
					t.Errorf("documents' status = %v, want %v", got, tc.docs)
				}
				evs := c.businessEvents(t, k.uid, k.bid)
				n := len(tc.ownerEvts)
				if got := eventTypes(evs)[:n]; !slices.Equal(got, tc.ownerEvts) {
					t.Fatalf("decision events = %v, want %v", got, tc.ownerEvts)
				}
				if evs[n]["type"] != "business.kyb.submitted" {
					t.Errorf("event before the decision = %v, want business.kyb.submitted", evs[n]["type"])
				}
				decision := evs[0]
				if decision["reason"] != tc.reason || decision["actor"] != "kyc:sandbox" {
					t.Errorf("decision event reason, actor = %v, %v; want %q, kyc:sandbox", decision["reason"], decision["actor"], tc.reason)
				}
				ch := decision["changes"].(map[string]any)
				if kyb, _ := ch["kyb_status"].(map[string]any); kyb["from"] != "pending" || kyb["to"] != tc.kyb {
					t.Errorf("decision changes = %v", ch)
				}
				if _, ok := ch["documents["+k.docs[0]+"].status"]; !ok {
					t.Errorf("decision changes lack the documents' status: %v", ch)
				}
				for _, ev := range evs[1:n] {
					ch := ev["changes"].(map[string]any)
					if len(ch) != 1 {
						t.Errorf("owner decision changes = %v, want one owner's kyc_status", ch)
					}
					if ev["type"] == "business.owner.kyc.rejected" && ev["reason"] != "SSN_MISMATCH" {
						t.Errorf("owner rejection reason = %v, want SSN_MISMATCH", ev["reason"])
					}
				}
				// A decided business cannot be submitted again unless rejected.
				if tc.kyb == "verified" {
					c.call("business/send-verification-request", map[string]any{"user_id": k.uid, "business_id": k.bid}).
						wantError(t, http.StatusConflict, "conflict", "")
					// A document added after the decision waits for the next one.
					d := c.call("business/add-business-owner-document", map[string]any{"user_id": k.uid, "business_id": k.bid,
						"business_owner_id": k.owners[0], "document_type": "proof_of_address", "file_url": "https://files.acme.example/late.pdf"}).
						want(t, http.StatusOK, "").one(t)
					if d["status"] != "pending" {
						t.Errorf("document added after verification: %v, want pending", d["status"])
					}
				}
			})
		}

		t.Run("EIN 0002 stays pending for manual review", func(t *testing.T) {
			k := c.kybCase(t, "review@example.com", "12-3450002", "6789")
			c.submitKYB(t, k.uid, k.bid)
			e.waitJobs(t)
			e.restart()
			if b := c.business(t, k.uid, k.bid); b["kyb_status"] != "pending" {
				t.Errorf("kyb_status = %v, want pending", b["kyb_status"])
			}
			if got := c.ownerStatuses(t, k); !slices.Equal(got, []string{"pending"}) {
				t.Errorf("owners = %v, want pending", got)
			}
			if got := c.docStatuses(t, k); !slices.Equal(got, []string{"pending"}) {
				t.Errorf("documents = %v, want pending", got)
			}
			if got := eventTypes(c.businessEvents(t, k.uid, k.bid))[0]; got != "business.kyb.submitted" {
				t.Errorf("newest event = %v, want business.kyb.submitted", got)
			}
		})

		t.Run("a rejected business is corrected and resubmitted", func(t *testing.T) {
			k := c.kybCase(t, "again@example.com", "77-7770001", "6789")
			c.submitKYB(t, k.uid, k.bid)
			c.waitKYB(t, k.uid, k.bid, "rejected")
			c.call("business/update", map[string]any{"user_id": k.uid, "business_id": k.bid, "ein": "77-7771234"}).want(t, http.StatusOK, "")
			// Owners may be added again while rejected.
			c.addOwner(t, validOwner(k.uid, k.bid, "4321", 10))
			c.submitKYB(t, k.uid, k.bid)
			c.waitKYB(t, k.uid, k.bid, "verified")
			if got := c.ownerStatuses(t, k); !slices.Equal(got, []string{"verified", "verified"}) {
				t.Errorf("owners = %v", got)
			}
			if got := c.docStatuses(t, k); !slices.Equal(got, []string{"approved"}) {
				t.Errorf("documents = %v, want approved with the business", got)
			}
		})
	})
}

// TestKYBPreconditions: businesses.md section 5's preconditions, in their
// order; each refusal writes nothing.
func TestKYBPreconditions(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		refuse := func(t *testing.T, uid, bid string, status int, code string, fields ...string) {
			t.Helper()
			before := e.rows(t)
			r := c.call("business/send-verification-request", map[string]any{"user_id": uid, "business_id": bid}).wantError(t, status, code, "")
			if len(fields) > 0 {
				r.wantFields(t, fields...)
			}
			e.wantNoRows(t, before)
		}
		verified := c.verifiedUser(t, "verified@example.com")
		unverified := c.newKYCUser(t, "unverified@example.com", "6789")

		t.Run("blocked business, even with every later failure", func(t *testing.T) {
			bid := c.newBusiness(t, unverified, "10-0000001")["id"].(string)
			c.call("business/block", map[string]any{"user_id": unverified, "business_id": bid}).want(t, http.StatusOK, "")
			refuse(t, unverified, bid, 409, "blocked")
		})
		t.Run("blocked owning user", func(t *testing.T) {
			uid := c.verifiedUser(t, "soon-blocked@example.com")
			bid := c.newBusiness(t, uid, "10-0000002")["id"].(string)
			c.addOwner(t, validOwner(uid, bid, "6789", 50))
			c.call("user/block", map[string]any{"user_id": uid}).want(t, http.StatusOK, "")
			refuse(t, uid, bid, 409, "blocked")
		})
		t.Run("already pending", func(t *testing.T) {
			bid := c.newBusiness(t, verified, "10-0000003")["id"].(string)
			c.addOwner(t, validOwner(verified, bid, "6789", 50))
			e.restartWithKYC(kyc.Sandbox{Delay: time.Hour})
			defer func() { e.restartWithKYC(nil); e.waitJobs(t) }()
			c.submitKYB(t, verified, bid)
			refuse(t, verified, bid, 409, "conflict")
			// Pending: no owner can be added.
			before := e.rows(t)
			c.call("business/add-business-owner", validOwner(verified, bid, "1111", 1)).wantError(t, http.StatusConflict, "conflict", "")
			e.wantNoRows(t, before)
		})
		t.Run("owning user not KYC-verified", func(t *testing.T) {
			bid := c.newBusiness(t, unverified, "10-0000004")["id"].(string)
			refuse(t, unverified, bid, 409, "not_verified")
		})
		t.Run("no owners", func(t *testing.T) {
			bid := c.newBusiness(t, verified, "10-0000005")["id"].(string)
			refuse(t, verified, bid, 409, "conflict")
		})
		t.Run("owners without date_of_birth or ssn", func(t *testing.T) {
			bid := c.newBusiness(t, verified, "10-0000006")["id"].(string)
			c.addOwner(t, validOwner(verified, bid, "6789", 10))
			noDOB := validOwner(verified, bid, "6789", 10)
			delete(noDOB, "date_of_birth")
			c.addOwner(t, noDOB)
			noSSN := validOwner(verified, bid, "6789", 10)
			delete(noSSN, "ssn")
			c.addOwner(t, noSSN)
			refuse(t, verified, bid, 400, "invalid", "owners[1].date_of_birth", "owners[2].ssn")
			for _, s := range c.ownerStatuses(t, kybCase{uid: verified, bid: bid}) {
				if s != "not_started" {
					t.Errorf("owner kyc_status = %s after a refused submission", s)
				}
			}
		})
		t.Run("ids", func(t *testing.T) {
			c.call("business/send-verification-request", map[string]any{}).wantError(t, http.StatusBadRequest, "invalid", "").
				wantFields(t, "user_id", "business_id")
			refuse(t, verified, "buss-00000000-0000-7000-8000-000000000000", 404, "not_found")
		})
	})
}

// TestKYBDelayAndResume: with a delay the business is observably pending;
// a restarted server brings the waiting check forward to its own delay and
// decides it (jobs of kind kyb.check, like KYC's).
func TestKYBDelayAndResume(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		k := c.kybCase(t, "slow@example.com", "12-3456789", "6789")
		e.restartWithKYC(kyc.Sandbox{Delay: time.Hour})
		e.clock.Advance(2 * time.Second)
		c.submitKYB(t, k.uid, k.bid)
		b := c.business(t, k.uid, k.bid)
		if b["kyb_status"] != "pending" || b["updated_at"] != "2026-04-16T12:34:58.000Z" {
			t.Errorf("kyb_status, updated_at = %v, %v", b["kyb_status"], b["updated_at"])
		}
		if got := c.ownerStatuses(t, k); !slices.Equal(got, []string{"pending"}) {
			t.Errorf("owners = %v, want pending", got)
		}
		if r := c.call("business/get-all", map[string]any{"kyb_status": "pending"}).want(t, http.StatusOK, ""); !slices.Equal(ids(r.items(t)), []string{k.bid}) {
			t.Errorf("pending businesses = %v", ids(r.items(t)))
		}
		// A pending business can still be blocked; its check then decides
		// nothing new about blocking, only KYB.
		e.restartWithKYC(kyc.Sandbox{})
		c.waitKYB(t, k.uid, k.bid, "verified")
		if got := c.docStatuses(t, k); !slices.Equal(got, []string{"approved"}) {
			t.Errorf("documents = %v", got)
		}
		var decisions int
		if err := e.store.DB().QueryRow(`SELECT count(*) FROM events WHERE type = 'business.kyb.verified'`).Scan(&decisions); err != nil {
			t.Fatal(err)
		}
		if decisions != 1 {
			t.Errorf("business.kyb.verified events = %d, want 1", decisions)
		}
	})
}

func TestOwners(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.newUser(t, "owner@example.com")
		bid := c.newBusiness(t, uid, "12-3456789")["id"].(string)
		e.clock.Advance(time.Second)
		o := c.addOwner(t, validOwner(uid, bid, "6789", 33.33))
		wantKeys(t, "owner", o, ownerKeys...)
		for k, want := range map[string]any{"business_id": bid, "first_name": "Grace Brewster", "last_name": "Hopper",
			"email": "grace@acme.example", "phone_number": "+14155550111", "date_of_birth": "1906-12-09",
			"ownership_percent": 33.33, "kyc_status": "not_started", "created_at": "2026-04-16T12:34:57.000Z"} {
			if o[k] != want {
				t.Errorf("owner %s = %v, want %v", k, o[k], want)
			}
		}
		if got := c.business(t, uid, bid); got["updated_at"] != "2026-04-16T12:34:56.000Z" {
			t.Errorf("adding an owner moved the business's updated_at to %v", got["updated_at"])
		}
		if strings.Contains(string(c.call("business/get-business-owners", map[string]any{"user_id": uid, "business_id": bid}).Body), "6789") {
			t.Errorf("the owners' answer shows SSN digits")
		}
		evs := c.businessEvents(t, uid, bid)
		ch := evs[0]["changes"].(map[string]any)
		if evs[0]["type"] != "business.owner.added" || ch["owners["+o["id"].(string)+"].ssn_last_4"] == nil || ch["owners["+o["id"].(string)+"].ownership_percent"].(map[string]any)["to"] != "33.33" {
			t.Errorf("owner.added = %v", evs[0])
		}

		t.Run("names", func(t *testing.T) {
			body := validOwner(uid, bid, "6789", 0)
			body["name"], body["first_name"], body["last_name"] = "Ada Lovelace", "Augusta Ada", "King"
			o := c.addOwner(t, body)
			if o["first_name"] != "Augusta Ada" || o["last_name"] != "King" || o["ownership_percent"] != float64(0) {
				t.Errorf("owner = %v", o)
			}
			body = validOwner(uid, bid, "6789", 0)
			body["name"] = "Cher"
			delete(body, "ownership_percent")
			o = c.addOwner(t, body)
			if o["first_name"] != "Cher" || o["last_name"] != "" || o["ownership_percent"] != float64(0) {
				t.Errorf("one-word name, default share: %v", o)
			}
		})
		t.Run("field rules", func(t *testing.T) {
			for _, tc := range []struct {
				edit  func(b map[string]any)
				field string
			}{
				{func(b map[string]any) { delete(b, "name") }, "name"},
				{func(b map[string]any) { delete(b, "email") }, "email"},
				{func(b map[string]any) { delete(b, "address") }, "address"},
				{func(b map[string]any) { delete(b, "phone_number") }, "phone_number"},
				{func(b map[string]any) { b["ownership_percent"] = 100.5 }, "ownership_percent"},
				{func(b map[string]any) { b["ownership_percent"] = -1 }, "ownership_percent"},
				{func(b map[string]any) { b["ownership_percent"] = 12.345 }, "ownership_percent"},
				{func(b map[string]any) { b["ownership_percent"] = "25" }, "ownership_percent"},
				{func(b map[string]any) { b["ssn"] = "12345" }, "ssn"},
				{func(b map[string]any) { b["date_of_birth"] = "1906-13-09" }, "date_of_birth"},
				{func(b map[string]any) { b["email"] = "grace" }, "email"},
				{func(b map[string]any) { delete(b, "user_id") }, "user_id"},
			} {
				body := validOwner(uid, bid, "6789", 1)
				tc.edit(body)
				before := e.rows(t)
				c.call("business/add-business-owner", body).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, tc.field)
				e.wantNoRows(t, before)
			}
		})
		t.Run("shares add up to at most 100", func(t *testing.T) {
			bid := c.newBusiness(t, uid, "20-0000001")["id"].(string)
			c.addOwner(t, validOwner(uid, bid, "6789", 60))
			c.addOwner(t, validOwner(uid, bid, "6789", 39.99))
			before := e.rows(t)
			c.call("business/add-business-owner", validOwner(uid, bid, "6789", 0.02)).wantError(t, http.StatusConflict, "conflict", "")
			e.wantNoRows(t, before)
			c.addOwner(t, validOwner(uid, bid, "6789", 0.01))
		})
		t.Run("at most ten owners", func(t *testing.T) {
			bid := c.newBusiness(t, uid, "20-0000002")["id"].(string)
			var want []string
			for range 10 {
				e.clock.Advance(time.Millisecond)
				want = append(want, c.addOwner(t, validOwner(uid, bid, "6789", 10))["id"].(string))
			}
			before := e.rows(t)
			c.call("business/add-business-owner", validOwner(uid, bid, "6789", 0)).wantError(t, http.StatusConflict, "conflict", "")
			e.wantNoRows(t, before)
			if got := ids(c.owners(t, uid, bid)); !slices.Equal(got, want) {
				t.Errorf("owners = %v, want oldest first %v", got, want)
			}
			r := c.call("business/get-business-owners", map[string]any{"user_id": uid, "business_id": bid, "page": 2, "per_page": 4}).want(t, http.StatusOK, "")
			if got := ids(r.items(t)); !slices.Equal(got, want[4:8]) || r.pagination(t)["total"] != float64(10) || r.pagination(t)["sort"] != "created_at:asc" {
				t.Errorf("page 2 = %v, pagination %v", got, r.pagination(t))
			}
		})
	})
}

func TestOwnerDocuments(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		uid := c.newUser(t, "owner@example.com")
		bid := c.newBusiness(t, uid, "12-3456789")["id"].(string)
		oid := c.addOwner(t, validOwner(uid, bid, "6789", 50))["id"].(string)
		other := c.newBusiness(t, uid, "98-7654321")["id"].(string)
		strangerOwner := c.addOwner(t, validOwner(uid, other, "6789", 50))["id"].(string)
		doc := func(extra map[string]any) map[string]any {
			m := map[string]any{"user_id": uid, "business_id": bid, "business_owner_id": oid,
				"document_type": "drivers_license", "file_url": "https://files.acme.example/dl.png"}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		var want []string
		for _, typ := range []string{"passport", "drivers_license", "state_id", "articles_of_incorporation", "ein_letter", "proof_of_address", "other"} {
			d := c.call("business/add-business-owner-document", doc(map[string]any{"document_type": typ})).want(t, http.StatusOK, "").one(t)
			if d["document_type"] != typ || d["file_url"] != "https://files.acme.example/dl.png" || d["status"] != "pending" {
				t.Errorf("document = %v", d)
			}
			want = append(want, d["id"].(string))
		}
		if got := ids(c.documents(t, uid, bid, oid)); !slices.Equal(got, want) {
			t.Errorf("documents = %v, want %v", got, want)
		}
		if got := eventTypes(c.businessEvents(t, uid, bid))[0]; got != "business.document.added" {
			t.Errorf("newest event = %v", got)
		}
		for _, tc := range []struct {
			body   map[string]any
			status int
			code   string
			fields []string
		}{
			{doc(map[string]any{"document_type": "selfie"}), 400, "invalid", []string{"document_type"}},
			{doc(map[string]any{"file_url": "http://files.acme.example/x"}), 400, "invalid", []string{"file_url"}},
			{doc(map[string]any{"file_url": ""}), 400, "invalid", []string{"file_url"}},
			{doc(map[string]any{"business_owner_id": ""}), 400, "invalid", []string{"business_owner_id"}},
			{doc(map[string]any{"business_owner_id": strangerOwner}), 404, "not_found", nil},
			{doc(map[string]any{"business_owner_id": "bown-nope"}), 404, "not_found", nil},
			{doc(map[string]any{"business_id": other}), 404, "not_found", nil},
		} {
			before := e.rows(t)
			r := c.call("business/add-business-owner-document", tc.body).wantError(t, tc.status, tc.code, "")
			if tc.fields != nil {
				r.wantFields(t, tc.fields...)
			}
			e.wantNoRows(t, before)
		}
		c.call("business/get-business-owner-documents", map[string]any{"user_id": uid, "business_id": bid, "business_owner_id": strangerOwner}).
			wantError(t, http.StatusNotFound, "not_found", "business owner not found")
		r := c.call("business/get-business-owner-documents", map[string]any{"user_id": uid, "business_id": bid, "business_owner_id": oid, "per_page": 2, "page": 4}).
			want(t, http.StatusOK, "")
		if got := ids(r.items(t)); !slices.Equal(got, want[6:]) || r.pagination(t)["total"] != float64(7) {
			t.Errorf("last page = %v, %v", got, r.pagination(t))
		}
	})
}
