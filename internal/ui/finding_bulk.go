package ui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// maxBulk bounds the findings one bulk change touches.
const maxBulk = 200

// findingBulk changes the status of the selected findings, with one
// reason. Each finding goes through the same domain call as its own page
// (authorisation per record, its own audit entry in its own transaction);
// a finding the caller may not change — another agency's, or one that
// vanished — is left alone and counted, never revealed.
func (u *ui) findingBulk(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	a := web.ActorFrom(r.Context())
	back := "/findings"
	if q := r.PostFormValue("back"); q != "" && strings.HasPrefix(q, "?") && !strings.ContainsAny(q, "\r\n") {
		back += q
	}
	ids := slices.Compact(slices.Sorted(slices.Values(r.PostForm["id"])))
	status, reason := r.PostFormValue("status"), strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case len(ids) == 0:
		u.flashErr(r, "Select at least one finding.")
	case len(ids) > maxBulk:
		u.flashErr(r, fmt.Sprintf("Select at most %d findings at a time.", maxBulk))
	case !slices.Contains(bulkStatuses, status):
		u.flashErr(r, "Choose the new status: "+strings.Join(bulkStatuses, ", ")+".")
	case reason == "":
		u.flashErr(r, "Give the reason for the change: it is kept in each finding's history.")
	default:
		changed, same, refused := 0, 0, 0
		var problems []string
		for _, id := range ids {
			f, err := u.Findings.Get(r.Context(), a, id)
			if err == nil && f.Status == status {
				same++
				continue
			}
			if err == nil {
				_, err = u.Findings.Update(r.Context(), a, id, findings.Patch{Status: &status, Reason: reason})
			}
			switch {
			case err == nil:
				changed++
			case errors.Is(err, authz.ErrNotFound) || errors.Is(err, authz.ErrForbidden):
				refused++
			default:
				if v, ok := validate.As(err); ok && len(problems) < 3 {
					problems = append(problems, f.Title+": "+v.Error())
					continue
				}
				if _, ok := validate.As(err); !ok {
					u.fail(w, r, err)
					return
				}
			}
		}
		msg := fmt.Sprintf("%s changed to %s.", plural(changed, "finding"), humanise(status))
		if same > 0 {
			msg += fmt.Sprintf(" %s already had that status.", plural(same, "finding"))
		}
		if refused > 0 {
			msg += fmt.Sprintf(" %s could not be changed: not found or not yours to change.", plural(refused, "finding"))
		}
		u.flash(r, msg)
		if len(problems) > 0 {
			u.flashErr(r, "Some findings were not changed: "+strings.Join(problems, "; ")+".")
		}
	}
	redirect(w, r, back)
}
