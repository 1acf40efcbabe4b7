package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestWebhookBodyIsTheSameEverywhere: a transfer whose memo needs escaping
// (quotes, a backslash, HTML's <, > and &, line and
// paragraph separators, non-ASCII letters) made just after midnight on the
// program's sandbox clock: its events' first attempt, their retries, the
// log's payload and a redelivery carry one body, byte for byte (the outbox
// row keeps only its Stored part, every read renders it again); the memo
// reads back as it was written; created_at and occurred_at are of the
// sandbox clock, webhook-timestamp of the real time.
func TestWebhookBodyIsTheSameEverywhere(t *testing.T) {
	webhookEngines(t, 0.0001, nil, func(t *testing.T, e *env, c *apiClient, rec *hookReceiver, secret string) {
		uid := c.verifiedUser(t, "odd@example.com")
		a := c.issueUser(t, uid)["id"].(string)
		b := c.issueUser(t, uid)["id"].(string)
		c.inbound(t, a, "50.00")
		// To 00:00:30 UTC of a later day on the sandbox clock.
		now := c.clockNow(t)
		midnight := now.Truncate(24 * time.Hour).Add(3*24*time.Hour + 30*time.Second)
		at := c.advance(t, int64(midnight.Sub(now)/time.Second))

		rec.setAnswer(func(int) int { return http.StatusInternalServerError })
		memo := "Tom's \"café\" \\ <b>&amp; 世界 🙂 \u2028\u2029 end"
		body := transferBody(side{"user", uid, a}, side{"user", uid, b}, "1.25", "odd-1")
		body["description"] = memo
		tr := c.call(transferPath, body).want(t, http.StatusOK, "").one(t)["id"].(string)
		// Two attempts of each of the transfer's four events (created and
		// completed, one per account), then acknowledged.
		for _, typ := range []string{"account.transfer.created", "account.transfer.completed"} {
			rec.waitFor(t, typ, 4)
		}
		rec.setAnswer(func(int) int { return http.StatusOK })
		bodies := map[string][]delivery{}
		eventually(t, "every transfer event delivered", func() bool {
			bodies = map[string][]delivery{}
			for _, d := range rec.all() {
				if d.Data["transfer_id"] == tr {
					bodies[d.id()] = append(bodies[d.id()], d)
				}
			}
			if len(bodies) != 4 {
				return false
			}
			for id := range bodies {
				if d := c.deliveries(t, map[string]any{"event_id": id}); len(d) != 1 || d[0]["status"] != "delivered" {
					return false
				}
			}
			return true
		})
		var one string
		for id := range bodies {
			one = id
		}
		c.call("webhook/redeliver", map[string]any{"event_id": one}).want(t, http.StatusOK, "")
		eventually(t, "the redelivery", func() bool {
			n := 0
			for _, d := range rec.all() {
				if d.id() == one {
					n++
				}
			}
			return n > len(bodies[one])
		})
		bodies[one] = nil
		for _, d := range rec.all() {
			if d.id() == one {
				bodies[one] = append(bodies[one], d)
			}
		}

		var page struct {
			Data struct {
				Items []struct {
					EventID string          `json:"event_id"`
					Payload json.RawMessage `json:"payload"`
				} `json:"items"`
			} `json:"data"`
		}
		r := c.call("webhook/events", map[string]any{"resource_id": tr, "per_page": 100}).want(t, http.StatusOK, "")
		if err := json.Unmarshal(r.Body, &page); err != nil {
			t.Fatal(err)
		}
		logged := map[string][]byte{}
		for _, it := range page.Data.Items {
			logged[it.EventID] = it.Payload
		}
		if len(logged) != 4 {
			t.Errorf("the log finds %d events about %s, want 4", len(logged), tr)
		}
		wantStamp := at.UTC().Format("02-01-2006 03:04 PM")
		for id, ds := range bodies {
			first := ds[0]
			if len(ds) < 2 {
				t.Errorf("%s: %d attempts, want a retry at least", id, len(ds))
			}
			for i, d := range ds {
				if !bytes.Equal(d.body, first.body) {
					t.Errorf("%s: attempt %d sent\n%s\nthe first sent\n%s", id, i+1, d.body, first.body)
				}
				verify(t, secret, d)
				ts, err := strconv.ParseInt(d.header.Get("webhook-timestamp"), 10, 64)
				if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
					t.Errorf("%s: webhook-timestamp %q, want the real time", id, d.header.Get("webhook-timestamp"))
				}
			}
			if !bytes.Equal(logged[id], first.body) {
				t.Errorf("%s: the log's payload\n%s\nthe body sent\n%s", id, logged[id], first.body)
			}
			var env struct {
				CreatedAt string `json:"created_at"`
				UpdatedAt string `json:"updated_at"`
				Data      struct {
					Memo       string `json:"memo"`
					OccurredAt string `json:"occurred_at"`
				} `json:"data"`
			}
			if err := json.Unmarshal(first.body, &env); err != nil {
				t.Fatal(err)
			}
			if env.Data.Memo != memo {
				t.Errorf("%s: memo %q, want %q", id, env.Data.Memo, memo)
			}
			if env.CreatedAt != wantStamp || env.UpdatedAt != wantStamp {
				t.Errorf("%s: created_at %q, updated_at %q, want the sandbox clock's %q", id, env.CreatedAt, env.UpdatedAt, wantStamp)
			}
			occurred, err := time.Parse("2006-01-02T15:04:05.000Z", env.Data.OccurredAt)
			if err != nil || occurred.Before(at) || occurred.Sub(at) > time.Minute {
				t.Errorf("%s: occurred_at %q, want the sandbox clock's time, about %v", id, env.Data.OccurredAt, at)
			}
		}
	})
}
