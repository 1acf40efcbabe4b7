package console

import (
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
)

// transactionsView is the transactions page's data.
type transactionsView struct {
	Status, Type string
	Transactions []service.TxRow
	Pager        pager
	Invalid      string
}

// transactionsPage lists a program's ledger transactions, newest first, 50
// a page, filtered by status and type (category).
func (c *Console) transactionsPage(r *request) (string, any, error) {
	q := r.URL.Query()
	v := transactionsView{Status: q.Get("status"), Type: q.Get("type")}
	f := service.TxSearch{Status: banking.TxStatus(v.Status), Category: banking.Category(v.Type),
		Page: r.pageParam("page"), PerPage: perPage}
	txs, total, err := c.svc.ConsoleTransactions(r.Context(), r.program.ID, f)
	if banking.IsCode(err, banking.CodeInvalid) {
		v.Invalid, v.Pager = c.errorText(r, err), newPager(r, "page", "transactions", 1, 0, 0)
		return "Transactions", v, nil
	}
	if err != nil {
		return "", nil, err
	}
	v.Transactions, v.Pager = txs, newSearchPager(r, "page", "transactions", f.Page, len(txs), total)
	return "Transactions", v, nil
}

// step is one moment of a transaction's timeline.
type step struct {
	At    time.Time
	What  string
	Actor string
	// Link is the console path of a returning transaction, else "".
	Link   string
	Status string
}

// transactionView is a transaction's page's data.
type transactionView struct {
	Tx       service.TransactionFile
	Timeline []step
	// ReturnOf is the transaction this one returns, "" unless it is a
	// return.
	ReturnOf   string
	Deliveries []webhookRow
	DelPager   pager
	Trail      trail
	// Settle says which settlement forms the page shows.
	Settle settleForms
}

// transactionPage shows one transaction: amount, status, its accounts
// (their numbers' last four digits), its ledger entries, its timeline
// (created, settled or failed, returned), the webhook deliveries about it
// and its audit trail; while it is pending, the settlement form, once
// completed, the return form (settle.go).
func (c *Console) transactionPage(r *request) (string, any, error) {
	ctx := r.Context()
	f, err := c.svc.TransactionByID(ctx, r.program.ID, r.PathValue("tid"))
	if err != nil {
		return "", nil, err
	}
	v := transactionView{Tx: f, Settle: settleFormsFor(f.Transaction)}
	if v.Trail, err = c.trail(r, string(f.ID)); err != nil {
		return "", nil, err
	}
	if f.ReversedTransactionID != "" {
		v.ReturnOf = string(f.ReversedTransactionID)
	}
	v.Timeline = timeline(r, &f, v.Trail.Events)
	page := r.pageParam("webhooks_page")
	evs, total, err := c.svc.WebhookEvents(ctx, r.caller(), service.WebhookFilter{ResourceID: string(f.ID), Page: page, PerPage: perPage})
	if err != nil {
		return "", nil, err
	}
	v.Deliveries, v.DelPager = webhookRows(evs), newPager(r, "webhooks_page", "deliveries", page, len(evs), total)
	return "Transaction " + formatMoney(f.Amount), v, nil
}

// timeline is a transaction's moments, oldest first: each of its events
// (created, completed, failed) as the trail recorded it, the posting date
// when no event shows it, and each return.
func timeline(r *request, f *service.TransactionFile, events []service.TrailEvent) []step {
	var out []step
	posted := false
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		s := step{At: e.CreatedAt, Actor: e.Actor, What: string(e.Type)}
		// A movement completed at once (a wire) has one event, whose
		// status went from nothing to completed.
		fresh := false
		if ch, ok := e.Changes["status"]; ok {
			s.Status, fresh = changeValue(ch.To), changeValue(ch.From) == "—"
		}
		switch e.Type {
		case banking.EventTransferCreated:
			s.What = "Created"
		case banking.EventTransferCompleted:
			s.What, posted = "Settled", true
			if fresh {
				s.What = "Created and settled"
			}
		case banking.EventTransferFailed:
			s.What = "Failed"
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		out = append(out, step{At: f.CreatedAt, What: "Created"})
	}
	if !posted && !f.PostingDate.IsZero() {
		out = append(out, step{At: f.PostingDate, What: "Settled", Status: string(banking.TxCompleted)})
	}
	for _, ret := range f.Returns {
		out = append(out, step{At: ret.CreatedAt, What: "Returned", Status: string(ret.Status),
			Link: r.programPath() + "/transactions/" + string(ret.ID)})
	}
	return out
}
