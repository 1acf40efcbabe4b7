package console

import (
	"strings"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
)

// webhookRow is one delivery as the console lists it. The payload is not
// shown: it may hold what the console never shows (a full account number).
type webhookRow struct {
	store.WebhookEvent
	// Resource is the console path of what the event is about, "" when
	// the console has no page for it.
	Resource string
}

func webhookRows(evs []store.WebhookEvent) []webhookRow {
	out := make([]webhookRow, len(evs))
	for i, e := range evs {
		out[i] = webhookRow{WebhookEvent: e, Resource: resourcePath(e.ResourceID)}
	}
	return out
}

// resourcePath is the program-relative page of a resource id by its
// prefix: "/users/…", "/accounts/…"; "" for other kinds.
func resourcePath(id string) string {
	for prefix, page := range map[string]string{"user-": "/users/", "buss-": "/businesses/", "rbac-": "/accounts/", "ltra-": "/transactions/"} {
		if strings.HasPrefix(id, prefix) {
			return page + id
		}
	}
	return ""
}

// webhooksView is the webhook deliveries page's data.
type webhooksView struct {
	Status     string
	Deliveries []webhookRow
	Pager      pager
	Invalid    string
	Endpoint   service.WebhookSettings
	HasHook    bool
}

// webhooksPage lists a program's webhook deliveries, newest first, 50 a
// page, filtered by status, each with its attempts, last answer or error,
// next attempt and a redeliver button.
func (c *Console) webhooksPage(r *request) (string, any, error) {
	ctx := r.Context()
	v := webhooksView{Status: r.URL.Query().Get("status")}
	ep, err := c.svc.Webhook(ctx, r.program.ID, false)
	switch {
	case err == nil:
		v.Endpoint, v.HasHook = ep, true
	case !banking.IsCode(err, banking.CodeNotFound):
		return "", nil, err
	}
	page := r.pageParam("page")
	evs, total, err := c.svc.WebhookEvents(ctx, r.caller(), service.WebhookFilter{Status: v.Status, Page: page, PerPage: perPage})
	if banking.IsCode(err, banking.CodeInvalid) {
		v.Invalid, v.Pager = c.errorText(r, err), newPager(r, "page", "deliveries", 1, 0, 0)
		return "Webhook deliveries", v, nil
	}
	if err != nil {
		return "", nil, err
	}
	v.Deliveries, v.Pager = webhookRows(evs), newPager(r, "page", "deliveries", page, len(evs), total)
	return "Webhook deliveries", v, nil
}

// redeliver makes one more delivery of a webhook event, due now, as
// webhook/redeliver does, recorded as a webhook.redelivered event naming
// the operator; it returns to the page it was taken on.
func (c *Console) redeliver(r *request) (string, string, error) {
	back := r.backTo(r.programPath() + "/webhooks")
	e, err := c.svc.Redeliver(r.Context(), r.operatorCaller(), r.PathValue("eid"))
	if err != nil {
		return back, "", err
	}
	return back, "Redelivery of " + e.Type + " (" + e.ID + ") scheduled: it is " + e.Status + " again.", nil
}
