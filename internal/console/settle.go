package console

import "github.com/ingot-dev/ingot/internal/banking"

// settleForms says which decisions a transaction's page offers: a pending
// movement can be completed, failed or blocked; a completed one (not
// itself a return) can be returned. These are SettleMovement's own rules
// (sandbox.md section 1), offered in production too: an operator settles
// the manual rail's payouts (issue 16).
type settleForms struct {
	Decide, Return bool
}

func settleFormsFor(t banking.Transaction) settleForms {
	return settleForms{
		Decide: t.Status == banking.TxPending,
		Return: t.Status == banking.TxCompleted && t.Category != banking.CategoryReturn,
	}
}

// settle decides transaction {tid} (form fields outcome: completed, failed,
// blocked or returned; return_code R01 to R99 for failed and returned,
// R01 when empty) through Service.SettleMovement, recorded with the
// operator as actor. A transaction already decided (by the rail, another
// operator or the API) is 409 conflict, shown as the page's notice.
func (c *Console) settle(r *request) (string, string, error) {
	tid := r.PathValue("tid")
	back := r.backTo(r.programPath() + "/transactions/" + tid)
	caller := r.operatorCaller()
	outcome := r.PostFormValue("outcome")
	t, err := c.svc.SettleMovement(r.Context(), caller, tid, outcome, r.PostFormValue("return_code"), r.op.Actor())
	if err != nil {
		return back, "", err
	}
	msg := "The " + formatMoney(t.Amount) + " " + string(t.Category) + " is now " + string(t.Status)
	if t.FailureReason != "" {
		msg += " (" + t.FailureReason + ")"
	}
	return back, msg + ".", nil
}
