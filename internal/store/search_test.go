package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ingot-dev/ingot/internal/banking"
	"github.com/ingot-dev/ingot/internal/store"
)

// searchRecords are the names the search cases look for: each is one
// user's last name and one business's name. Nothing else a row's search
// text holds (ids, emails, phones, EINs) contains any case's term.
var searchRecords = []string{
	"Zoë Quill",           // 0: NFC ë
	"ZOE QUILL",           // 1
	"Zoe\u0308 Xyl",       // 2: NFD ë, stored in NFC
	"100% Pure",           // 3
	"Snake_case Qux",      // 4
	`Back\slash Qux`,      // 5
	"Γιώργος",             // 6: final sigma
	`Say "Hi" Qq`,         // 7
	"İzmir",               // 8: Go lower-cases İ to a plain i
	"Straße",              // 9
	"Quorzyx Vellum",      // 10
	"Vellum Plinth",       // 11
	"Hyphen-Minus Wombat", // 12
}

// searchCases are THE matching rules of every list's search (search.go),
// run on each engine, for users and businesses, through both page plans.
var searchCases = []struct {
	name, term string
	want       []int // indexes into searchRecords
}{
	{"lower case", "zoë", []int{0, 2}},
	{"upper case", "ZOË", []int{0, 2}},
	{"NFD term finds NFC text", "zoe\u0308", []int{0, 2}},
	{"NFD text found by NFC term", "zoë xyl", []int{2}},
	{"diacritics are letters", "zoe q", []int{1}},
	{"word in several", "QUILL", []int{0, 1}},
	{"across a space", "ll  ", nil},
	{"% is literal", "100%", []int{3}},
	{"% alone", "%", []int{3}},
	{"% is no wildcard", "ake%case", nil},
	{"_ alone", "_", []int{4}},
	{"_ is literal", "e_c", []int{4}},
	{"_ is no wildcard", "e_ca", []int{4}},
	{"_ matches no other character", "sl_sh", nil},
	{`\ alone`, `\`, []int{5}},
	{`\ is literal`, `k\s`, []int{5}},
	{`" is literal`, `"hi"`, []int{7}},
	{"FTS operators are text", "quill OR xyl", nil},
	{"FTS prefix syntax is text", "qui*", nil},
	{"FTS column syntax is text", "search_text:zoë", nil},
	{"hyphen is text", "n-minus w", []int{12}},
	{"two characters", "zo", []int{0, 1, 2}},
	{"one character", "ë", []int{0, 2}},
	{"Greek", "ΓΙΏΡΓΟς", []int{6}},
	// Go's lower case, not Unicode case folding: σ and ς stay distinct and
	// ß is not ss. FTS5's tokenizer folds ς to σ; the check after the index
	// keeps SQLite to this rule.
	{"final sigma is its own letter", "γιώργοσ", nil},
	{"ß is not ss", "strasse", nil},
	{"ß", "STRAßE", []int{9}},
	{"dotted capital I is i", "izmir", []int{8}},
	{"i and a combining dot is not i", "i\u0307zmir", nil},
	{"long term", "quorzyx vellum", []int{10}},
	// Every five characters of it are in a row, but no row holds it all:
	// whatever stretch the index is asked for, the check refuses it.
	{"long term whose every stretch matches", "quorzyx vellum plinth", nil},
	{"word in two", "vellum", []int{10, 11}},
	{"miss", "nowhere", nil},
}

// TestSearchRules runs the search cases on both engines, for users and
// businesses, through the sorted plan and through the walk.
func TestSearchRules(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		other := mustProgram(t, s, "hu_b")
		owner := mustUser(t, s, other.ID, "owner@example.org", t0)
		users := map[banking.UserID]int{}
		businesses := map[banking.BusinessID]int{}
		for i, name := range searchRecords {
			at := t0.Add(time.Duration(i) * time.Second)
			u := searchUser(t, s, p.ID, name, fmt.Sprintf("rec%02d@example.org", i), at)
			users[u.ID] = i
			b := searchBusiness(t, s, u, name, i, at)
			businesses[b.ID] = i
			// Another program's namesakes are never found.
			searchUser(t, s, other.ID, name, fmt.Sprintf("rec%02d@example.org", i), at)
			searchBusiness(t, s, owner, name, 50+i, at)
		}
		for _, plan := range []struct {
			name  string
			limit int
		}{{"sorted", 5000}, {"walk", 0}} {
			t.Run(plan.name, func(t *testing.T) {
				defer store.SetSortMatchesUpTo(plan.limit)()
				for _, c := range searchCases {
					want := slices.Clone(c.want)
					slices.Sort(want)
					slices.Reverse(want) // newest first
					got, total, err := s.ListUsers(ctx, p.ID, banking.UserFilter{Search: c.term, Page: 1, PerPage: 20})
					if err != nil {
						t.Fatal(err)
					}
					var gotUsers []int
					for _, u := range got {
						gotUsers = append(gotUsers, users[u.ID])
					}
					if !slices.Equal(gotUsers, want) || total != banking.ExactTotal(len(want)) {
						t.Errorf("%s: users matching %q = %v (total %+v), want %v", c.name, c.term, gotUsers, total, want)
					}
					gotB, total, err := s.ListBusinesses(ctx, p.ID, banking.BusinessFilter{Search: c.term, Page: 1, PerPage: 20})
					if err != nil {
						t.Fatal(err)
					}
					var gotBiz []int
					for _, b := range gotB {
						gotBiz = append(gotBiz, businesses[b.ID])
					}
					if !slices.Equal(gotBiz, want) || total != banking.ExactTotal(len(want)) {
						t.Errorf("%s: businesses matching %q = %v (total %+v), want %v", c.name, c.term, gotBiz, total, want)
					}
				}
			})
		}
	})
}

