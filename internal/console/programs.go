package console

import "github.com/ingot-dev/ingot/internal/service"

// programsView is the programs page's data.
type programsView struct {
	Programs []service.ProgramSummary
}

// programsPage lists every program with its user and business counts and
// how many of each wait in the review queue. A deployment has few
// programs, so the list is not paginated.
func (c *Console) programsPage(r *request) (string, any, error) {
	ps, err := c.svc.ProgramSummaries(r.Context())
	if err != nil {
		return "", nil, err
	}
	return "Programs", programsView{Programs: ps}, nil
}
