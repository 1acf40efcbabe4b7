package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

var (
	eventIDPattern  = regexp.MustCompile(`^inn_whe_[A-Za-z0-9]{22}$`)
	envelopeTime    = regexp.MustCompile(`^\d\d-\d\d-\d{4} (0\d|1[0-2]):[0-5]\d (AM|PM)$`)
	numericEntityID = regexp.MustCompile(`^[1-9][0-9]*$`)
)

// wantEnvelope checks the envelope of webhooks.md section 2 on one
// delivery: the keys in order, the event id's form (and that it is the
// webhook-id header), the times, and data's own keys (besides the common
// ones) exactly as listed.
func wantEnvelope(t *testing.T, d delivery, typ, resource string, keys ...string) {
	t.Helper()
	var top struct {
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	}
	if err := json.Unmarshal(d.body, &top); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(d.body, []byte(`{"event":"`+typ+`","data":{"event_id":"`)) ||
		!bytes.HasSuffix(d.body, []byte(`},"created_at":"`+top.CreatedAt+`","updated_at":"`+top.UpdatedAt+`"}`)) {
		t.Errorf("envelope keys out of order: %s", d.body)
	}
	if !envelopeTime.MatchString(top.CreatedAt) || top.UpdatedAt != top.CreatedAt {
		t.Errorf("created_at %q, updated_at %q: want DD-MM-YYYY hh:mm AM/PM, equal", top.CreatedAt, top.UpdatedAt)
	}
	data := d.Data
	id, _ := data["event_id"].(string)
	if !eventIDPattern.MatchString(id) || id != d.id() {
		t.Errorf("event_id %q (webhook-id %q): want inn_whe_ and 22 letters or digits, equal", id, d.id())
	}
	if data["event_type"] != typ || d.Event != typ {
		t.Errorf("event %q, event_type %v, want %s", d.Event, data["event_type"], typ)
	}
	if s, _ := data["event_description"].(string); s == "" {
		t.Errorf("%s: no event_description", typ)
	}
	if data["resource_id"] != resource {
		t.Errorf("%s: resource_id %v, want %s", typ, data["resource_id"], resource)
	}
	occurred, _ := data["occurred_at"].(string)
	at, err := time.Parse("2006-01-02T15:04:05.000Z", occurred)
	if err != nil || at.Format("02-01-2006 03:04 PM") != top.CreatedAt {
		t.Errorf("occurred_at %q (created_at %q): want ISO 8601 ms of the same minute", occurred, top.CreatedAt)
	}
	want := append([]string{"event_id", "event_type", "event_description", "resource_id", "occurred_at"}, keys...)
	wantKeys(t, typ+" data", data, want...)
	if d.header.Get("Content-Type") != "application/json" || !strings.HasPrefix(d.header.Get("User-Agent"), "ingot-webhooks/") {
		t.Errorf("headers %v", d.header)
	}
}

