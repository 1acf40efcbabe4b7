package httpapi_test

import (
	"net/http"
	"testing"
)

func TestUserLifecycle(t *testing.T) {
	engines(t, testUserLifecycle)
}

func testUserLifecycle(t *testing.T, e *env) {
	c := e.program("acme")

	body := validUser("ada@example.com")
	body["ssn"] = "123-45-6789"
	body["date_of_birth"] = "1990-12-10"
	u := c.call("user/create", body).want(t, http.StatusOK, "").user(t)
	if u["status"] != "active" || u["kyc_status"] != "not_started" || u["ssn_last_4"] != "6789" {
		t.Fatalf("created user = %v", u)
	}
	id := u["id"]

	c.call("user/block", map[string]any{"user_id": id, "reason": "fraud review"}).want(t, http.StatusOK, "")
	c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusConflict, "conflict")
	got := c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "").user(t)
	if got["status"] != "active" {
		t.Fatalf("status after unblock = %v, want active", got["status"])
	}
	c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusConflict, "conflict")

	evs := c.call("user/events", map[string]any{"user_id": id}).want(t, http.StatusOK, "").items(t)
	var types []any
	for _, ev := range evs {
		types = append(types, ev["type"])
	}
	want := []any{"user.unblocked", "user.blocked", "user.created"}
	if len(types) != len(want) || types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("event types = %v, want %v", types, want)
	}
}
