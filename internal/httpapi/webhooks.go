package httpapi

import (
	"context"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
)

// Webhooks (webhooks.md): the sandbox's endpoint calls (section 1) and the
// delivery log (section 5).

// errSandboxOnly answers the sandbox's calls on a server without
// --sandbox: they do not exist there (sandbox.md section 1). The request
// was authenticated first, as every signed call is.
var errSandboxOnly = banking.Errorf(banking.CodeNotFound, "no such call: this call exists only in the sandbox (serve --sandbox)")

// wireEndpoint is the endpoint object of the sandbox calls.
func wireEndpoint(w *service.WebhookSettings) apitype.WebhookEndpoint {
	events := w.Events
	if events == nil {
		events = []string{}
	}
	return apitype.WebhookEndpoint{WebhookURL: w.URL, Events: events, Status: w.Status, DisabledReason: w.DisabledReason,
		Secret: w.Secret, CreatedAt: wireTime(w.CreatedAt), UpdatedAt: wireTime(w.UpdatedAt)}
}

// wireTime is a timestamp as the API writes it, "" for none.
func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(apitype.TimeFormat)
}

func endpointPage(w service.WebhookSettings) any { return apitype.One(wireEndpoint(&w)) }

func (h *handler) updateWebhook(ctx context.Context, c service.Caller, r *apitype.WebhookUpdateRequest) (service.WebhookSettings, error) {
	if !h.sandbox {
		return service.WebhookSettings{}, errSandboxOnly
	}
	if _, err := h.svc.SetWebhook(ctx, c.ProgramID, r.WebhookURL, r.Events); err != nil {
		return service.WebhookSettings{}, err
	}
	return h.svc.Webhook(ctx, c.ProgramID, true)
}

func (h *handler) getWebhook(ctx context.Context, c service.Caller, _ *apitype.WebhookGetRequest) (any, error) {
	if !h.sandbox {
		return nil, errSandboxOnly
	}
	w, err := h.svc.Webhook(ctx, c.ProgramID, true)
	if err != nil {
		return nil, err
	}
	return endpointPage(w), nil
}

func wireWebhookEvent(e *store.WebhookEvent) apitype.WebhookEvent {
	return apitype.WebhookEvent{EventID: e.ID, EventType: e.Type, ResourceID: e.ResourceID, Payload: e.Payload,
		CreatedAt: wireTime(e.CreatedAt)}
}

func wireDelivery(e *store.WebhookEvent) apitype.WebhookDelivery {
	return apitype.WebhookDelivery{EventID: e.ID, EventType: e.Type, Status: e.Status, Attempts: e.Attempts,
		LastStatusCode: e.LastStatusCode, LastError: e.LastError, NextAttemptAt: wireTime(e.NextAttemptAt),
		DeliveredAt: wireTime(e.DeliveredAt), CreatedAt: wireTime(e.CreatedAt)}
}

func deliveryPage(e store.WebhookEvent) any { return apitype.One(wireDelivery(&e)) }

// webhookList answers a page of the log, each event written by wire.
func webhookList[T any](evs []store.WebhookEvent, total, page, perPage int, wire func(*store.WebhookEvent) T) apitype.Page[T] {
	items := make([]T, len(evs))
	for i := range evs {
		items[i] = wire(&evs[i])
	}
	return apitype.Page[T]{Items: items, Pagination: apitype.Pagination{Page: page, PerPage: perPage, Total: total,
		Sort: apitype.SortCreatedDesc}}
}

func (h *handler) webhookEvents(ctx context.Context, c service.Caller, r *apitype.WebhookEventsRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	evs, total, err := h.svc.WebhookEvents(ctx, c, service.WebhookFilter{Type: r.EventType, ResourceID: r.ResourceID,
		Page: page, PerPage: perPage})
	if err != nil {
		return nil, err
	}
	return webhookList(evs, total, page, perPage, wireWebhookEvent), nil
}

func (h *handler) webhookDeliveries(ctx context.Context, c service.Caller, r *apitype.WebhookDeliveriesRequest) (any, error) {
	page, perPage, err := banking.Paging(r.Page, r.PerPage)
	if err != nil {
		return nil, err
	}
	evs, total, err := h.svc.WebhookEvents(ctx, c, service.WebhookFilter{EventID: r.EventID, Status: r.Status,
		Page: page, PerPage: perPage})
	if err != nil {
		return nil, err
	}
	return webhookList(evs, total, page, perPage, wireDelivery), nil
}

func (h *handler) redeliver(ctx context.Context, c service.Caller, r *apitype.RedeliverRequest) (store.WebhookEvent, error) {
	return h.svc.Redeliver(ctx, c, r.EventID)
}
