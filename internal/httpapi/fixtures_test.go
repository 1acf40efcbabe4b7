package httpapi_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/httpapi"
	"github.com/ingot-dev/ingot/internal/service"
)

// loadFixture parses and loads a fixture file's bytes.
func (e *env) loadFixture(t *testing.T, data []byte) ([]service.LoadedProgram, error) {
	t.Helper()
	fx, err := httpapi.ParseFixtures(data)
	if err != nil {
		return nil, err
	}
	return e.svc.LoadFixtures(context.Background(), fx)
}

// fixtureClient signs as a program loaded with the fixture's credentials.
func (e *env) fixtureClient(p service.LoadedProgram, apiKey, user, secret string) *apiClient {
	return &apiClient{e: e, creds: service.Credentials{ProgramID: p.ProgramID, Name: p.Name, APIKey: apiKey,
		HMACUsername: user, HMACSecret: secret}}
}

func TestFixturesLoadExample(t *testing.T) {
	data, err := os.ReadFile("../../docs/fixtures/example.json")
	if err != nil {
		t.Fatal(err)
	}
	engines(t, func(t *testing.T, e *env) {
		loaded, err := e.loadFixture(t, data)
		if err != nil {
			t.Fatalf("load docs/fixtures/example.json: %v", err)
		}
		if len(loaded) != 1 || loaded[0].Existed {
			t.Fatalf("loaded = %+v", loaded)
		}
		c := e.fixtureClient(loaded[0], "ak_example0000000000000000000000000acme", "hu_example0acme",
			"example-secret-0000000000000000000000000000000000000000acme")
		users := c.call("user/get-all", map[string]any{"sort": "created_at:asc"}).want(t, http.StatusOK, "").items(t)
		statuses := map[string]any{}
		for _, u := range users {
			statuses[u["email"].(string)] = u["kyc_status"]
		}
		if want := map[string]any{"ada@acme.example": "verified", "grace@acme.example": "verified", "alan@acme.example": "pending"}; !maps.Equal(statuses, want) {
			t.Errorf("users' kyc_status = %v, want %v", statuses, want)
		}
		bs := c.call("business/get-all", map[string]any{}).want(t, http.StatusOK, "").items(t)
		if len(bs) != 1 || bs[0]["kyb_status"] != "verified" {
			t.Fatalf("businesses = %v", bs)
		}
		for _, o := range c.owners(t, bs[0]["user_id"].(string), bs[0]["id"].(string)) {
			if o["kyc_status"] != "verified" {
				t.Errorf("owner %v kyc_status = %v, want verified with the business", o["email"], o["kyc_status"])
			}
		}
		bal := c.call("balance/program-master-rba", map[string]any{}).want(t, http.StatusOK, "")
		if !strings.Contains(string(bal.Body), `"100000.00"`) {
			t.Errorf("master balance: %s", bal.Body)
		}
		accts := c.call("routable-bank-accounts/get-all", map[string]any{}).want(t, http.StatusOK, "").items(t)
		if len(accts) < 3 {
			t.Errorf("accounts = %d, want the user and business accounts", len(accts))
		}
		// Linked accounts: the business's two, last four only.
		linked := c.call("users/bank-accounts/get-all", map[string]any{"user_id": bs[0]["user_id"], "business_id": bs[0]["id"]}).
			want(t, http.StatusOK, "").items(t)
		var last4 []string
		for _, l := range linked {
			last4 = append(last4, l["account_number_last_4"].(string))
		}
		slices.Sort(last4)
		if !slices.Equal(last4, []string{"0002", "6789"}) {
			t.Errorf("linked accounts' last four = %v, want [0002 6789]", last4)
		}
		// Pending fixtures wait for a decision on demand.
		for _, u := range users {
			if u["email"] == "alan@acme.example" {
				c.call("sandbox/simulate/kyc-decision", map[string]any{"user_id": u["id"], "outcome": "verified"}).want(t, http.StatusOK, "")
			}
		}
		e.wantLedger(t)
		if rep, err := e.store.VerifyAudit(context.Background()); err != nil || !rep.Intact() {
			t.Errorf("audit after load: %+v, %v", rep, err)
		}
		// Loading twice changes nothing.
		before := dumpTables(t, e)
		again, err := e.loadFixture(t, data)
		if err != nil || len(again) != 1 || !again[0].Existed || again[0].ProgramID != loaded[0].ProgramID {
			t.Fatalf("second load: %+v, %v", again, err)
		}
		after := dumpTables(t, e)
		for tbl := range before {
			if !maps.EqualFunc(before[tbl], after[tbl], func(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }) {
				t.Errorf("table %s changed on the second load", tbl)
			}
		}
	})
}

