package webhook

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBodyIsTheEnvelopeByteForByte(t *testing.T) {
	e := Event{ID: "inn_whe_6q3XyZ0aB1cD2eF3gH4iJ5", Type: UserKYCFailed, ResourceID: "user-0190a0b0-0000-7000-8000-000000000001",
		OccurredAt: time.Date(2026, 4, 16, 12, 34, 56, 789_000_000, time.UTC),
		Fields: []Field{{"user_id", "6830"}, {"reasons", []string{"The SSN does not match the person's identity"}},
			{"reasons_code", []string{"SSN_MISMATCH"}}}}
	want := `{"event":"user.kyc.failed","data":{"event_id":"inn_whe_6q3XyZ0aB1cD2eF3gH4iJ5","event_type":"user.kyc.failed",` +
		`"event_description":"KYC failed","user_id":"6830","reasons":["The SSN does not match the person's identity"],` +
		`"reasons_code":["SSN_MISMATCH"],"resource_id":"user-0190a0b0-0000-7000-8000-000000000001",` +
		`"occurred_at":"2026-04-16T12:34:56.789Z"},"created_at":"16-04-2026 12:34 PM","updated_at":"16-04-2026 12:34 PM"}`
	if got := string(e.Body()); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
}

func TestBodyTimes(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 0, 5, 0, 0, time.UTC), "02-01-2026 12:05 AM"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), "31-12-2026 11:59 PM"},
		{time.Date(2026, 7, 4, 12, 0, 0, 0, time.UTC), "04-07-2026 12:00 PM"},
		// Another zone is shown in UTC.
		{time.Date(2026, 7, 4, 9, 30, 0, 0, time.FixedZone("x", -5*3600)), "04-07-2026 02:30 PM"},
	} {
		e := Event{ID: NewEventID(time.Now()), Type: UserBlocked, OccurredAt: c.at}
		var env struct {
			CreatedAt string `json:"created_at"`
			UpdatedAt string `json:"updated_at"`
		}
		if err := json.Unmarshal(e.Body(), &env); err != nil {
			t.Fatal(err)
		}
		if env.CreatedAt != c.want || env.UpdatedAt != c.want {
			t.Errorf("%v: created_at %q, updated_at %q, want %q", c.at, env.CreatedAt, env.UpdatedAt, c.want)
		}
		if !regexp.MustCompile(`^\d\d-\d\d-\d{4} (0\d|1[0-2]):[0-5]\d (AM|PM)$`).MatchString(env.CreatedAt) {
			t.Errorf("created_at %q is not DD-MM-YYYY hh:mm AM/PM", env.CreatedAt)
		}
	}
}

