package apitype

import "encoding/json"

// Webhooks (webhooks.md): the sandbox's endpoint calls and the delivery log.

// WebhookUpdateRequest is the body of /program/webhook/update (sandbox
// only): the program's endpoint URL and the event types it receives
// (none: all).
type WebhookUpdateRequest struct {
	Common
	WebhookURL string   `json:"webhook_url"`
	Events     []string `json:"events,omitempty"`
}

// WebhookGetRequest is the body of /program/webhook/get (sandbox only).
type WebhookGetRequest struct {
	Common
}

// WebhookEndpoint is a program's endpoint as the sandbox calls answer it.
// Secret is the current signing secret ("whsec_" + Base64); Events is []
// when every type is sent; Status is enabled or disabled, with the reason
// in DisabledReason ("" when enabled).
type WebhookEndpoint struct {
	WebhookURL     string   `json:"webhook_url"`
	Events         []string `json:"events"`
	Status         string   `json:"status"`
	DisabledReason string   `json:"disabled_reason"`
	Secret         string   `json:"secret"`
	CreatedAt      string   `json:"created_at"`
	UpdatedAt      string   `json:"updated_at"`
}

// WebhookEventsRequest is the body of /webhook/events.
type WebhookEventsRequest struct {
	Common
	EventType  string `json:"event_type,omitempty"`
	ResourceID string `json:"resource_id,omitempty"`
	Page       *int   `json:"page,omitempty"`
	PerPage    *int   `json:"per_page,omitempty"`
}

// WebhookEvent is one webhook event of the log: Payload is the exact body
// every attempt sends (the envelope of webhooks.md section 2).
type WebhookEvent struct {
	EventID    string          `json:"event_id"`
	EventType  string          `json:"event_type"`
	ResourceID string          `json:"resource_id"`
	Payload    json.RawMessage `json:"payload"`
	CreatedAt  string          `json:"created_at"`
}

// WebhookDeliveriesRequest is the body of /webhook/deliveries. Status is
// pending, delivered or failed.
type WebhookDeliveriesRequest struct {
	Common
	EventID string `json:"event_id,omitempty"`
	Status  string `json:"status,omitempty"`
	Page    *int   `json:"page,omitempty"`
	PerPage *int   `json:"per_page,omitempty"`
}

// WebhookDelivery is the delivery of one event: its status, the attempts
// made, how the last one ended (LastStatusCode 0 when there was no answer),
// and when the next is due (NextAttemptAt, "" unless pending) or when it got
// through (DeliveredAt, "" until delivered). Times as TimeFormat.
type WebhookDelivery struct {
	EventID        string `json:"event_id"`
	EventType      string `json:"event_type"`
	Status         string `json:"status"`
	Attempts       int    `json:"attempts"`
	LastStatusCode int    `json:"last_status_code"`
	LastError      string `json:"last_error"`
	NextAttemptAt  string `json:"next_attempt_at"`
	DeliveredAt    string `json:"delivered_at"`
	CreatedAt      string `json:"created_at"`
}

// RedeliverRequest is the body of /webhook/redeliver.
type RedeliverRequest struct {
	Common
	EventID string `json:"event_id"`
}