// A refused fixture names its entry and loads nothing of any program.
func TestFixturesRefusedWhole(t *testing.T) {
	good := `{"name": "first", "users": [{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@first.example",
		"phone_number": "+14155550101", "address_one": "1 Main St", "city": "San Francisco", "state": "CA",
		"postal_code": "94105", "country": "US", "kyc_status": "verified"}],
		"accounts": [{"user_email": "ada@first.example", "opening_balance": "10.00"}]}`
	user := func(email, status string) string {
		return `{"first_name": "Ada", "last_name": "Lovelace", "email": "` + email + `", "phone_number": "+14155550101",
			"address_one": "1 Main St", "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US",
			"kyc_status": "` + status + `"}`
	}
	for _, tc := range []struct{ name, second, wantEntry, wantText string }{
		{"bad amount", `{"name": "second", "users": [` + user("bob@second.example", "verified") + `],
			"accounts": [{"user_email": "bob@second.example", "opening_balance": "12.345"}]}`,
			"programs[1] (second).accounts[0]", "opening_balance"},
		{"negative amount", `{"name": "second", "accounts": [{"opening_balance": "-5.00"}]}`,
			"programs[1] (second).accounts[0]", "opening_balance"},
		{"duplicate email", `{"name": "second", "users": [` + user("bob@second.example", "verified") + `, ` +
			user("BOB@second.example", "") + `]}`, "programs[1] (second).users[1] (BOB@second.example)", ""},
		{"bad status", `{"name": "second", "users": [` + user("bob@second.example", "approved") + `]}`,
			"programs[1] (second).users[0] (bob@second.example)", "kyc_status"},
		{"unknown owner", `{"name": "second", "accounts": [{"user_email": "nobody@second.example"}]}`,
			"programs[1] (second).accounts[0]", "user_email"},
		{"not verified", `{"name": "second", "users": [` + user("bob@second.example", "pending") + `],
			"accounts": [{"user_email": "bob@second.example"}]}`, "programs[1] (second).accounts[0]", ""},
		{"linked account of nobody", `{"name": "second", "linked_accounts": [{"user_email": "bob@second.example"}]}`,
			"programs[1] (second).linked_accounts[0]", "user_email"},
		{"linked account routing", `{"name": "second", "linked_accounts": [{"first_name": "A", "last_name": "B",
			"account_number": "000123456789", "routing_number": "021000022"}]}`,
			"programs[1] (second).linked_accounts[0]", "routing_number"},
		{"half credentials", `{"name": "second", "api_key": "ak_0123456789abcdef0123"}`, "programs[1] (second)", "hmac_username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			engines(t, func(t *testing.T, e *env) {
				before := dumpTables(t, e)
				_, err := e.loadFixture(t, []byte(`{"programs": [`+good+`, `+tc.second+`]}`))
				var fe *service.FixtureError
				if !errors.As(err, &fe) {
					t.Fatalf("load: %v, want a FixtureError", err)
				}
				if fe.Entry != tc.wantEntry || !strings.Contains(err.Error(), tc.wantText) {
					t.Errorf("error %q names %q, want %q mentioning %q", err, fe.Entry, tc.wantEntry, tc.wantText)
				}
				after := dumpTables(t, e)
				for tbl := range before {
					if !maps.EqualFunc(before[tbl], after[tbl], func(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }) {
						t.Errorf("table %s changed although the load was refused", tbl)
					}
				}
			})
		})
	}
	// Malformed files never reach the database.
	for _, bad := range []string{`{"programs": [{"name": "x", "colour": "red"}]}`, `{"programs": []} trailing`, `[`} {
		if _, err := httpapi.ParseFixtures([]byte(bad)); err == nil {
			t.Errorf("ParseFixtures(%s) accepted it", bad)
		}
	}
}
