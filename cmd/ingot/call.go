package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ingot-dev/ingot/apitype"
	"github.com/ingot-dev/ingot/signature"
)

const callUsage = `usage: ingot call [flags] PATH [JSON]

Sign one request with a program's credentials, send it, and print the answer's
body on stdout. PATH is like user/unblock or /api/v4/user/unblock; JSON is the
body ({} when omitted, - to read it from standard input). Flags may come before
or after PATH and JSON. Exit status: 0 on a 2xx answer, 1 on an API error (its
message on stderr), 2 on a usage error.

Flags:
`

func (e cliEnv) call(args []string) error {
	fs := flag.NewFlagSet("ingot call", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), callUsage); fs.PrintDefaults() }
	var cred credFlags
	e.addCredFlags(fs, &cred)
	url, apiKey, username, secret := &cred.url, &cred.apiKey, &cred.username, &cred.secret
	explain := fs.Bool("explain", false, "also print, on stderr, the headers sent, the expected X-Date format and the signing string (never the secret)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	pos, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	cred.fromEnv(e.getenv)
	if len(pos) == 0 {
		fs.SetOutput(e.stderr)
		fs.Usage()
		return usageError{"call: want PATH (e.g. user/get-all) and at most one JSON body"}
	}
	if len(pos) > 2 {
		return usageError{fmt.Sprintf("call: want PATH and at most one JSON body, got %d arguments (%q); "+
			"quote the JSON body as one argument, e.g. '{\"per_page\":5}'; \"ingot call --help\" for more", len(pos), pos)}
	}
	if err := cred.check("call"); err != nil {
		return err
	}
	body := []byte("{}")
	if len(pos) == 2 {
		body = []byte(pos[1])
		if pos[1] == "-" {
			var err error
			if body, err = io.ReadAll(e.stdin); err != nil {
				return fmt.Errorf("call: read body: %w", err)
			}
		}
	}
	if !json.Valid(body) {
		return usageError{"call: the body is not valid JSON"}
	}
	path := "/api/v4/" + strings.TrimPrefix(strings.TrimPrefix(pos[0], "/"), "api/v4/")

	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, strings.TrimSuffix(*url, "/")+path, nil)
	if err != nil {
		return usageError{fmt.Sprintf("call: %v", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_key", *apiKey)
	sts, err := signature.SignRequest(req, body, *username, []byte(*secret), time.Now())
	if err != nil {
		return usageError{fmt.Sprintf("call: %v", err)}
	}
	if *explain {
		explainRequest(e.stderr, req, sts)
	}
	resp, err := (&http.Client{Timeout: *timeout}).Do(req)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("call: nothing is listening at %s (connection refused): is \"ingot serve\" running? "+
			"Start it in another shell (%s serve --sandbox), or point --url / INGOT_URL at it", *url, e.self)
	}
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("call: read answer: %w", err)
	}
	if *explain {
		fmt.Fprintf(e.stderr, "< %s %s\n< X-Request-Id: %s\n", resp.Proto, resp.Status, resp.Header.Get("X-Request-Id"))
	}
	e.stdout.Write(answer)
	if len(answer) > 0 && answer[len(answer)-1] != '\n' {
		fmt.Fprintln(e.stdout)
	}
	if resp.StatusCode/100 == 2 {
		return nil
	}
	var env apitype.ErrorEnvelope
	msg := resp.Status
	decoded := json.Unmarshal(answer, &env) == nil
	if decoded && env.Message != "" {
		msg = fmt.Sprintf("%s (%d %s, request %s)", env.Message, resp.StatusCode, env.Error.Code, env.Error.RequestID)
		if len(env.Error.Fields) > 0 {
			var fields []string
			for k, v := range env.Error.Fields {
				fields = append(fields, k+": "+v)
			}
			sort.Strings(fields)
			msg += "\n  " + strings.Join(fields, "\n  ")
		}
	}
	if decoded && env.Error.Hint != "" {
		msg += "\n  hint: " + env.Error.Hint
	}
	if resp.StatusCode == http.StatusUnauthorized && !*explain {
		msg += "\n  To see the signing string and headers sent, run the same command with --explain."
	}
	fmt.Fprintln(e.stderr, "ingot: call:", msg)
	return exitError{1}
}