// TestWebhookUserEvents drives every user event and checks each webhook's
// payload, its numeric entity id, its signature, and that the log's
// payload is the body sent.
func TestWebhookUserEvents(t *testing.T) {
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string) {
		ok := c.newKYCUser(t, "ok@example.com", "6789")
		bad := c.newKYCUser(t, "bad@example.com", "0001")
		review := c.newKYCUser(t, "review@example.com", "0002")
		for _, id := range []string{ok, bad, review} {
			c.submit(t, id)
		}
		c.call("user/block", map[string]any{"user_id": ok, "reason": "fraud check"}).want(t, http.StatusOK, "")
		c.call("user/unblock", map[string]any{"user_id": ok}).want(t, http.StatusOK, "")

		num := func(id string) string { return e.entityNumber(t, "users", id) }
		v := rec.waitFor(t, "user.kyc.verified", 1)[0]
		wantEnvelope(t, v, "user.kyc.verified", ok, "user_id", "status")
		if v.Data["user_id"] != num(ok) || v.Data["status"] != "verified" {
			t.Errorf("user.kyc.verified data %v, want user_id %s", v.Data, num(ok))
		}
		f := rec.waitFor(t, "user.kyc.failed", 1)[0]
		wantEnvelope(t, f, "user.kyc.failed", bad, "user_id", "reasons", "reasons_code")
		if f.Data["user_id"] != num(bad) || !slices.Equal(strs(f.Data["reasons_code"]), []string{"SSN_MISMATCH"}) ||
			len(strs(f.Data["reasons"])) != 1 {
			t.Errorf("user.kyc.failed data %v", f.Data)
		}
		p := rec.waitFor(t, "user.kyc.pending", 1)[0]
		wantEnvelope(t, p, "user.kyc.pending", review, "user_id", "status", "reasons", "reasons_code")
		if p.Data["user_id"] != num(review) || p.Data["status"] != "pending" ||
			!slices.Equal(strs(p.Data["reasons_code"]), []string{"MANUAL_REVIEW"}) {
			t.Errorf("user.kyc.pending data %v", p.Data)
		}
		b := rec.waitFor(t, "user.blocked", 1)[0]
		wantEnvelope(t, b, "user.blocked", ok, "user_id", "status")
		u := rec.waitFor(t, "user.unblocked", 1)[0]
		wantEnvelope(t, u, "user.unblocked", ok, "user_id", "status")
		if b.Data["status"] != "blocked" || u.Data["status"] != "active" {
			t.Errorf("block/unblock status %v, %v", b.Data["status"], u.Data["status"])
		}

		// Numbers increase in creation order and are numeric strings.
		var nums []int
		for _, id := range []string{ok, bad, review} {
			s := num(id)
			if !numericEntityID.MatchString(s) {
				t.Errorf("entity number %q is not a numeric string", s)
			}
			n, _ := strconv.Atoi(s)
			nums = append(nums, n)
		}
		if !slices.IsSorted(nums) || nums[0] == nums[1] || nums[1] == nums[2] {
			t.Errorf("entity numbers %v, want increasing in creation order", nums)
		}

		// Every delivery verifies; the log holds each body byte for byte.
		all := rec.all()
		if len(all) != 5 {
			t.Errorf("%d deliveries, want 5 (manual review is told once, after the check)", len(all))
		}
		var page struct {
			Data struct {
				Items []struct {
					EventID    string          `json:"event_id"`
					EventType  string          `json:"event_type"`
					ResourceID string          `json:"resource_id"`
					Payload    json.RawMessage `json:"payload"`
				} `json:"items"`
			} `json:"data"`
		}
		r := c.call("webhook/events", map[string]any{"per_page": 500}).want(t, http.StatusOK, "")
		if err := json.Unmarshal(r.Body, &page); err != nil {
			t.Fatal(err)
		}
		for _, d := range all {
			verify(t, secret, d)
			found := false
			for _, it := range page.Data.Items {
				if it.EventID == d.id() {
					found = true
					if !bytes.Equal(it.Payload, d.body) || it.EventType != d.Event || it.ResourceID != d.Data["resource_id"] {
						t.Errorf("log of %s = %+v, want the body sent %s", d.id(), it, d.body)
					}
				}
			}
			if !found {
				t.Errorf("%s is not in the log", d.id())
			}
		}
		for id, want := range map[string][]string{review: {"user.kyc.pending"}, ok: {"user.unblocked", "user.blocked", "user.kyc.verified"},
			bad: {"user.kyc.failed"}, "user-0190a0b0-0000-7000-8000-000000000009": nil} {
			var got []string
			for _, it := range c.call("webhook/events", map[string]any{"resource_id": id}).want(t, http.StatusOK, "").items(t) {
				got = append(got, it["event_type"].(string))
			}
			if !slices.Equal(got, want) {
				t.Errorf("events about %s: %v, want %v (newest first)", id, got, want)
			}
		}
		if n := len(c.call("webhook/events", map[string]any{"event_type": "user.blocked"}).want(t, http.StatusOK, "").items(t)); n != 1 {
			t.Errorf("user.blocked events: %d, want 1", n)
		}
		// No event is sent twice when nothing failed.
		for _, d := range c.deliveries(t, nil) {
			if d["status"] != "delivered" || d["attempts"] != 1.0 || d["last_status_code"] != 200.0 || d["delivered_at"] == "" ||
				d["next_attempt_at"] != "" || d["last_error"] != "" {
				t.Errorf("delivery %v, want delivered at the first attempt", d)
			}
		}
		// The audit trail is untouched by the notice.
		c.wantEventTypes(t, review, "user.kyc.submitted", "user.created")
	})
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i], _ = x.(string)
	}
	return out
}

