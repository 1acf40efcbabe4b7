package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/store"
	"github.com/ingot-dev/ingot/internal/webhook"
)

// TestWebhookEventKeepsItsStoredPart: an event written with its Stored
// part keeps only that in its row, and every read (the log, a delivery
// attempt, a redelivery's answer) gives back the exact body; an event
// written whole (as before Stored parts) is read back as it was.
func TestWebhookEventKeepsItsStoredPart(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_stored")
		at := t0.Add(1234567 * time.Microsecond) // not a whole millisecond
		e := webhook.Event{ID: webhook.NewEventID(at), Type: webhook.UserKYCFailed, ResourceID: "user-x", OccurredAt: at,
			Fields: []webhook.Field{{Key: "user_id", Value: "12"}, {Key: "reasons", Value: []string{"<name> & \"address\""}}}}
		body, stored := e.Body(), e.Stored()
		whole := []byte(`{"event":"user.blocked","whole":true}`)
		evs := []store.WebhookEvent{
			{ID: e.ID, ProgramID: p.ID, Type: string(e.Type), ResourceID: e.ResourceID, AuditEventID: "event-s1",
				Payload: body, Stored: stored, Status: store.DeliveryPending, CreatedAt: at},
			{ID: webhook.NewEventID(at), ProgramID: p.ID, Type: "user.blocked", ResourceID: "user-x", AuditEventID: "event-s2",
				Payload: whole, Status: store.DeliveryPending, CreatedAt: at},
		}
		if _, err := s.Do(ctx, store.Work{Program: p.ID, Run: func(ctx context.Context, tx *store.Tx) (any, error) {
			return nil, tx.InsertWebhookEvents(ctx, evs, nil)
		}}); err != nil {
			t.Fatal(err)
		}
		for i, want := range [][]byte{stored, whole} {
			var kept string
			if err := s.DB().QueryRow(rebind(s, `SELECT payload FROM webhook_events WHERE id = ?`), evs[i].ID).Scan(&kept); err != nil {
				t.Fatal(err)
			}
			if kept != string(want) {
				t.Errorf("event %d: row keeps %q, want %q", i, kept, want)
			}
		}
		for i, want := range [][]byte{body, whole} {
			log, _, err := s.WebhookEvents(ctx, p.ID, store.WebhookFilter{EventID: evs[i].ID, Page: 1, PerPage: 1})
			if err != nil || len(log) != 1 {
				t.Fatalf("log of event %d: %v, %v", i, log, err)
			}
			if string(log[0].Payload) != string(want) {
				t.Errorf("log of event %d: payload\n%s\nwant\n%s", i, log[0].Payload, want)
			}
		}
		attempts, err := s.WebhookAttempts(ctx, mustClaim(t, s, at, 1))
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range [][]byte{body, whole} {
			if got := attempts[evs[i].ID].Event.Payload; string(got) != string(want) {
				t.Errorf("attempt of event %d: body\n%s\nwant\n%s", i, got, want)
			}
		}
		v, err := s.Do(ctx, store.RedeliverWork(p.ID, e.ID, at.Add(time.Minute), "program"))
		if err != nil {
			t.Fatal(err)
		}
		if got := v.(store.WebhookEvent).Payload; string(got) != string(body) {
			t.Errorf("redelivery's answer: body\n%s\nwant\n%s", got, body)
		}
	})
}
