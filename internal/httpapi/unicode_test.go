package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestUnicodeNormalForms: an email and a name typed with é as one code point
// (U+00E9) or as e + U+0301 are the same value: the second create is the
// duplicate-email 409, and a search typed in either form finds the user, on
// both engines (issue 17).
func TestUnicodeNormalForms(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		composed, decomposed := "jos\u00e9@example.com", "jose\u0301@example.com"
		b := validUser(composed)
		b["first_name"] = "Jos\u00e9"
		u := c.create(t, b)
		if u["email"] != composed || u["first_name"] != "Jos\u00e9" {
			t.Errorf("email, first_name = %q, %q; want NFC", u["email"], u["first_name"])
		}
		before := e.counts(t)
		c.call("user/create", validUser(decomposed)).wantError(t, http.StatusConflict, "conflict", "")
		e.wantNoWrites(t, before)

		d := validUser("zoe@example.com")
		d["last_name"] = "Zoe\u0301" // decomposed on the way in
		zoe := c.create(t, d)["id"].(string)
		for _, term := range []string{"Jos\u00e9", "Jose\u0301", "JOSE\u0301", "jos\u00e9@"} {
			got, _ := c.list(t, map[string]any{"search": term})
			if !slices.Equal(got, []string{u["id"].(string)}) {
				t.Errorf("search %q = %v, want [%s]", term, got, u["id"])
			}
		}
		for _, term := range []string{"Zo\u00e9", "zoe\u0301"} {
			got, _ := c.list(t, map[string]any{"search": term})
			if !slices.Equal(got, []string{zoe}) {
				t.Errorf("search %q = %v, want [%s]", term, got, zoe)
			}
		}
		got, _ := c.list(t, map[string]any{"email": decomposed})
		if !slices.Equal(got, []string{u["id"].(string)}) {
			t.Errorf("email filter in the other form = %v, want [%s]", got, u["id"])
		}
	})
}