// searchUser stores a user whose last name is name.
func searchUser(t *testing.T, s *store.Store, pid banking.ProgramID, name, email string, at time.Time) banking.User {
	t.Helper()
	u, _, err := banking.NewUser(pid, banking.NewUserInput{FirstName: "Pat", LastName: name, Email: email,
		PhoneNumber: "+14155550123", AddressOne: "1 Main St", City: "SF", State: "CA", Country: "US",
		PostalCode: "94105"}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(context.Background(), u, banking.NewEvent(&u, banking.EventUserCreated, "test", "",
		banking.CreatedChanges(&u), at)); err != nil {
		t.Fatal(err)
	}
	return u
}

// searchBusiness stores a business of u named name, EIN 20-00000n.
func searchBusiness(t *testing.T, s *store.Store, u banking.User, name string, n int, at time.Time) banking.Business {
	t.Helper()
	in := bizInput(fmt.Sprintf("20-%07d", n))
	in.Name, in.Email = name, fmt.Sprintf("ops%02d@example.org", n)
	b, err := banking.NewBusiness(u.ProgramID, u.ID, in, at)
	if err != nil {
		t.Fatal(err)
	}
	ev := banking.NewBusinessEvent(&b, banking.EventBusinessCreated, "test", "", banking.BusinessCreatedChanges(&b), at)
	if _, err := s.Do(context.Background(), store.CreateBusinessWork(b, ev)); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSearchTotals: a search counts its matches exactly up to
// banking.ExactTotalUpTo and stops there; a list with maintained counters
// stays exact past it; the page is right whichever plan serves it.
func TestSearchTotals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		const n = banking.ExactTotalUpTo + 50
		ids := make([]banking.UserID, n) // ids[i] was created i ms after t0
		var users []banking.User
		var events []banking.Event
		for i := range n {
			last := "Lovelace"
			switch {
			case i == 7:
				last = "Quixote"
			case i%2 == 0:
				last = "Hopper"
			}
			at := t0.Add(time.Duration(i) * time.Millisecond)
			u, _, err := banking.NewUser(p.ID, banking.NewUserInput{FirstName: "Ada", LastName: last,
				Email: fmt.Sprintf("bulk%05d@example.com", i), PhoneNumber: "+14155550123", AddressOne: "1 Main St",
				City: "SF", State: "CA", Country: "US", PostalCode: "94105"}, at)
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = u.ID
			users = append(users, u)
			events = append(events, banking.NewEvent(&u, banking.EventUserCreated, "test", "", banking.CreatedChanges(&u), at))
		}
		if err := s.BulkCreateUsers(ctx, users, events); err != nil {
			t.Fatal(err)
		}
		newest := func(keep func(i int) bool, skip, count int) []banking.UserID {
			var out []banking.UserID
			for i := n - 1; i >= 0 && len(out) < count; i-- {
				if keep(i) {
					if skip > 0 {
						skip--
						continue
					}
					out = append(out, ids[i])
				}
			}
			return out
		}
		all := func(int) bool { return true }
		for _, c := range []struct {
			name  string
			f     banking.UserFilter
			want  []banking.UserID
			total banking.Total
		}{
			{"every user, from the counters", banking.UserFilter{Page: 1, PerPage: 3},
				newest(all, 0, 3), banking.ExactTotal(n)},
			{"a term in every user stops counting at the cap", banking.UserFilter{Search: "EXAMPLE.com", Page: 1, PerPage: 3},
				newest(all, 0, 3), banking.Total{N: banking.ExactTotalUpTo, Estimate: true}},
			{"a page past the cap raises the lower bound", banking.UserFilter{Search: "example.com", Page: 1005, PerPage: 10},
				newest(all, 10040, 10), banking.Total{N: n, Estimate: true}},
			{"oldest first", banking.UserFilter{Search: "example.com", Ascending: true, Page: 1, PerPage: 2},
				ids[:2], banking.Total{N: banking.ExactTotalUpTo, Estimate: true}},
			{"half the users, counted exactly", banking.UserFilter{Search: "hopper", Page: 2, PerPage: 2},
				newest(func(i int) bool { return i%2 == 0 }, 2, 2), banking.ExactTotal(n / 2)},
			{"one user", banking.UserFilter{Search: "quixote", Page: 1, PerPage: 10}, ids[7:8], banking.ExactTotal(1)},
			{"one user, past the end", banking.UserFilter{Search: "quixote", Page: 2, PerPage: 10}, nil, banking.ExactTotal(1)},
			{"a short common term", banking.UserFilter{Search: "@", Page: 1, PerPage: 1},
				newest(all, 0, 1), banking.Total{N: banking.ExactTotalUpTo, Estimate: true}},
			{"an email and a term", banking.UserFilter{Email: "BULK00007@example.com", Search: "xot", Page: 1, PerPage: 10},
				ids[7:8], banking.ExactTotal(1)},
			{"a filter with no match", banking.UserFilter{Search: "example.com", Status: banking.StatusBlocked, Page: 1, PerPage: 10},
				nil, banking.ExactTotal(0)},
		} {
			got, total, err := s.ListUsers(ctx, p.ID, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []banking.UserID
			for _, u := range got {
				gotIDs = append(gotIDs, u.ID)
			}
			if !slices.Equal(gotIDs, c.want) || total != c.total {
				t.Errorf("%s: got %v (total %+v), want %v (total %+v)", c.name, gotIDs, total, c.want, c.total)
			}
		}

		// The sample behind the index's probe, taken by random keys on
		// SQLite and random pages on PostgreSQL (both past their
		// read-everything sizes here), steers away from the trigrams every
		// row has towards the rare name.
		probe := store.ProbeFor(ctx, s, "users", "@example.comquixote")
		if !strings.Contains(probe, "qu") || utf8.RuneCountInString(probe) != 5 {
			t.Errorf("probe for @example.comquixote = %q, want five characters reaching into quixote", probe)
		}
		if est := store.SampledTableRows(ctx, s, "users"); est < n/2 || est > 2*n {
			t.Errorf("sample estimates %.0f users, want about %d", est, n)
		}
	})
}