// TestWebhookBusinessEvents drives every business event: KYB verified,
// failed (by EIN and by an owner), pending (manual review), blocked and
// unblocked, each with the business's number.
func TestWebhookBusinessEvents(t *testing.T) {
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string) {
		okK := c.kybCase(t, "ok@example.com", "12-3456789", "6789")
		einK := c.kybCase(t, "ein@example.com", "12-3450001", "6789")
		ownerK := c.kybCase(t, "owner@example.com", "12-3451234", "0001")
		reviewK := c.kybCase(t, "review@example.com", "12-3450002", "6789")
		for _, k := range []kybCase{okK, einK, ownerK, reviewK} {
			c.submitKYB(t, k.uid, k.bid)
		}
		c.call("business/block", map[string]any{"user_id": okK.uid, "business_id": okK.bid}).want(t, http.StatusOK, "")
		c.call("business/unblock", map[string]any{"user_id": okK.uid, "business_id": okK.bid}).want(t, http.StatusOK, "")

		num := func(id string) string { return e.entityNumber(t, "businesses", id) }
		v := rec.waitFor(t, "business.kyb.verified", 1)[0]
		wantEnvelope(t, v, "business.kyb.verified", okK.bid, "business_id", "status")
		if v.Data["business_id"] != num(okK.bid) || v.Data["status"] != "verified" {
			t.Errorf("business.kyb.verified data %v", v.Data)
		}
		failed := map[string][]string{}
		for _, f := range rec.waitFor(t, "business.kyb.failed", 2) {
			wantEnvelope(t, f, "business.kyb.failed", f.Data["resource_id"].(string), "business_id", "status", "reasons", "reasons_code")
			if f.Data["status"] != "rejected" || f.Data["business_id"] != num(f.Data["resource_id"].(string)) {
				t.Errorf("business.kyb.failed data %v", f.Data)
			}
			failed[f.Data["resource_id"].(string)] = strs(f.Data["reasons_code"])
		}
		if !slices.Equal(failed[einK.bid], []string{"EIN_MISMATCH"}) || !slices.Equal(failed[ownerK.bid], []string{"OWNER_KYC_FAILED"}) {
			t.Errorf("failed reasons %v", failed)
		}
		p := rec.waitFor(t, "business.kyb.pending", 1)[0]
		wantEnvelope(t, p, "business.kyb.pending", reviewK.bid, "business_id", "status", "reasons", "reasons_code")
		b := rec.waitFor(t, "business.blocked", 1)[0]
		wantEnvelope(t, b, "business.blocked", okK.bid, "business_id", "status")
		u := rec.waitFor(t, "business.unblocked", 1)[0]
		wantEnvelope(t, u, "business.unblocked", okK.bid, "business_id", "status")

		// Users and businesses share one sequence: each business's number
		// is above its owning user's.
		for _, k := range []kybCase{okK, einK, ownerK, reviewK} {
			un, _ := strconv.Atoi(e.entityNumber(t, "users", k.uid))
			bn, _ := strconv.Atoi(num(k.bid))
			if bn <= un {
				t.Errorf("business number %d not above its user's %d", bn, un)
			}
		}
		for _, d := range rec.all() {
			verify(t, secret, d)
		}
	})
}

// TestWebhookRetriedUntilAcknowledged is the proof: a receiver that
// answers 500 three times, then 200, gets the same event_id four times, and
// the log shows 4 attempts, delivered.
func TestWebhookRetriedUntilAcknowledged(t *testing.T) {
	answer := func(n int) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	webhookEngines(t, 0.0001, answer, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string) {
		id := c.newUser(t, "retry@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		got := rec.waitFor(t, "user.blocked", 4)
		for _, d := range got {
			if d.id() != got[0].id() || !bytes.Equal(d.body, got[0].body) {
				t.Errorf("attempt %s with body %s; want event %s's every time", d.id(), d.body, got[0].id())
			}
			verify(t, secret, d)
		}
		d := c.waitDelivery(t, got[0].id(), "delivered")
		if d["attempts"] != 4.0 || d["last_status_code"] != 200.0 || d["last_error"] != "" || d["delivered_at"] == "" {
			t.Errorf("delivery %v, want 4 attempts, delivered with 200", d)
		}
		settle()
		if n := len(rec.all()); n != 4 {
			t.Errorf("receiver got %d requests, want 4", n)
		}
	})
}

