package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

type dashboardData struct {
	Profile       disclosure.Researcher
	Reports       store.Page[disclosure.Report]
	Rewards       store.Page[disclosure.Reward]
	Notifications []disclosure.Notification
	Unread        int
}

// researcherDashboard shows a researcher their standing, reports, rewards
// and notifications.
func (c *community) researcherDashboard(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	var d dashboardData
	var err error
	if d.Profile, err = c.Disclosure.Profile(ctx, a); err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Reports, err = c.Disclosure.ListReports(ctx, a, disclosure.ReportFilter{Limit: 10}); err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Rewards, err = c.Disclosure.Ledger(ctx, a, disclosure.RewardFilter{Limit: 10}); err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Notifications, d.Unread, err = c.Disclosure.Notifications(ctx, a); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "researcher_dashboard.html", page{Title: "Researcher dashboard", Data: d})
}

func (c *community) researcherProfile(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	handle, bio, site := r.PostFormValue("handle"), r.PostFormValue("bio"), r.PostFormValue("website")
	if _, err := c.Disclosure.UpdateProfile(r.Context(), web.ActorFrom(r.Context()), disclosure.ProfileUpdate{Handle: &handle, Bio: &bio, Website: &site}); err != nil {
		if probs, ok := problemsOf(err, "", "handle"); ok && len(probs) > 0 {
			c.flashErr(r, probs[0].Text()+".")
			redirect(w, r, "/researcher")
			return
		}
		c.fail(w, r, err)
		return
	}
	c.flash(r, "Profile saved.")
	redirect(w, r, "/researcher")
}

func (c *community) notificationRead(w http.ResponseWriter, r *http.Request) {
	if err := c.Disclosure.MarkRead(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		c.fail(w, r, err)
		return
	}
	redirect(w, r, localPath(r.PostFormValue("next")))
}