// TestSearchIndexes: every table with a search_text column has both
// engines' trigram indexes, so a list that searches is served by an index
// on either engine (search.go says what a searchable table needs).
func TestSearchIndexes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		q := `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
			WHERE m.type = 'table' AND c.name = 'search_text' AND m.name NOT LIKE '%\_fts%' ESCAPE '\'`
		if s.Engine() == store.Postgres {
			q = `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'search_text'`
		}
		tables := queryStrings(t, s, q)
		if !slices.Contains(tables, "users") || !slices.Contains(tables, "businesses") {
			t.Fatalf("tables with search_text = %v, want users and businesses among them", tables)
		}
		for _, table := range tables {
			var n int
			if s.Engine() == store.Postgres {
				// A GIN trigram index with a short pending list (0010_search.sql).
				err := s.DB().QueryRow(`SELECT count(*) FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname
					WHERE i.tablename = $1 AND i.indexdef LIKE '%USING gin (search_text gin_trgm_ops)%'
					AND 'gin_pending_list_limit=1024' = ANY (c.reloptions)`, table).Scan(&n)
				if err != nil || n != 1 {
					t.Errorf("%s: %d GIN trigram indexes with a 1 MB pending list on search_text (%v), want 1", table, n, err)
				}
				continue
			}
			err := s.DB().QueryRow(`SELECT count(*) FROM sqlite_master WHERE
				(type = 'table' AND name = ? AND sql LIKE '%fts5%content = ''' || ? || '''%content_rowid = ''seq''%trigram%')
				OR (type = 'trigger' AND tbl_name = ? AND name IN (? || '_insert', ? || '_delete', ? || '_update'))`,
				table+"_fts", table, table, table+"_fts", table+"_fts", table+"_fts").Scan(&n)
			if err != nil || n != 4 {
				t.Errorf("%s: %d of its FTS5 trigram table and 3 triggers (%v), want 4", table, n, err)
			}
		}
	})
}

