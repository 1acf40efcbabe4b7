package main

import (
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/vault"
)

// newOperatorService is the service for one-shot CLI commands: no KYC
// provider work is started, so none is configured.
func newOperatorService(st *store.Store, sealer *vault.Sealer) *service.Service {
	return service.New(service.Config{Store: st, Sealer: sealer})
}
