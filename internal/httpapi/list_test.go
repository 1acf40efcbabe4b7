package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Spec section 5, user/get-all: paging, order, filters and search.

// list calls get-all and returns the ids listed and the pagination.
func (c *apiClient) list(t *testing.T, body map[string]any) ([]string, map[string]any) {
	t.Helper()
	r := c.call("user/get-all", body).want(t, http.StatusOK, "")
	if !strings.Contains(string(r.Body), `"items":[`) {
		t.Errorf("items is not a JSON array: %s", r.Body)
	}
	return ids(r.items(t)), r.pagination(t)
}

// wantPage checks pagination fields; numbers as JSON decodes them.
func wantPage(t *testing.T, got map[string]any, page, perPage, total int, sort, search string) {
	t.Helper()
	want := map[string]any{"page": float64(page), "per_page": float64(perPage), "total": float64(total), "sort": sort, "search": search}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("pagination.%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestListPaging(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		// 12 users one second apart: created[0] is the oldest.
		var created []string
		for i := range 12 {
			created = append(created, c.newUser(t, fmt.Sprintf("user%02d@example.com", i)))
			e.clock.Advance(time.Second)
		}
		newest := slices.Clone(created)
		slices.Reverse(newest)

		for _, tc := range []struct {
			name  string
			body  map[string]any
			want  []string
			page  int
			per   int
			sort  string
			total int
		}{
			{"defaults", map[string]any{}, newest[:10], 1, 10, "created_at:desc", 12},
			{"page 2 of 10", map[string]any{"page": 2}, newest[10:], 2, 10, "created_at:desc", 12},
			{"per_page 5 page 3", map[string]any{"page": 3, "per_page": 5}, newest[10:], 3, 5, "created_at:desc", 12},
			{"page beyond the end", map[string]any{"page": 4, "per_page": 5}, []string{}, 4, 5, "created_at:desc", 12},
			{"far beyond the end", map[string]any{"page": 1000}, []string{}, 1000, 10, "created_at:desc", 12},
			{"per_page 1", map[string]any{"per_page": 1}, newest[:1], 1, 1, "created_at:desc", 12},
			{"per_page 500", map[string]any{"per_page": 500}, newest, 1, 500, "created_at:desc", 12},
			{"explicit desc", map[string]any{"sort": "created_at:desc"}, newest[:10], 1, 10, "created_at:desc", 12},
			{"asc", map[string]any{"sort": "created_at:asc"}, created[:10], 1, 10, "created_at:asc", 12},
			{"asc page 2", map[string]any{"sort": "created_at:asc", "page": 2, "per_page": 4}, created[4:8], 2, 4, "created_at:asc", 12},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, p := c.list(t, tc.body)
				if !slices.Equal(got, tc.want) {
					t.Errorf("ids = %v\nwant  %v", got, tc.want)
				}
				wantPage(t, p, tc.page, tc.per, tc.total, tc.sort, "")
			})
		}

		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"page 0", map[string]any{"page": 0}, "page"},
			{"page negative", map[string]any{"page": -1}, "page"},
			{"per_page 0", map[string]any{"per_page": 0}, "per_page"},
			{"per_page 501", map[string]any{"per_page": 501}, "per_page"},
			{"per_page negative", map[string]any{"per_page": -10}, "per_page"},
			{"sort by name", map[string]any{"sort": "name:asc"}, "sort"},
			{"sort uppercase", map[string]any{"sort": "CREATED_AT:DESC"}, "sort"},
			{"status unknown", map[string]any{"status": "deleted"}, "status"},
			{"status capitalised", map[string]any{"status": "Active"}, "status"},
			{"kyc_status unknown", map[string]any{"kyc_status": "done"}, "kyc_status"},
			{"search too long", map[string]any{"search": strings.Repeat("a", 255)}, "search"},
		} {
			t.Run("invalid "+tc.name, func(t *testing.T) {
				c.call("user/get-all", tc.body).wantError(t, http.StatusBadRequest, "invalid", "").wantFields(t, tc.field)
			})
		}
	})
}