func queryStrings(t *testing.T, s *store.Store, q string) []string {
	t.Helper()
	rows, err := s.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestSearchTrustsASureSample: a term the sample shows in far more of the
// program's rows than the cap is answered without counting (the total is
// the cap, an estimate), while a filter, another program's term or a thin
// sample sends the search back to counting.
func TestSearchTrustsASureSample(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		other := mustProgram(t, s, "hu_b")
		var graces []banking.UserID
		for i := range 3 {
			graces = append(graces, searchUser(t, s, p.ID, "Grace", fmt.Sprintf("g%d@example.org", i), t0.Add(time.Duration(i)*time.Second)).ID)
		}
		slices.Reverse(graces)
		// A sample of 4,096 rows out of 1,000,000: an eighth of p's rows
		// hold "grace", about 125,000 in all.
		sample := func(program banking.ProgramID, hits int) {
			var programs []banking.ProgramID
			var texts []string
			for i := range 4096 {
				text := "user-x\x1fada\x1f\x1fhopper"
				if i < hits {
					text = "user-x\x1fpat\x1f\x1fgrace"
				}
				programs, texts = append(programs, program), append(texts, text)
			}
			store.SetSample(s, "users", programs, texts, 1_000_000)
		}
		for _, c := range []struct {
			name    string
			program banking.ProgramID
			hits    int
			f       banking.UserFilter
			total   banking.Total
		}{
			{"sure", p.ID, 512, banking.UserFilter{Search: "GRACE"},
				banking.Total{N: banking.ExactTotalUpTo, Estimate: true}},
			{"sure, but filtered", p.ID, 512, banking.UserFilter{Search: "grace", Status: banking.StatusActive},
				banking.ExactTotal(3)},
			{"another program's term", other.ID, 512, banking.UserFilter{Search: "grace"}, banking.ExactTotal(3)},
			{"too few sampled matches", p.ID, 40, banking.UserFilter{Search: "grace"}, banking.ExactTotal(3)},
			// About 73,000: past the cap, but not ten times past it.
			{"not surely enough", p.ID, 300, banking.UserFilter{Search: "grace"}, banking.ExactTotal(3)},
		} {
			sample(c.program, c.hits)
			c.f.Page, c.f.PerPage = 1, 10
			got, total, err := s.ListUsers(ctx, p.ID, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []banking.UserID
			for _, u := range got {
				ids = append(ids, u.ID)
			}
			if !slices.Equal(ids, graces) || total != c.total {
				t.Errorf("%s: got %v (total %+v), want %v (total %+v)", c.name, ids, total, graces, c.total)
			}
		}
	})
}

// TestSearchFootprint: the search indexes' bytes are counted, and are part
// of the database's.
func TestSearchFootprint(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		before, _, err := s.SearchFootprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 200 {
			searchUser(t, s, p.ID, fmt.Sprintf("Quill%03d", i), fmt.Sprintf("q%03d@example.org", i), t0)
		}
		indexes, database, err := s.SearchFootprint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if indexes <= before || indexes >= database {
			t.Errorf("search indexes %d bytes (%d before 200 users), database %d: want more than before and less than the database",
				indexes, before, database)
		}
	})
}

// TestMergeSearchQueues: entries queued in PostgreSQL's trigram indexes
// since the last merge are merged by MergeSearchQueues (nothing to do on
// SQLite), and the searches find the same rows before and after.
func TestMergeSearchQueues(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := mustProgram(t, s, "hu_a")
		if _, err := s.MergeSearchQueues(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			searchUser(t, s, p.ID, fmt.Sprintf("Quill%03d", i), fmt.Sprintf("q%03d@example.org", i), t0)
		}
		find := func() int {
			t.Helper()
			_, total, err := s.ListUsers(ctx, p.ID, banking.UserFilter{Search: "quill0", Page: 1, PerPage: 1})
			if err != nil {
				t.Fatal(err)
			}
			return total.N
		}
		before := find()
		merged, err := s.MergeSearchQueues(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Engine() == store.Postgres && merged == 0 {
			t.Error("PostgreSQL merged no pending pages after 50 inserts")
		}
		if s.Engine() == store.SQLite && merged != 0 {
			t.Errorf("SQLite merged %d pages, want none", merged)
		}
		if again, _ := s.MergeSearchQueues(ctx); again != 0 {
			t.Errorf("a second merge emptied %d more pages, want 0", again)
		}
		if after := find(); before != 50 || after != 50 {
			t.Errorf("quill0 found %d users before the merge and %d after, want 50", before, after)
		}
	})
}