// TestBodyStringsAreJSON: every string a mapper may write (reasons, ids,
// descriptions) comes out exactly as encoding/json writes it, and reads back.
func TestBodyStringsAreJSON(t *testing.T) {
	for _, s := range []string{"plain", `quote " and \ backslash`, "tab\tnewline\nreturn\r", "\x00\x1f\x7f", "backspace\b form feed\f",
		"héllo 世界 🙂", "bad \xff utf8", "line\u2028sep\u2029", "<script>&amp;"} {
		e := Event{ID: "inn_whe_0000000000000000000000", Type: UserBlocked, ResourceID: s,
			Fields: []Field{{"k", s}, {"list", []string{s, ""}}, {"n", int64(-42)}, {"obj", Object{{"inner", s}}}}}
		var got struct {
			Data struct {
				ResourceID string            `json:"resource_id"`
				K          string            `json:"k"`
				List       []string          `json:"list"`
				N          int64             `json:"n"`
				Obj        map[string]string `json:"obj"`
			} `json:"data"`
		}
		if err := json.Unmarshal(e.Body(), &got); err != nil {
			t.Fatalf("%q: %v\n%s", s, err, e.Body())
		}
		if std, _ := json.Marshal(s); string(appendString(nil, s)) != string(std) {
			t.Errorf("%q written as %s, encoding/json writes %s", s, appendString(nil, s), std)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		d := got.Data
		if d.ResourceID != want || d.K != want || len(d.List) != 2 || d.List[0] != want || d.N != -42 || d.Obj["inner"] != want {
			t.Errorf("%q came back as %+v", s, d)
		}
	}
}

func TestEventIDs(t *testing.T) {
	re := regexp.MustCompile(`^inn_whe_[A-Za-z0-9]{22}$`)
	seen := map[string]bool{}
	counts := map[byte]int{}
	for range 2000 {
		id := NewEventID(time.Now())
		if !re.MatchString(id) || !ValidEventID(id) {
			t.Fatalf("id %q: want inn_whe_ and 22 letters or digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q twice", id)
		}
		seen[id] = true
		for i := len(EventIDPrefix); i < len(id); i++ {
			counts[id[i]]++
		}
	}
	if len(counts) != 62 {
		t.Errorf("%d distinct characters in 44,000, want all 62", len(counts))
	}
	// Ids sort by their time: an index of them grows at its end.
	t0 := time.Date(2026, 4, 16, 12, 0, 0, 0, time.UTC)
	prev := NewEventID(t0)
	for _, d := range []time.Duration{time.Millisecond, time.Second, time.Hour, 24 * 365 * time.Hour, 50 * 365 * 24 * time.Hour} {
		id := NewEventID(t0.Add(d))
		if id <= prev {
			t.Errorf("id at +%v %s does not sort after %s", d, id, prev)
		}
		prev = id
	}
	for _, bad := range []string{"", "inn_whe_", "inn_whe_000000000000000000000", "inn_whe_00000000000000000000000",
		"inn_whx_0000000000000000000000", "inn_whe_000000000000000000000_", "inn_whe_00000000000000000000é"} {
		if ValidEventID(bad) {
			t.Errorf("ValidEventID(%q) = true", bad)
		}
	}
}

func TestCatalog(t *testing.T) {
	if got := len(Types()); got != 20 {
		t.Errorf("%d event types, want the 20 of webhooks.md section 3", got)
	}
	for _, typ := range Types() {
		if Description(typ) == "" {
			t.Errorf("%s has no description", typ)
		}
	}
	if Description(AccountTransferCompleted) != "Transfer completed" {
		t.Errorf("account.transfer.completed description %q, want Ingo's %q", Description(AccountTransferCompleted), "Transfer completed")
	}
	if Known("user.created") {
		t.Error("user.created is not a webhook event type")
	}
}

// TestRenderOfStoredIsBody: the body put back together from an event's
// Stored part and the outbox row's columns (its time kept to the
// millisecond) is the body, byte for byte, for fields of every kind and
// strings that need escaping; Stored is told from a whole body.
func TestRenderOfStoredIsBody(t *testing.T) {
	at := time.Date(2026, 4, 16, 23, 59, 59, 999_999_999, time.FixedZone("x", 3600))
	for _, e := range []Event{
		{ID: NewEventID(at), Type: UserBlocked, ResourceID: "user-1", OccurredAt: at, Fields: []Field{{"user_id", "17"}}},
		{ID: NewEventID(at), Type: UserKYCFailed, ResourceID: "user-<&>\u2028\"\\", OccurredAt: at,
			Fields: []Field{{"user_id", "6830"}, {"reasons", []string{"a \"b\" <c>", "\x01\xff"}}, {"reasons_code", []string{}}}},
		{ID: NewEventID(at), Type: AccountAssignmentSuccess, ResourceID: "rbac-1", OccurredAt: at,
			Fields: []Field{{"account", Object{{"account_id", "3"}, {"balance", int64(-12)}}}}},
		{ID: NewEventID(at), Type: UserUnblocked, ResourceID: "user-2", OccurredAt: at},
	} {
		stored := e.Stored()
		got := Render(e.Type, e.ID, stored, e.ResourceID, time.UnixMilli(e.OccurredAt.UnixMilli()))
		if want := e.Body(); string(got) != string(want) {
			t.Errorf("%s: rendered\n%s\nwant\n%s", e.Type, got, want)
		}
		if !IsStored(stored) || IsStored(e.Body()) {
			t.Errorf("%s: IsStored(stored) = %v, IsStored(body) = %v; want true, false", e.Type, IsStored(stored), IsStored(e.Body()))
		}
		if len(stored) >= len(e.Body())/2 {
			t.Errorf("%s: stored %d bytes of a %d-byte body", e.Type, len(stored), len(e.Body()))
		}
	}
}
