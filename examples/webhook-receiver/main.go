// Command webhook-receiver is the receiver of docs/webhooks.md: it verifies
// every delivery from ingot, skips events it has already seen, and logs the
// rest.
//
//	INGOT_WEBHOOK_SECRET=whsec_... go run ./examples/webhook-receiver -addr 127.0.0.1:9000
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"
	"sync"

	"github.com/ingot-dev/ingot/client/webhook"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "address to listen on")
	flag.Parse()
	var mu sync.Mutex
	seen := map[string]bool{} // deliveries are at least once: deduplicate on the event id
	http.Handle("/hooks", webhook.Handler(os.Getenv("INGOT_WEBHOOK_SECRET"), func(_ context.Context, ev webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if seen[ev.Data.EventID] {
			return nil // a redelivery: acknowledge it again, act once
		}
		seen[ev.Data.EventID] = true
		log.Printf("%s %s about %s (entity %s%s)", ev.Data.EventID, ev.Event, ev.Data.ResourceID, ev.Data.UserID, ev.Data.BusinessID)
		return nil
	}))
	log.Printf("receiving webhooks on http://%s/hooks", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
