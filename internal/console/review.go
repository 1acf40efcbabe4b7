package console

import "github.com/ingot-dev/ingot/internal/banking"

// reviewView is the review queue's data: users and businesses whose
// verification waits for a human, each list with its own pages.
type reviewView struct {
	Users           []banking.User
	UsersPager      pager
	Businesses      []banking.Business
	BusinessesPager pager
}

// reviewPage lists a program's users in manual KYC review and businesses
// in manual KYB review, oldest first, each with approve and reject.
func (c *Console) reviewPage(r *request) (string, any, error) {
	ctx := r.Context()
	var v reviewView
	up, bp := r.pageParam("users_page"), r.pageParam("businesses_page")
	users, ut, err := c.svc.ReviewUsers(ctx, r.program.ID, up, perPage)
	if err != nil {
		return "", nil, err
	}
	bs, bt, err := c.svc.ReviewBusinesses(ctx, r.program.ID, bp, perPage)
	if err != nil {
		return "", nil, err
	}
	v.Users, v.UsersPager = users, newPager(r, "users_page", "users", up, len(users), ut)
	v.Businesses, v.BusinessesPager = bs, newPager(r, "businesses_page", "businesses", bp, len(bs), bt)
	return "Review queue", v, nil
}
