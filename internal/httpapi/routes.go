package httpapi

import (
	"net/http"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/internal/banking"
)

// routes lists the whole API. Every API call is a signed POST with a JSON
// body, declared here as a read or a mutation (which honours
// idempotent_key); health checks are unauthenticated GETs.
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
		mutation(h, "user/block", h.blockUser, userPage),
		mutation(h, "user/unblock", h.unblockUser, userPage),
		mutation(h, "user/send-verification-request", h.sendVerification, empty[banking.User]),
		read(h, "user/events", h.userEvents),
	} {
		mux.Handle("POST /api/v4/"+rt.path, rt.handler)
		// The same path with any other method: 405 in the error envelope
		// rather than ServeMux's plain-text answer.
		mux.HandleFunc("/api/v4/"+rt.path, h.methodNotAllowed)
	}
	mux.HandleFunc("/", h.unknownRoute)
}

// empty is the answer of calls whose success carries no data ("data":{}).
func empty[T any](T) any { return apitype.Empty{} }
