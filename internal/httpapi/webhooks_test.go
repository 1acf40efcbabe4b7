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
		// The check decides in the background: block only after it, so the
		// order of ok's events below is fixed.
		rec.waitFor(t, "user.kyc.verified", 1)
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
		// No event is sent twice when nothing failed. An outcome is
		// recorded a moment after the receiver answered it (in the
		// recorder's next batch): the last ones may still be pending.
		var recorded []map[string]any
		eventually(t, "every delivery's outcome recorded", func() bool {
			recorded = c.deliveries(t, nil)
			for _, d := range recorded {
				if d["status"] == "pending" && d["attempts"] == 0.0 {
					return false
				}
			}
			return true
		})
		for _, d := range recorded {
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