// parseInterspersed parses fs's flags wherever they are among the
// positional arguments ("ingot call user/get-all --explain '{}'") and returns
// the positionals in order. "--" ends the flags; "-" is a positional (the
// body from standard input). No positional of call starts with "-" but that
// one: a path does not, nor does a JSON object.
func (e cliEnv) parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := e.parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// explainRequest prints what was signed and sent. The API key is shortened
// and the secret never appears: the output is meant to be pasted into a bug
// report.
func explainRequest(w io.Writer, req *http.Request, signingString string) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "> %s %s HTTP/1.1\n> Host: %s\n", req.Method, req.URL.RequestURI(), req.URL.Host)
	for _, h := range []string{"X-Date", "Content-Type", "Content-Length", "Content-Sha512", "Api_key", "Authorization"} {
		v := req.Header.Get(h)
		if h == "Api_key" && len(v) > 8 {
			v = v[:8] + "..."
		}
		fmt.Fprintf(&b, "> %s: %s\n", h, v)
		switch h {
		case "X-Date":
			fmt.Fprintf(&b, "    # format %s: RFC 1123 in GMT, two-digit day, within %v of the server's clock\n",
				http.TimeFormat, signature.MaxSkew)
		case "Api_key":
			b.WriteString("    # the api_key header: Go writes its name as Api_key; header names are case-insensitive\n")
		}
	}
	fmt.Fprintf(&b, "signing string (lines joined by \\n, no trailing newline):\n")
	for _, line := range strings.Split(signingString, "\n") {
		fmt.Fprintf(&b, "  | %s\n", line)
	}
	w.Write(b.Bytes())
}

// credFlags say where signed requests go and as which program: the flags
// of "ingot call" and "ingot bench".
type credFlags struct{ url, apiKey, username, secret string }

func (e cliEnv) addCredFlags(fs *flag.FlagSet, c *credFlags) {
	fs.StringVar(&c.url, "url", envOr(e.getenv, "INGOT_URL", "http://127.0.0.1:8080"), "ingot's base URL (env INGOT_URL)")
	// Credentials default to the environment after parsing (fromEnv), not
	// as flag defaults, so --help never prints them.
	fs.StringVar(&c.apiKey, "api-key", "", "the program's api_key (env INGOT_API_KEY)")
	fs.StringVar(&c.username, "hmac-username", "", "the program's HMAC username (env INGOT_HMAC_USERNAME)")
	fs.StringVar(&c.secret, "hmac-secret", "", "the program's HMAC secret (env INGOT_HMAC_SECRET)")
}

// fromEnv fills the credentials not given as flags from the environment.
func (c *credFlags) fromEnv(getenv func(string) string) {
	for _, v := range []struct {
		p   *string
		env string
	}{{&c.apiKey, "INGOT_API_KEY"}, {&c.username, "INGOT_HMAC_USERNAME"}, {&c.secret, "INGOT_HMAC_SECRET"}} {
		if *v.p == "" {
			*v.p = getenv(v.env)
		}
	}
}

// check reports missing credentials as a usage error of command cmd.
func (c credFlags) check(cmd string) error {
	var missing []string
	for _, m := range []struct{ v, name string }{{c.apiKey, "--api-key/INGOT_API_KEY"},
		{c.username, "--hmac-username/INGOT_HMAC_USERNAME"}, {c.secret, "--hmac-secret/INGOT_HMAC_SECRET"}} {
		if m.v == "" {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		// A newcomer in a fresh shell lands here: say where credentials
		// come from, as the 401 hints do.
		return usageError{cmd + ": missing credentials: " + strings.Join(missing, ", ") +
			` (printed as export lines by "ingot serve --sandbox" on a new database; lost them? "ingot program list", then "ingot program rotate-credentials --program ID")`}
	}
	return nil
}
