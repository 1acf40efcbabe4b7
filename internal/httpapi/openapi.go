package httpapi

import (
	_ "embed"
	"net/http"
	"slices"
	"strconv"
)

// openapiYAML is the OpenAPI 3.1 document of the whole API. The HTTP test
// suite validates every request it sends and every answer it gets against
// it, so it cannot drift from the code.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPIDocument returns the OpenAPI 3.1 document served at
// GET /api/v4/openapi.yaml.
func OpenAPIDocument() []byte { return slices.Clone(openapiYAML) }

// openapi serves the document. It needs no authentication: it holds nothing
// secret, and clients need it before they have credentials. Other methods on
// its path fall through to unknownRoute (404): it is not an API call, so it
// does not answer 405.
func (h *handler) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Length", strconv.Itoa(len(openapiYAML)))
	w.WriteHeader(http.StatusOK)
	w.Write(openapiYAML)
}
