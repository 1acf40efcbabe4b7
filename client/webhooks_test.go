package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/client"
	"github.com/ingot-dev/ingot/client/webhook"
)

// TestWebhookSDK drives the webhook calls through the SDK against a real
// sandbox server, with a receiver built from webhook.Handler: the event
// arrives verified and typed, the log shows it, and Redeliver sends it
// again under the same event id.
func TestWebhookSDK(t *testing.T) {
	in := newIngotWith(t, serverOptions{})
	c := in.client()
	ctx := context.Background()

	var mu sync.Mutex
	var got []webhook.Event
	secret := make(chan string, 1)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := <-secret
		secret <- s
		webhook.Handler(s, func(_ context.Context, ev webhook.Event) error {
			mu.Lock()
			got = append(got, ev)
			mu.Unlock()
			return nil
		}).ServeHTTP(w, r)
	}))
	defer recv.Close()

	ep, err := c.SetWebhook(ctx, recv.URL, webhook.UserBlocked)
	if err != nil {
		t.Fatal(err)
	}
	secret <- ep.Secret
	if ep.WebhookURL != recv.URL || ep.Status != "enabled" || len(ep.Events) != 1 {
		t.Errorf("SetWebhook = %+v", ep)
	}
	if again, err := c.GetWebhook(ctx); err != nil || again.Secret != ep.Secret {
		t.Errorf("GetWebhook = %+v, %v; want the same secret", again, err)
	}
	if _, err := c.SetWebhook(ctx, "gopher://x"); !errors.Is(err, client.ErrInvalid) {
		t.Errorf("SetWebhook with a bad URL: %v, want ErrInvalid", err)
	}

	u, err := c.CreateUser(ctx, apitype.CreateUserRequest{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "San Francisco", State: "CA", PostalCode: "94105", Country: "US"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BlockUser(ctx, u.ID, "test"); err != nil {
		t.Fatal(err)
	}
	waitFor := func(n int) []webhook.Event {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			evs := append([]webhook.Event(nil), got...)
			mu.Unlock()
			if len(evs) >= n {
				return evs
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d events received, want %d", len(evs), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	ev := waitFor(1)[0]
	if ev.Event != webhook.UserBlocked || ev.Data.ResourceID != u.ID || ev.Data.UserID == "" || ev.Data.Status != "blocked" {
		t.Errorf("event %+v", ev)
	}
	if at, err := ev.Time(); err != nil || time.Since(at) > time.Minute {
		t.Errorf("Time() = %v, %v", at, err)
	}

	evs, err := c.WebhookEvents(ctx, apitype.WebhookEventsRequest{ResourceID: u.ID})
	if err != nil || len(evs.Items) != 1 || evs.Items[0].EventID != ev.Data.EventID {
		t.Fatalf("WebhookEvents = %+v, %v", evs, err)
	}
	var d apitype.WebhookDelivery
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ds, err := c.WebhookDeliveries(ctx, apitype.WebhookDeliveriesRequest{EventID: ev.Data.EventID})
		if err != nil || len(ds.Items) != 1 {
			t.Fatalf("WebhookDeliveries = %+v, %v", ds, err)
		}
		if d = ds.Items[0]; d.Status == "delivered" {
			break
		}
	}
	if d.Status != "delivered" || d.Attempts != 1 || d.LastStatusCode != http.StatusNoContent {
		t.Errorf("delivery %+v", d)
	}
	if d, err := c.Redeliver(ctx, ev.Data.EventID); err != nil || d.Status != "pending" {
		t.Errorf("Redeliver = %+v, %v", d, err)
	}
	if again := waitFor(2)[1]; again.Data.EventID != ev.Data.EventID {
		t.Errorf("redelivered %s, want %s", again.Data.EventID, ev.Data.EventID)
	}
	if _, err := c.Redeliver(ctx, "inn_whe_0000000000000000000000"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("Redeliver of an unknown event: %v, want ErrNotFound", err)
	}
}

// TestWebhookCallsNeedSandbox: outside the sandbox SetWebhook is
// ErrNotFound.
func TestWebhookCallsNeedSandbox(t *testing.T) {
	c := newIngotWith(t, serverOptions{production: true}).client()
	if _, err := c.SetWebhook(context.Background(), "https://hooks.example.com"); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("SetWebhook: %v, want ErrNotFound", err)
	}
}