// TestWebhookLogWhileRetrying: a delivery waiting for its next attempt shows
// pending with the last failure and when the next attempt is due.
func TestWebhookLogWhileRetrying(t *testing.T) {
	webhookEngines(t, 1, func(int) int { return http.StatusServiceUnavailable }, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, _ string) {
		id := c.newUser(t, "later@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		first := rec.waitFor(t, "user.blocked", 1)[0]
		var d map[string]any
		eventually(t, "the failure recorded", func() bool {
			d = c.deliveries(t, map[string]any{"event_id": first.id()})[0]
			return d["attempts"] == 1.0
		})
		next, err := time.Parse("2006-01-02T15:04:05.000Z", d["next_attempt_at"].(string))
		created, _ := time.Parse("2006-01-02T15:04:05.000Z", d["created_at"].(string))
		if d["status"] != "pending" || d["last_status_code"] != 503.0 || !strings.HasPrefix(d["last_error"].(string), "HTTP 503") ||
			err != nil || next.Sub(created) < 50*time.Second || next.Sub(created) > 70*time.Second {
			t.Errorf("delivery %v, want pending, 503, next attempt about a minute later", d)
		}
		if got := c.deliveries(t, map[string]any{"status": "pending"}); len(got) != 1 {
			t.Errorf("pending deliveries %d, want 1", len(got))
		}
		if got := c.deliveries(t, map[string]any{"status": "delivered"}); len(got) != 0 {
			t.Errorf("delivered deliveries %d, want 0", len(got))
		}
		c.call("webhook/deliveries", map[string]any{"status": "lost"}).wantError(t, http.StatusBadRequest, "invalid", "")
		c.call("webhook/events", map[string]any{"event_type": "user.created"}).wantError(t, http.StatusBadRequest, "invalid", "")
	})
}

// TestWebhookSubscription: an endpoint that names its events gets only
// those; the others are not even logged.
func TestWebhookSubscription(t *testing.T) {
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, _ string) {
		ep := c.call("program/webhook/update", map[string]any{"webhook_url": rec.srv.URL, "events": []string{"user.unblocked"}}).
			want(t, http.StatusOK, "").user(t)
		if !slices.Equal(strs(ep["events"]), []string{"user.unblocked"}) {
			t.Errorf("events %v", ep["events"])
		}
		id := c.newUser(t, "sub@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		rec.waitFor(t, "user.unblocked", 1)
		settle()
		if n := len(rec.all()); n != 1 {
			t.Errorf("%d deliveries, want 1", n)
		}
		if n := len(c.call("webhook/events", map[string]any{}).want(t, http.StatusOK, "").items(t)); n != 1 {
			t.Errorf("%d events logged, want 1", n)
		}
		c.call("program/webhook/update", map[string]any{"webhook_url": rec.srv.URL, "events": []string{"user.created"}}).
			wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "events")
		c.call("program/webhook/update", map[string]any{"webhook_url": "ftp://x"}).
			wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "webhook_url")
	})
}

// TestWebhookRedeliver: one more delivery of a delivered event, with the same
// event_id; the log counts it.
func TestWebhookRedeliver(t *testing.T) {
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string) {
		id := c.newUser(t, "again@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		first := rec.waitFor(t, "user.blocked", 1)[0]
		c.waitDelivery(t, first.id(), "delivered")
		d := c.call("webhook/redeliver", map[string]any{"event_id": first.id()}).want(t, http.StatusOK, "").user(t)
		if d["status"] != "pending" || d["event_id"] != first.id() {
			t.Errorf("redeliver answered %v, want the event pending", d)
		}
		again := rec.waitFor(t, "user.blocked", 2)[1]
		if again.id() != first.id() || !bytes.Equal(again.body, first.body) {
			t.Errorf("redelivered %s %s, want %s again", again.id(), again.body, first.id())
		}
		verify(t, secret, again)
		if got := c.waitDelivery(t, first.id(), "delivered"); got["attempts"] != 2.0 {
			t.Errorf("attempts %v, want 2", got["attempts"])
		}
		c.call("webhook/redeliver", map[string]any{"event_id": "inn_whe_0000000000000000000000"}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("webhook/redeliver", map[string]any{"event_id": "nope"}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("webhook/redeliver", map[string]any{}).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, "event_id")
		// Another program cannot see or redeliver it.
		other := e.program("other")
		other.call("webhook/redeliver", map[string]any{"event_id": first.id()}).wantError(t, http.StatusNotFound, "not_found", "")
		if n := len(other.call("webhook/events", map[string]any{}).want(t, http.StatusOK, "").items(t)); n != 0 {
			t.Errorf("another program sees %d events", n)
		}
	})
}

