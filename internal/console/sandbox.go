package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/banking"
)

// The sandbox's controls (sandbox.md section 3: "in the sandbox also
// reset, clock advance"): the program's clock and its reset. Without
// --sandbox the page and its actions do not exist (not found), as the
// simulated inbound transfer's.

// sandboxView is the sandbox page's data.
type sandboxView struct {
	// Now is the program's time; Ahead how far it is ahead of the real
	// time, "" when it is not.
	Now   time.Time
	Ahead string
	// Presets are the advance buttons: seconds and their label.
	Presets []preset
	// Trail is the program's own audit trail: its creation, its clock's
	// advances, its resets, each naming who acted.
	Trail trail
}

// preset is one of the clock's advance buttons.
type preset struct {
	Seconds int64
	Label   string
}

var presets = []preset{{3600, "1 hour"}, {86400, "1 day"}, {3 * 86400, "3 days"}}

// notInSandbox is the answer of a sandbox control outside a sandbox.
func notInSandbox() error {
	return banking.Errorf(banking.CodeNotFound, "the sandbox's controls exist only in a sandbox (ingot serve --sandbox)")
}

// sandboxPage shows the program's time with the advance forms, the reset
// form, and the program's own audit trail (where the advances and the
// last reset are).
func (c *Console) sandboxPage(r *request) (string, any, error) {
	if !c.sandbox {
		return "", nil, notInSandbox()
	}
	now, err := c.svc.ClockNow(r.Context(), r.caller())
	if err != nil {
		return "", nil, err
	}
	v := sandboxView{Now: now, Presets: presets}
	if v.Trail, err = c.trail(r, string(r.program.ID)); err != nil {
		return "", nil, err
	}
	// Shown to the minute: the seconds an advance takes are noise.
	if ahead := now.Sub(c.now()); ahead >= time.Minute {
		v.Ahead = describeSeconds(int64(ahead/time.Minute) * 60)
	}
	return "Sandbox", v, nil
}

// advanceClock moves the program's clock forward by the form's seconds (1
// to one year) through Service.AdvanceClock, which runs every job due by
// the new time (settlements, webhook retries) before it answers; its
// program.clock_advanced event names the operator.
func (c *Console) advanceClock(r *request) (string, string, error) {
	back := r.programPath() + "/sandbox"
	if !c.sandbox {
		// There is no sandbox page to go back to.
		return Prefix, "", notInSandbox()
	}
	raw := strings.TrimSpace(r.PostFormValue("seconds"))
	secs, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return back, "", banking.Invalid("seconds", "must be a whole number from 1 to 31536000")
	}
	now, err := c.svc.AdvanceClock(r.Context(), r.operatorCaller(), secs)
	if err != nil {
		return back, "", err
	}
	c.log.Info("console clock advance", "operator", r.op.Actor(), "program", r.program.ID, "seconds", secs)
	return back, "The clock moved forward by " + describeSeconds(secs) + ": the program's time is now " + formatUTC(now) + ".", nil
}

// resetProgram deletes the program's data (Service.Reset: everything but
// its credentials and webhook endpoint) once the form's confirm box is
// ticked; the program.reset event that starts its new audit trail names
// the operator.
func (c *Console) resetProgram(r *request) (string, string, error) {
	back := r.programPath() + "/sandbox"
	if !c.sandbox {
		// There is no sandbox page to go back to.
		return Prefix, "", notInSandbox()
	}
	if r.PostFormValue("confirm") != "yes" {
		return back, "", banking.Invalid("confirm", "must be ticked: a reset deletes all of the program's data")
	}
	if _, err := c.svc.Reset(r.Context(), r.operatorCaller()); err != nil {
		return back, "", err
	}
	return back, "The program " + r.program.Name + " was reset: its users, businesses, accounts and transactions are gone; its API credentials and webhook endpoint remain.", nil
}

// describeSeconds says a duration in the largest whole units that fit:
// "1 day", "3 days", "2 h 30 min", "45 s".
func describeSeconds(s int64) string {
	units := []struct {
		n          int64
		one, other string
	}{{86400, " day", " days"}, {3600, " h", " h"}, {60, " min", " min"}, {1, " s", " s"}}
	var parts []string
	for _, u := range units {
		if q := s / u.n; q > 0 {
			name := u.other
			if q == 1 {
				name = u.one
			}
			parts = append(parts, strconv.FormatInt(q, 10)+name)
			s -= q * u.n
		}
		if len(parts) == 2 {
			break
		}
	}
	if len(parts) == 0 {
		return "0 s"
	}
	return strings.Join(parts, " ")
}
