package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/service"
	"github.com/ingot-dev/ingot/internal/store"
)

// "ingot program webhook set|show|rotate-secret|delete": the operator's
// commands for a program's webhook endpoint (webhooks.md section 1). They
// work on the database directly, like "program create", and a serving
// process (any number of them) sees the change from its next commit.

const webhookUsage = `usage: ingot program webhook COMMAND --program ID [flags]

Commands:
  set --url URL [--events a,b]   set the endpoint (enabled); the first set prints the signing secret once
  show                           the endpoint, its status and its secrets' dates (never the secret)
  rotate-secret                  a new signing secret, printed once; the old one also signs for 24 h
  delete                         remove the endpoint and its secrets; pending deliveries fail

Run "ingot program webhook COMMAND --help" for every flag.
`

func (e cliEnv) programWebhook(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, webhookUsage)
		return usageError{"program webhook: missing command"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "set", "show", "rotate-secret", "delete":
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, webhookUsage)
		return nil
	default:
		fmt.Fprint(e.stderr, webhookUsage)
		return usageError{fmt.Sprintf("program webhook: unknown command %q", cmd)}
	}
	fs := flag.NewFlagSet("ingot program webhook "+cmd, flag.ContinueOnError)
	var f dbFlags
	e.addDBFlags(fs, &f)
	program := fs.String("program", "", "the program's id, prog-… (required)")
	asJSON := fs.Bool("json", false, "print the result as one JSON object on stdout")
	var url, events *string
	var allowPrivate *bool
	if cmd == "set" {
		url = fs.String("url", "", "the endpoint: an http or https URL (required)")
		events = fs.String("events", "", "the event types to send, comma-separated (default: all)")
		allowPrivate = fs.Bool("webhook-allow-private", false, "accept a URL on a loopback, private, link-local, multicast or unspecified address (also implied by --sandbox); the server must allow it too")
	}
	if err := e.parseFlags(fs, rest); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("program webhook %s: unexpected argument %q", cmd, fs.Arg(0))}
	case *program == "":
		return usageError{fmt.Sprintf("program webhook %s: --program is required", cmd)}
	case cmd == "set" && *url == "":
		return usageError{"program webhook set: --url is required"}
	}
	if err := existingDB(f.db); err != nil {
		return fmt.Errorf("program webhook %s: %w", cmd, err)
	}
	st, err := e.openStore(f, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	sealer, err := e.sealer(f, st, true)
	if err != nil {
		return fmt.Errorf("program webhook %s: %w", cmd, err)
	}
	cfg := service.Config{Store: st, Sealer: sealer, NoJobs: true} // one-shot: claims no jobs
	if cmd == "set" {
		cfg.Webhooks.AllowPrivate = f.sandbox || *allowPrivate
	}
	svc := service.New(cfg)
	defer svc.Close()
	pid := banking.ProgramID(*program)
	var out webhookOut
	switch cmd {
	case "set":
		var list []string
		if *events != "" {
			list = strings.Split(*events, ",")
		}
		w, err := svc.SetWebhook(e.ctx, pid, *url, list)
		if err != nil {
			return fmt.Errorf("program webhook set: %w", cliFields(err))
		}
		out = newWebhookOut(w)
	case "show":
		w, err := svc.Webhook(e.ctx, pid, false)
		if err != nil {
			return fmt.Errorf("program webhook show: %w", err)
		}
		out = newWebhookOut(w)
	case "rotate-secret":
		secret, err := svc.RotateWebhookSecret(e.ctx, pid)
		if err != nil {
			return fmt.Errorf("program webhook rotate-secret: %w", err)
		}
		out = webhookOut{ProgramID: *program, Secret: secret}
	case "delete":
		if err := svc.DeleteWebhook(e.ctx, pid); err != nil {
			return fmt.Errorf("program webhook delete: %w", err)
		}
		out = webhookOut{ProgramID: *program}
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(out)
	}
	out.print(e, cmd)
	return nil
}

// cliFields names the flags a validation error is about (the service names
// the API's fields: webhook_url, events).
func cliFields(err error) error {
	var be *banking.Error
	if !errors.As(err, &be) || be.Code != banking.CodeInvalid {
		return err
	}
	var parts []string
	for field, msg := range be.Fields {
		switch field {
		case "webhook_url":
			field = "--url"
		case "events":
			field = "--events"
		}
		parts = append(parts, field+": "+msg)
	}
	if len(parts) == 0 {
		return err
	}
	return usageError{strings.Join(parts, "; ")}
}

// webhookOut is what the commands print, also as --json.
type webhookOut struct {
	ProgramID      string   `json:"program_id"`
	URL            string   `json:"url,omitempty"`
	Events         []string `json:"events,omitempty"`
	Status         string   `json:"status,omitempty"`
	DisabledReason string   `json:"disabled_reason,omitempty"`
	FailingSince   string   `json:"failing_since,omitempty"`
	// Secret is printed only when it was just made.
	Secret  string          `json:"secret,omitempty"`
	Secrets []secretDateOut `json:"secrets,omitempty"`
}

type secretDateOut struct {
	CreatedAt string `json:"created_at"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

func cliTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func newWebhookOut(w service.WebhookSettings) webhookOut {
	o := webhookOut{ProgramID: string(w.ProgramID), URL: w.URL, Events: w.Events, Status: w.Status,
		DisabledReason: w.DisabledReason, FailingSince: cliTime(w.FailingSince)}
	if w.NewSecret {
		o.Secret = w.Secret
	}
	for _, s := range w.Secrets {
		o.Secrets = append(o.Secrets, secretDateOut{CreatedAt: cliTime(s.CreatedAt), ExpiresAt: cliTime(s.ExpiresAt)})
	}
	return o
}

func (o webhookOut) print(e cliEnv, cmd string) {
	switch cmd {
	case "delete":
		fmt.Fprintf(e.stdout, "Deleted the webhook endpoint of program %s; its pending deliveries failed.\n", o.ProgramID)
		return
	case "rotate-secret":
		fmt.Fprintf(e.stdout, `New signing secret of program %s, shown only this once:
  secret: %s
The previous secret also signs every delivery for the next 24 hours.
`, o.ProgramID, o.Secret)
		return
	}
	events := "all"
	if len(o.Events) > 0 {
		events = strings.Join(o.Events, ",")
	}
	fmt.Fprintf(e.stdout, "Webhook endpoint of program %s:\n  url:     %s\n  events:  %s\n  status:  %s\n", o.ProgramID, o.URL, events, o.Status)
	if o.DisabledReason != "" {
		fmt.Fprintf(e.stdout, "  reason:  %s\n", o.DisabledReason)
	}
	if o.FailingSince != "" && o.Status == store.EndpointEnabled {
		fmt.Fprintf(e.stdout, "  failing since: %s\n", o.FailingSince)
	}
	for _, s := range o.Secrets {
		if s.ExpiresAt == "" {
			fmt.Fprintf(e.stdout, "  secret:  made %s\n", s.CreatedAt)
		} else {
			fmt.Fprintf(e.stdout, "  secret:  made %s, rotated out, signs until %s\n", s.CreatedAt, s.ExpiresAt)
		}
	}
	switch {
	case o.Secret != "":
		fmt.Fprintf(e.stdout, "Its signing secret, shown only this once (Standard Webhooks; verify every delivery with it):\n  secret: %s\n", o.Secret)
	case cmd == "set":
		fmt.Fprintln(e.stdout, "The signing secret is unchanged (rotate-secret makes a new one).")
	}
}