// TestListStableOrder creates users in one millisecond: the order must fall
// back to the id, the same on every call, and pages must neither repeat nor
// skip a user.
func TestListStableOrder(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		var created []string
		for i := range 9 {
			created = append(created, c.newUser(t, fmt.Sprintf("same%d@example.com", i)))
		}
		asc := slices.Sorted(slices.Values(created))
		desc := slices.Clone(asc)
		slices.Reverse(desc)
		for _, tc := range []struct {
			sort string
			want []string
		}{{"created_at:asc", asc}, {"created_at:desc", desc}, {"", desc}} {
			t.Run("sort "+tc.sort, func(t *testing.T) {
				all, _ := c.list(t, map[string]any{"sort": tc.sort, "per_page": 500})
				if !slices.Equal(all, tc.want) {
					t.Errorf("order = %v\nwant    %v (by id)", all, tc.want)
				}
				var paged []string
				for page := 1; page <= 5; page++ {
					got, p := c.list(t, map[string]any{"sort": tc.sort, "page": page, "per_page": 2})
					paged = append(paged, got...)
					if p["total"] != 9.0 {
						t.Errorf("page %d total = %v, want 9", page, p["total"])
					}
				}
				if !slices.Equal(paged, tc.want) {
					t.Errorf("pages of 2 = %v\nwant        %v", paged, tc.want)
				}
			})
		}
		// A newer user still comes first in desc order, whatever its id.
		e.clock.Advance(time.Millisecond)
		latest := c.newUser(t, "latest@example.com")
		got, _ := c.list(t, map[string]any{"per_page": 1})
		if !slices.Equal(got, []string{latest}) {
			t.Errorf("first of desc = %v, want the newest %s", got, latest)
		}
	})
}

