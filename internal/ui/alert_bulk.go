package ui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// alertBulk acknowledges, takes or closes the selected alerts. Each goes
// through UpdateAlert (authorisation per record, its own audited
// transaction); an alert the caller may not change is left alone and
// counted, never revealed.
func (m *monitoring) alertBulk(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	a := web.ActorFrom(r.Context())
	back := "/alerts"
	if q := r.PostFormValue("back"); strings.HasPrefix(q, "?") && !strings.ContainsAny(q, "\r\n") {
		back += q
	}
	ids := slices.Compact(slices.Sorted(slices.Values(r.PostForm["alert"])))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	var ch detect.AlertChange
	var done string
	switch r.PostFormValue("action") {
	case "acknowledge":
		ch, done = detect.AlertChange{Status: detect.StatusAcknowledged}, "acknowledged"
	case "assign-me":
		ch, done = detect.AlertChange{Assignee: a.UserID}, "assigned to you"
	case "close":
		ch, done = detect.AlertChange{Status: detect.StatusClosed, Reason: reason}, "closed"
	}
	switch {
	case done == "":
		m.flashErr(r, "Choose what to do with the selected alerts.")
	case len(ids) == 0:
		m.flashErr(r, "Select at least one alert.")
	case len(ids) > maxBulk:
		m.flashErr(r, fmt.Sprintf("Select at most %d alerts at a time.", maxBulk))
	case ch.Status == detect.StatusClosed && reason == "":
		m.flashErr(r, "Give the reason for closing: it is kept in each alert's history.")
	default:
		changed, refused := 0, 0
		var problems []string
		for _, id := range ids {
			_, err := m.Detect.UpdateAlert(r.Context(), a, id, ch)
			switch {
			case err == nil:
				changed++
			case errors.Is(err, authz.ErrNotFound) || errors.Is(err, authz.ErrForbidden):
				refused++
			default:
				v, ok := validate.As(err)
				if !ok {
					m.fail(w, r, err)
					return
				}
				if len(problems) < 3 {
					problems = append(problems, v.Error())
				}
			}
		}
		msg := fmt.Sprintf("%s %s.", plural(changed, "alert"), done)
		if refused > 0 {
			msg += fmt.Sprintf(" %s could not be changed: not found or not yours to change.", plural(refused, "alert"))
		}
		m.flash(r, msg)
		if len(problems) > 0 {
			m.flashErr(r, "Some alerts were not changed: "+strings.Join(problems, "; ")+".")
		}
	}
	redirect(w, r, back)
}
