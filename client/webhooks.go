package client

import (
	"context"

	"github.com/ingot-dev/ingot/apitype"
)

// Webhooks (webhooks.md). Receiving them is package client/webhook's job;
// these calls manage the sandbox endpoint and read the delivery log.

// SetWebhook sets the program's webhook endpoint: url, and the event types
// to send (none: all). Sandbox only (ErrNotFound on a server without
// --sandbox, where the operator runs "ingot program webhook set"). The
// answer carries the signing secret to verify deliveries with
// (webhook.Verify). A URL or event type the server refuses is ErrInvalid
// naming webhook_url or events. Retried safely under one idempotent_key.
func (c *Client) SetWebhook(ctx context.Context, url string, events ...string) (apitype.WebhookEndpoint, error) {
	req := apitype.WebhookUpdateRequest{WebhookURL: url, Events: events}
	ensureKey(&req.Common)
	return single[apitype.WebhookEndpoint](ctx, c, "program/webhook/update", req)
}

// GetWebhook reads the program's webhook endpoint with its signing secret
// and status (enabled, or disabled with its reason). Sandbox only;
// ErrNotFound when none is set.
func (c *Client) GetWebhook(ctx context.Context) (apitype.WebhookEndpoint, error) {
	return single[apitype.WebhookEndpoint](ctx, c, "program/webhook/get", apitype.WebhookGetRequest{})
}

// WebhookEvents returns one page of the program's webhook events, newest
// first, each with the exact body its deliveries send.
func (c *Client) WebhookEvents(ctx context.Context, req apitype.WebhookEventsRequest) (apitype.Page[apitype.WebhookEvent], error) {
	return pageOf[apitype.WebhookEvent](ctx, c, "webhook/events", req)
}

// WebhookDeliveries returns one page of deliveries (one per event), newest
// first: status pending, delivered or failed, attempts, and how the last
// attempt ended.
func (c *Client) WebhookDeliveries(ctx context.Context, req apitype.WebhookDeliveriesRequest) (apitype.Page[apitype.WebhookDelivery], error) {
	return pageOf[apitype.WebhookDelivery](ctx, c, "webhook/deliveries", req)
}

// Redeliver delivers an event once more, now, with the same event_id,
// whatever its status, and returns its delivery (pending). An event the
// program does not have is ErrNotFound.
func (c *Client) Redeliver(ctx context.Context, eventID string) (apitype.WebhookDelivery, error) {
	req := apitype.RedeliverRequest{EventID: eventID}
	ensureKey(&req.Common)
	return single[apitype.WebhookDelivery](ctx, c, "webhook/redeliver", req)
}
