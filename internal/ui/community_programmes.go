package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/web"
)

func (c *community) programmeList(w http.ResponseWriter, r *http.Request) {
	list, err := c.Disclosure.ListProgrammes(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := struct {
		Items     []disclosure.Programme
		CanManage bool
	}{list, authz.Check(web.ActorFrom(r.Context()), authz.ProgrammeManage, authz.Collection()) == nil}
	c.render(w, r, http.StatusOK, "programme_list.html", page{Title: "Programmes", Data: d})
}

type programmeData struct {
	Programme   disclosure.Programme
	Leaderboard []disclosure.LeaderEntry
	CanInvite   bool
	CanSubmit   bool
	CanManage   bool
}

func (c *community) programmeDetail(w http.ResponseWriter, r *http.Request) {
	a := web.ActorFrom(r.Context())
	p, err := c.Disclosure.Programme(r.Context(), a, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	board, err := c.Disclosure.Leaderboard(r.Context(), a, p.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := programmeData{Programme: p, Leaderboard: board,
		CanInvite: p.Access == "invite" && authz.Check(a, authz.ProgrammeInvite, authz.Collection()) == nil,
		CanSubmit: authz.Check(a, authz.ReportSubmit, authz.Collection()) == nil,
		CanManage: authz.Check(a, authz.ProgrammeManage, authz.Collection()) == nil}
	c.render(w, r, http.StatusOK, "programme_detail.html", page{Title: p.Name, Data: d})
}

func (c *community) programmeInvite(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	err := c.Disclosure.Invite(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), r.PostFormValue("handle"))
	if err != nil {
		if probs, ok := problemsOf(err, "", "handle"); ok && len(probs) > 0 {
			c.flashErr(r, probs[0].Text()+".")
			redirect(w, r, "/programmes/"+r.PathValue("id"))
			return
		}
		c.fail(w, r, err)
		return
	}
	c.flash(r, "Invitation sent.")
	redirect(w, r, "/programmes/"+r.PathValue("id"))
}
