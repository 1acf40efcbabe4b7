package service

import (
	"context"
	"slices"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/webhook"
)

// deriveWebhooks is the store's event hook (store.SetEventHook): inside each
// group's transaction it turns the group's audit events (and notices) into
// webhook events for the programs whose endpoint subscribes to them, writes
// them to the outbox and schedules their delivery, so no change commits
// without its webhook events and none is written without its change
// (webhooks.md section 4).
//
// The endpoints are read in the transaction, not cached: an endpoint set by
// another process (ingot program webhook set) must count from the first
// group that commits after it. The read is one statement per group, and
// only for groups with an event some mapper knows (docs/decisions.md has
// its measured cost). Entity numbers come with the rows the works locked
// (store.Tx.EntityNumber); any other is read, in one query per table.
func (s *Service) deriveWebhooks(ctx context.Context, tx *store.Tx, events, notices []banking.Event) error {
	evs := events
	if len(notices) > 0 {
		evs = append(evs[:len(evs):len(evs)], notices...)
	}
	var pids []banking.ProgramID
	for i := range evs {
		if _, ok := webhook.MapperFor(evs[i].Type); ok && !slices.Contains(pids, evs[i].ProgramID) {
			pids = append(pids, evs[i].ProgramID)
		}
	}
	if len(pids) == 0 {
		return nil
	}
	eps, err := tx.WebhookEndpoints(ctx, pids)
	if err != nil || len(eps) == 0 {
		return err
	}
	endpoint := func(pid banking.ProgramID) *store.WebhookEndpoint {
		for i := range eps {
			if eps[i].ProgramID == pid {
				return &eps[i]
			}
		}
		return nil
	}
	l := webhook.NewLookup(tx)
	l.Routing, l.Known = s.routing, tx.EntityNumber
	var refs []webhook.Ref
	for i := range evs {
		if m, ok := webhook.MapperFor(evs[i].Type); ok && m.Refs != nil && endpoint(evs[i].ProgramID) != nil {
			refs = append(refs, m.Refs(&evs[i])...)
		}
	}
	if err := l.Prefetch(ctx, refs); err != nil {
		return err
	}
	var rows []store.WebhookEvent
	var handoffs []func([]*store.WebhookEvent) (func(store.Job), time.Time) // per row: its program's
	for i := range evs {
		ev := &evs[i]
		m, ok := webhook.MapperFor(ev.Type)
		ep := endpoint(ev.ProgramID)
		if !ok || ep == nil {
			continue
		}
		outs, err := m.Map(ctx, l, ev)
		if err != nil {
			return err
		}
		for _, out := range outs {
			if len(ep.Events) > 0 && !slices.Contains(ep.Events, string(out.Type)) {
				continue
			}
			if out.OccurredAt.IsZero() {
				out.OccurredAt = ev.CreatedAt
			}
			// The id starts with the audit event's time, whatever the
			// event's occurred_at: on SQLite the log finds a resource's
			// events by that prefix (store.WebhookEvents, migration 0017).
			out.ID = webhook.NewEventID(ev.CreatedAt)
			// The log finds a resource's events through their audit
			// events' subject (store.WebhookEvents); a notice has no audit
			// event.
			out.ResourceID = ev.SubjectID
			audit := string(ev.ID)
			if i >= len(events) {
				audit = ""
			}
			// The row keeps the Stored part; the body, put together from
			// it as every read will, goes to this process's pool.
			stored := out.Stored()
			body := webhook.Render(out.Type, out.ID, stored, out.ResourceID, out.OccurredAt)
			row := store.WebhookEvent{ID: out.ID, ProgramID: ev.ProgramID, Type: string(out.Type),
				ResourceID: out.ResourceID, AuditEventID: audit, Payload: body, Stored: stored,
				Status: store.DeliveryPending, CreatedAt: out.OccurredAt}
			if ep.Status != store.EndpointEnabled {
				// Logged, so it can be redelivered once the endpoint works
				// again; re-enabling it sends nothing by itself.
				row.Status, row.LastError = store.DeliveryFailed, "the webhook endpoint is disabled"
			}
			rows = append(rows, row)
			handoffs = append(handoffs, s.takeHandoff(*ep))
		}
	}
	return tx.InsertWebhookEvents(ctx, rows, func(idx []int) (func(store.Job), time.Time) {
		// A job's events are one program's.
		h := handoffs[idx[0]]
		if h == nil {
			return nil, time.Time{}
		}
		evs := make([]*store.WebhookEvent, len(idx))
		for k, i := range idx {
			evs[k] = &rows[i]
		}
		return h(evs)
	})
}