// TestWebhookGoneDisablesEndpoint: a 410 disables the endpoint at once; the
// delivery fails, later events are logged failed and not sent, and setting
// the endpoint again sends nothing by itself.
func TestWebhookGoneDisablesEndpoint(t *testing.T) {
	webhookEngines(t, 1, func(int) int { return http.StatusGone }, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, _ string) {
		id := c.newUser(t, "gone@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		first := rec.waitFor(t, "user.blocked", 1)[0]
		d := c.waitDelivery(t, first.id(), "failed")
		if d["attempts"] != 1.0 || d["last_status_code"] != 410.0 {
			t.Errorf("delivery %v, want failed after one 410", d)
		}
		ep := c.call("program/webhook/get", map[string]any{}).want(t, http.StatusOK, "").user(t)
		if ep["status"] != "disabled" || !strings.Contains(ep["disabled_reason"].(string), "410") {
			t.Errorf("endpoint %v, want disabled for the 410", ep)
		}
		c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		settle()
		if n := len(rec.all()); n != 1 {
			t.Errorf("%d requests, want 1 (nothing sent while disabled)", n)
		}
		logged := c.deliveries(t, map[string]any{"status": "failed"})
		if len(logged) != 2 || logged[0]["event_type"] != "user.unblocked" || logged[0]["attempts"] != 0.0 {
			t.Errorf("failed deliveries %v, want the unblock logged, never attempted", logged)
		}
		rec.setAnswer(func(int) int { return http.StatusOK })
		c.call("program/webhook/update", map[string]any{"webhook_url": rec.srv.URL}).want(t, http.StatusOK, "")
		settle()
		if n := len(rec.all()); n != 1 {
			t.Errorf("%d requests after re-enabling, want still 1", n)
		}
		c.call("webhook/redeliver", map[string]any{"event_id": logged[0]["event_id"]}).want(t, http.StatusOK, "")
		rec.waitFor(t, "user.unblocked", 1)
	})
}

// TestWebhookEndpointDisabledAfterWindow: a delivery that fails every
// attempt fails after the (compressed) 3 days; an endpoint all of whose
// attempts have failed for that long is disabled at the next failure, and
// its pending deliveries fail with it.
func TestWebhookEndpointDisabledAfterWindow(t *testing.T) {
	// 72 h × 0.00002 = 5.2 s; the schedule's eleven attempts fit in it.
	webhookEngines(t, 0.00002, func(int) int { return http.StatusInternalServerError }, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, _ string) {
		id := c.newUser(t, "down@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		first := rec.waitFor(t, "user.blocked", 1)[0]
		var d map[string]any
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			d = c.deliveries(t, map[string]any{"event_id": first.id()})[0]
			if d["status"] != "pending" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The schedule makes 11 attempts in the window; a loaded machine
		// that runs each late may fit one or two fewer.
		if n, _ := d["attempts"].(float64); d["status"] != "failed" || n < 9 || n > 11 || d["last_status_code"] != 500.0 {
			t.Errorf("delivery %v, want failed after the schedule's 11 attempts", d)
		}
		// The endpoint has failed for less than the window so far (the
		// last attempt comes before its end).
		if ep := c.call("program/webhook/get", map[string]any{}).want(t, http.StatusOK, "").user(t); ep["status"] != "enabled" {
			t.Errorf("endpoint %v, want still enabled", ep)
		}
		time.Sleep(time.Second)
		c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		second := rec.waitFor(t, "user.unblocked", 1)[0]
		d = c.waitDelivery(t, second.id(), "failed")
		if d["attempts"] != 1.0 || !strings.Contains(d["last_error"].(string), "disabled") {
			t.Errorf("delivery %v, want failed at its first attempt, the endpoint disabled", d)
		}
		ep := c.call("program/webhook/get", map[string]any{}).want(t, http.StatusOK, "").user(t)
		if ep["status"] != "disabled" || !strings.Contains(ep["disabled_reason"].(string), "every attempt failed") {
			t.Errorf("endpoint %v, want disabled after the window", ep)
		}
	})
}