func TestListFilters(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		c := e.program("acme")
		user := func(first, middle, last, email, phone string) string {
			b := validUser(email)
			b["first_name"], b["last_name"], b["phone_number"] = first, last, phone
			if middle != "" {
				b["middle_name"] = middle
			}
			e.clock.Advance(time.Second)
			return c.create(t, b)["id"].(string)
		}
		ada := user("Ada", "King", "Lovelace", "Ada.Lovelace@Example.com", "+14155550101")
		grace := user("Grace", "Brewster", "Hopper", "grace@navy.mil", "+12025550102")
		emile := user("Émile", "", "Zola", "emile@example.fr", "+33155550103")
		percent := user("Fifty%", "", "Off", "sale@example.com", "+14155550104")
		under := user("snake_case", "", "Python", "snake@example.com", "+14155550105")
		backslash := user(`Back\slash`, "", "Escape", "bs@example.com", "+14155550106")
		plain := user("Fiftyx", "", "Offx", "plain@example.com", "+14155550107")
		quote := user(`Say "Hi"`, "", "O'Brien", "quote@example.org", "+14155550108")

		// Ada is blocked; Grace goes through verification.
		c.call("user/block", map[string]any{"user_id": ada}).want(t, http.StatusOK, "")
		c.call("user/update", map[string]any{"user_id": grace, "date_of_birth": "1906-12-09", "ssn": "123456789"}).want(t, http.StatusOK, "")
		c.call("user/send-verification-request", map[string]any{"user_id": grace}).want(t, http.StatusOK, "")
		c.waitKYC(t, grace, "verified")

		// newest first, as the default sort lists them
		for _, tc := range []struct {
			name string
			body map[string]any
			want []string
		}{
			{"email exact", map[string]any{"email": "grace@navy.mil"}, []string{grace}},
			{"email other case", map[string]any{"email": "ADA.LOVELACE@example.COM"}, []string{ada}},
			{"email prefix is not a match", map[string]any{"email": "grace@navy"}, []string{}},
			{"email substring is not a match", map[string]any{"email": "race@navy.mil"}, []string{}},
			{"search first name", map[string]any{"search": "grace"}, []string{grace}},
			{"search middle name", map[string]any{"search": "brewst"}, []string{grace}},
			{"search last name upper case", map[string]any{"search": "LOVELACE"}, []string{ada}},
			{"search non-ASCII case-insensitively", map[string]any{"search": "émile"}, []string{emile}},
			{"search email", map[string]any{"search": "navy.mil"}, []string{grace}},
			{"search email domain", map[string]any{"search": "@example.com"}, []string{plain, backslash, under, percent, ada}},
			{"search phone", map[string]any{"search": "+3315555"}, []string{emile}},
			{"search phone digits", map[string]any{"search": "5550102"}, []string{grace}},
			{"search id", map[string]any{"search": ada[len(ada)-12:]}, []string{ada}},
			{"search id upper case", map[string]any{"search": strings.ToUpper(grace[len(grace)-12:])}, []string{grace}},
			{"search whole id", map[string]any{"search": emile}, []string{emile}},
			{"search % literally", map[string]any{"search": "%"}, []string{percent}},
			{"search fifty% literally", map[string]any{"search": "fifty%"}, []string{percent}},
			{"search _ literally", map[string]any{"search": "_"}, []string{under}},
			{"search e_c literally", map[string]any{"search": "e_c"}, []string{under}},
			{`search \ literally`, map[string]any{"search": `\`}, []string{backslash}},
			{"search matches not city", map[string]any{"search": "San Francisco"}, []string{}},
			{"search matches not address", map[string]any{"search": "Main St"}, []string{}},
			{"search does not span fields", map[string]any{"search": "AdaKing"}, []string{}},
			{"search nothing", map[string]any{"search": "zzzz"}, []string{}},
			{"status blocked", map[string]any{"status": "blocked"}, []string{ada}},
			{`search " literally`, map[string]any{"search": `"`}, []string{quote}},
			{`search quoted word`, map[string]any{"search": `"hi"`}, []string{quote}},
			{`search across a quote`, map[string]any{"search": `y "h`}, []string{quote}},
			{`search unbalanced quote`, map[string]any{"search": `"hi`}, []string{quote}},
			{`search apostrophe`, map[string]any{"search": `o'b`}, []string{quote}},
			{`search FTS syntax is literal`, map[string]any{"search": `hi*`}, []string{}},
			{`search FTS operator is literal`, map[string]any{"search": `say OR zola`}, []string{}},
			{`search column filter is literal`, map[string]any{"search": `search_text:ada`}, []string{}},
			{`search parenthesis is literal`, map[string]any{"search": `near(`}, []string{}},
			{"search two characters", map[string]any{"search": "zo"}, []string{emile}},
			{"search three characters", map[string]any{"search": "zol"}, []string{emile}},
			{"status active", map[string]any{"status": "active"}, []string{quote, plain, backslash, under, percent, emile, grace}},
			{"kyc verified", map[string]any{"kyc_status": "verified"}, []string{grace}},
			{"kyc not_started", map[string]any{"kyc_status": "not_started"}, []string{quote, plain, backslash, under, percent, emile, ada}},
			{"kyc pending", map[string]any{"kyc_status": "pending"}, []string{}},
			{"kyc rejected", map[string]any{"kyc_status": "rejected"}, []string{}},
			{"filters combine", map[string]any{"status": "active", "search": "example.com"}, []string{plain, backslash, under, percent}},
			{"filters combine to nothing", map[string]any{"status": "blocked", "kyc_status": "verified"}, []string{}},
			{"empty filters are no filters", map[string]any{"email": "", "search": "", "status": "", "kyc_status": ""},
				[]string{quote, plain, backslash, under, percent, emile, grace, ada}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, p := c.list(t, tc.body)
				if !slices.Equal(got, tc.want) {
					t.Errorf("ids = %v\nwant  %v", got, tc.want)
				}
				search, _ := tc.body["search"].(string)
				wantPage(t, p, 1, 10, len(tc.want), "created_at:desc", search)
			})
		}

		t.Run("total counts every match, not the page", func(t *testing.T) {
			got, p := c.list(t, map[string]any{"search": "example", "per_page": 2, "page": 2, "sort": "created_at:asc"})
			if want := []string{percent, under}; !slices.Equal(got, want) {
				t.Errorf("ids = %v, want %v", got, want)
			}
			wantPage(t, p, 2, 2, 7, "created_at:asc", "example")
		})
	})
}
