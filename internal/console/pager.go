package console

import (
	"github.com/ingot-dev/ingot/internal/banking"
	"net/url"
	"strconv"
	"strings"
)

// pager is a list's position, for the "pager" partial: rows First to Last
// of Total, and the links to the pages before and after ("" at either end).
type pager struct {
	Page, Pages        int
	First, Last, Total int
	Prev, Next         string
	// Label names the list for screen readers ("users"); Noun is
	// what a row is, plural ("users").
	Label, Noun string
	// Estimate reports that Total is a lower bound (a search matching more
	// than banking.ExactTotalUpTo rows is not counted exactly), shown as
	// "over N"; Pages is then the pages known to exist.
	Estimate bool
}

// newSearchPager is newPager for a list answered with a banking.Total,
// which may be an estimate (searches).
func newSearchPager(r *request, param, noun string, page, n int, t banking.Total) pager {
	if !t.Estimate {
		return newPager(r, param, noun, page, n, t.N)
	}
	// One page more than is known keeps "Next" while rows remain.
	p := newPager(r, param, noun, page, n, max(t.N, page*perPage+1))
	p.Total, p.Estimate = t.N, true
	return p
}

// newPager describes page page of a list of total rows (noun, plural)
// shown perPage at a time, with n rows on this page; the links keep the
// request's query and set param.
func newPager(r *request, param, noun string, page, n, total int) pager {
	p := pager{Page: page, Total: total, Noun: noun, Label: noun + " pages", Pages: max(1, (total+perPage-1)/perPage)}
	if n > 0 {
		p.First = (page-1)*perPage + 1
		p.Last = p.First + n - 1
	}
	link := func(to int) string {
		q := r.URL.Query()
		if to == 1 {
			q.Del(param)
		} else {
			q.Set(param, strconv.Itoa(to))
		}
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		return u.String()
	}
	if page > 1 {
		p.Prev = link(min(page-1, p.Pages))
	}
	if page < p.Pages {
		p.Next = link(page + 1)
	}
	return p
}

// Count is the list's size with its noun: "1 event", "2 events".
func (p pager) Count() string {
	if p.Estimate {
		return "over " + formatCount(p.Total) + " " + p.Noun
	}
	if p.Total != 1 {
		return formatCount(p.Total) + " " + p.Noun
	}
	if p.Noun == "businesses" {
		return "1 business"
	}
	if n, ok := strings.CutSuffix(p.Noun, "ies"); ok {
		return "1 " + n + "y" // deliveries, entries
	}
	return "1 " + strings.TrimSuffix(p.Noun, "s")
}
