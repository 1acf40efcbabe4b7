package httpapi

import "net/http"

// routes lists the whole API. Every API call is a signed POST with a JSON
// body; health checks are unauthenticated GETs.
func (h *handler) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.Handle("GET /metrics", h.metrics.Handler())
	mux.HandleFunc("GET /api/v4/openapi.yaml", h.openapi)

	for path, endpoint := range map[string]http.Handler{
		"user/create":                    call(h, h.createUser),
		"user/get-all":                   call(h, h.listUsers),
		"user/get":                       call(h, h.getUser),
		"user/update":                    call(h, h.updateUser),
		"user/block":                     call(h, h.blockUser),
		"user/unblock":                   call(h, h.unblockUser),
		"user/send-verification-request": call(h, h.sendVerification),
		"user/events":                    call(h, h.userEvents),
	} {
		mux.Handle("POST /api/v4/"+path, endpoint)
		// The same path with any other method: 405 in the error envelope
		// rather than ServeMux's plain-text answer.
		mux.HandleFunc("/api/v4/"+path, h.methodNotAllowed)
	}
	mux.HandleFunc("/", h.unknownRoute)
}
