package httpapi

import (
	"net/http"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
)

// routes lists the whole API. Every API call is a signed POST with a JSON
// body, declared here as a read or a mutation (which honours
// idempotent_key; mutationInWork for a call whose one Work claims its key,
// call.go); health checks are unauthenticated GETs.
func (h *handler) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.Handle("GET /metrics", h.metrics.Handler())
	mux.HandleFunc("GET /api/v4/openapi.yaml", h.openapi)

	for _, rt := range []route{
		mutation(h, "user/create", h.createUser, userPage),
		read(h, "user/get-all", h.listUsers),
		read(h, "user/get", h.getUser),
		mutation(h, "user/update", h.updateUser, userPage),
		mutationInWork(h, "user/block", h.blockUser, userPage),
		mutationInWork(h, "user/unblock", h.unblockUser, userPage),
		mutation(h, "user/send-verification-request", h.sendVerification, empty[banking.User]),
		read(h, "user/events", h.userEvents),
		mutation(h, "business/create", h.createBusiness, businessPage),
		read(h, "business/get", h.getBusiness),
		mutation(h, "business/update", h.updateBusiness, businessPage),
		mutation(h, "business/block", h.blockBusiness, businessPage),
		mutation(h, "business/unblock", h.unblockBusiness, businessPage),
		read(h, "business/get-all", h.listBusinesses),
		read(h, "business/events", h.businessEvents),
		mutation(h, "business/send-verification-request", h.sendBusinessVerification, empty[banking.Business]),
		mutation(h, "business/add-business-owner", h.addOwner, ownerPage),
		read(h, "business/get-business-owners", h.listOwners),
		mutation(h, "business/add-business-owner-document", h.addDocument, documentPage),
		read(h, "business/get-business-owner-documents", h.listDocuments),
		read(h, "business/customers/get-all", h.listContacts),
		mutation(h, "user/routable-bank-accounts/issue", h.issueUserAccount, h.accountPage),
		mutation(h, "business/routable-bank-accounts/issue", h.issueBusinessAccount, h.accountPage),
		read(h, "business/routable-bank-accounts/get-single", h.getBusinessAccount),
		read(h, "routable-bank-accounts/get-all", h.listAccounts),
		mutation(h, "routable-bank-accounts/freeze", h.freezeAccount, h.accountPage),
		mutation(h, "routable-bank-accounts/unfreeze", h.unfreezeAccount, h.accountPage),
		mutation(h, "routable-bank-accounts/close", h.closeAccount, h.accountPage),
		read(h, "program/routable-bank-accounts/get", h.masterAccount),
		mutationInWork(h, "book-transfer/routable-bank-account-to-routable-bank-account-transfer", h.bookTransfer, transferPage),
		read(h, "balance/user", h.userBalance),
		read(h, "balance/program-master-rba", h.masterBalance),
		read(h, "transactions/business", h.businessTransactions),
		read(h, "transactions/user", h.userTransactions),
		read(h, "transactions/single", h.singleTransaction),
		read(h, "transactions/program-rba", h.programTransactions),
		// money.md sections 2.3, 4.2-4.4 and 6: linked accounts, external
		// movements, payment intents, the report and the summary.
		mutation(h, "users/bank-accounts/save", h.saveUserLinked, linkedPage),
		mutation(h, "program/bank-accounts/save", h.saveProgramLinked, linkedPage),
		read(h, "users/bank-accounts/get-all", h.listLinked),
		mutationInWork(h, "user/charge-bank-account-fund-business-routable-bank-account", h.topUp, moneyInPage),
		mutationInWork(h, "payout/business/routable-bank-account-to-linked-bank-account", h.payout, transferPage),
		mutationInWork(h, "program/charge-program-bank-account-fund-program-routable-bank-account", h.fundProgram, moneyInPage),
		read(h, "payment-intent/program/all", h.paymentIntents),
		read(h, "transactions/report", h.report),
		read(h, "balance/program-transaction-summary", h.summary),
		// webhooks.md: the endpoint (sandbox only) and the delivery log.
		mutation(h, "program/webhook/update", h.updateWebhook, endpointPage),
		read(h, "program/webhook/get", h.getWebhook),
		read(h, "webhook/events", h.webhookEvents),
		read(h, "webhook/deliveries", h.webhookDeliveries),
		mutation(h, "webhook/redeliver", h.redeliver, deliveryPage),
	} {
		h.register(mux, rt)
	}
	if h.sandbox {
		// The sandbox control plane (sandbox.md section 1) exists only in a
		// server started with --sandbox; elsewhere its paths are unknown
		// (404 not_found).
		for _, rt := range []route{
			mutation(h, "sandbox/simulate/inbound-transfer", h.simulateInbound, inboundPage),
			mutation(h, "sandbox/simulate/settle", h.simulateSettle, settledPage),
			// The control plane proper (issue 15): reset, the program's
			// clock, decisions on demand, injected faults.
			mutation(h, "sandbox/reset", h.reset, empty[struct{}]),
			read(h, "sandbox/clock/get", h.clockGet),
			mutation(h, "sandbox/clock/advance", h.clockAdvance, clockAnswer),
			mutation(h, "sandbox/simulate/kyc-decision", h.simulateKYC, userPage),
			mutation(h, "sandbox/simulate/kyb-decision", h.simulateKYB, businessPage),
			mutation(h, "sandbox/faults/set", h.setFault, faultPage),
			read(h, "sandbox/faults/get-all", h.faults),
			mutation(h, "sandbox/faults/clear", h.clearFaults, empty[struct{}]),
		} {
			h.register(mux, rt)
		}
	}
	mux.HandleFunc("/", h.unknownRoute)
}

// register serves rt at POST /api/v4/ and its path.
func (h *handler) register(mux *http.ServeMux, rt route) {
	if h.paths == nil {
		h.paths = map[string]bool{}
	}
	h.paths[rt.path] = true
	mux.Handle("POST /api/v4/"+rt.path, rt.handler)
	// The same path with any other method: 405 in the error envelope
	// rather than ServeMux's plain-text answer.
	mux.HandleFunc("/api/v4/"+rt.path, h.methodNotAllowed)
}

// empty is the answer of calls whose success carries no data ("data":{}).
func empty[T any](T) any { return apitype.Empty{} }
