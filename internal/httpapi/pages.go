package httpapi

import (
	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
)

// listOf wires one page of domain values: every list answer of the API
// (api-v4.md section 3: items and pagination, total counting every match,
// or, past banking.ExactTotalUpTo, a lower bound marked total_is_estimate).
// sort is the order used, search the search echoed ("" for lists that do
// not search).
func listOf[T, W any](list []T, wire func(*T) W, total banking.Total, page, perPage int, sort, search string) apitype.Page[W] {
	items := make([]W, len(list))
	for i := range list {
		items[i] = wire(&list[i])
	}
	return apitype.Page[W]{Items: items, Pagination: apitype.Pagination{
		Page: page, PerPage: perPage, Total: total.N, Sort: sort, Search: search,
		TotalIsEstimate: total.Estimate}}
}

// sortName is the answered name of a list's creation order.
func sortName(ascending bool) string {
	if ascending {
		return apitype.SortCreatedAsc
	}
	return apitype.SortCreatedDesc
}

// wireEvent is one audit event as /user/events and /business/events answer it.
func wireEvent(ev *banking.Event) apitype.Event {
	ch := make(map[string]apitype.Change, len(ev.Changes))
	for k, v := range ev.Changes {
		ch[k] = apitype.Change{From: v.From, To: v.To}
	}
	return apitype.Event{
		ID: string(ev.ID), Type: string(ev.Type), Actor: ev.Actor, Reason: ev.Reason,
		Changes: ch, CreatedAt: ev.CreatedAt.UTC().Format(apitype.TimeFormat),
	}
}

// eventPage is a page of an audit trail, newest first.
func eventPage(evs []banking.Event, total, page, perPage int) apitype.Page[apitype.Event] {
	return listOf(evs, wireEvent, banking.ExactTotal(total), page, perPage, apitype.SortCreatedDesc, "")
}