// TestWebhookRotation: after rotate, deliveries carry two signatures for
// the overlap; a receiver with either secret verifies.
func TestWebhookRotation(t *testing.T) {
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, oldSecret string) {
		newSecret, err := e.svc.RotateWebhookSecret(t.Context(), banking.ProgramID(c.creds.ProgramID))
		if err != nil {
			t.Fatal(err)
		}
		id := c.newUser(t, "rot@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		d := rec.waitFor(t, "user.blocked", 1)[0]
		if n := len(strings.Fields(d.header.Get("webhook-signature"))); n != 2 {
			t.Errorf("%d signatures, want 2 during the overlap", n)
		}
		verify(t, oldSecret, d)
		verify(t, newSecret, d)
		if ep := c.call("program/webhook/get", map[string]any{}).want(t, http.StatusOK, "").user(t); ep["secret"] != newSecret {
			t.Errorf("secret %v, want the new one", ep["secret"])
		}
		// 24 hours later the old one no longer signs.
		e.clock.Advance(25 * time.Hour)
		c.call("user/unblock", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		u := rec.waitFor(t, "user.unblocked", 1)[0]
		if n := len(strings.Fields(u.header.Get("webhook-signature"))); n != 1 {
			t.Errorf("%d signatures a day later, want 1", n)
		}
	})
}

// TestWebhookEndpointCallsAreSandboxOnly: without --sandbox the endpoint
// calls do not exist (after authentication, as every signed call); the
// log calls do.
func TestWebhookEndpointCallsAreSandboxOnly(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		c.call("program/webhook/update", map[string]any{"webhook_url": "https://hooks.example.com"}).
			wantError(t, http.StatusNotFound, "not_found", "")
		c.call("program/webhook/get", map[string]any{}).wantError(t, http.StatusNotFound, "not_found", "")
		c.call("webhook/events", map[string]any{}).want(t, http.StatusOK, "")
		c.call("webhook/deliveries", map[string]any{}).want(t, http.StatusOK, "")
	})
}

// TestWebhookMetrics: /metrics counts attempts by event type and outcome,
// their latency, and the queue.
func TestWebhookMetrics(t *testing.T) {
	webhookEngines(t, 1, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, _ string) {
		id := c.newUser(t, "m@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		first := rec.waitFor(t, "user.blocked", 1)[0]
		c.waitDelivery(t, first.id(), "pending")
		var body string
		eventually(t, "the failed attempt counted", func() bool {
			body = string(e.raw(http.MethodGet, "/metrics", "", nil).Body)
			return strings.Contains(body, `ingot_webhook_attempts_total{event_type="user.blocked",outcome="retry"} 1`)
		})
		for _, want := range []string{`ingot_webhook_attempt_duration_seconds_count{outcome="retry"} 1`,
			"ingot_webhook_queue_depth 1", "ingot_webhook_oldest_pending_seconds "} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		c.call("webhook/redeliver", map[string]any{"event_id": first.id()}).want(t, http.StatusOK, "")
		c.waitDelivery(t, first.id(), "delivered")
		body = string(e.raw(http.MethodGet, "/metrics", "", nil).Body)
		for _, want := range []string{`ingot_webhook_attempts_total{event_type="user.blocked",outcome="delivered"} 1`,
			"ingot_webhook_queue_depth 1"} {
			if !strings.Contains(body, want) {
				t.Errorf("after the redelivery, /metrics lacks %q", want)
			}
		}
	})
}

// TestWebhookRedirectNotFollowed: a receiver that answers with a redirect
// (here to another receiver on loopback, as one to a metadata address
// would) fails the attempt; the target never hears of it.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	target := newHookReceiver(t, nil)
	webhookEngines(t, 1, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, _ string) {
		// No request has reached the receiver yet: its handler can change.
		rec.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.srv.URL+"/latest/meta-data/", http.StatusFound)
		})
		id := c.newUser(t, "redir@example.com")
		c.call("user/block", map[string]any{"user_id": id}).want(t, http.StatusOK, "")
		var d map[string]any
		eventually(t, "the attempt recorded", func() bool {
			ds := c.deliveries(t, nil)
			if len(ds) == 1 {
				d = ds[0]
			}
			return d != nil && d["attempts"] == 1.0
		})
		if d["status"] != "pending" || d["last_status_code"] != 302.0 ||
			!strings.Contains(d["last_error"].(string), "redirects are not followed") {
			t.Errorf("delivery %v, want a failed 302, retried later", d)
		}
		if n := len(target.all()); n != 0 {
			t.Errorf("the redirect's target got %d requests, want 0", n)
		}
	})
}
