package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

func (c *community) rewardPropose(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	p := disclosure.RewardProposal{Exceptional: r.PostFormValue("exceptional") == "yes", Reason: r.PostFormValue("reason")}
	if s := strings.TrimSpace(r.PostFormValue("amount")); s != "" && p.Exceptional {
		n, err := strconv.Atoi(s)
		if err != nil {
			c.showReport(w, r, http.StatusBadRequest, page{Problems: []problem{{Anchor: "amount", Label: "Amount", Message: "must be a whole number"}}})
			return
		}
		p.Amount = n
	}
	_, err := c.Disclosure.ProposeReward(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), p)
	c.afterAction(w, r, err, "Reward proposed. A wog-admin other than you must approve it.")
}

type rewardListData struct {
	Page      store.Page[disclosure.Reward]
	CanDecide bool
	CanExport bool
	Actor     string
}

func (c *community) rewardList(w http.ResponseWriter, r *http.Request) {
	a := web.ActorFrom(r.Context())
	led, err := c.Disclosure.Ledger(r.Context(), a, disclosure.RewardFilter{Status: r.URL.Query().Get("status"),
		ProgrammeID: r.URL.Query().Get("programme"), Cursor: r.URL.Query().Get("cursor"), Limit: pageSize})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := rewardListData{Page: led, Actor: a.UserID,
		CanDecide: authz.Check(a, authz.RewardApprove, authz.Collection()) == nil,
		CanExport: authz.Check(a, authz.RewardExport, authz.Collection()) == nil}
	c.render(w, r, http.StatusOK, "programme_rewards.html", page{Title: "Rewards", Data: d})
}

func (c *community) rewardDecide(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	_, err := c.Disclosure.DecideReward(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), r.PostFormValue("decision") == "approve", r.PostFormValue("reason"))
	if err != nil {
		msg := ""
		if errors.Is(err, disclosure.ErrSamePerson) || errors.Is(err, disclosure.ErrNoTOTP) {
			msg = capitalise(err.Error()) + "."
		} else if probs, ok := problemsOf(err, "", "status"); ok && len(probs) > 0 {
			msg = probs[0].Text() + "."
		}
		if msg == "" {
			c.fail(w, r, err)
			return
		}
		c.flashErr(r, msg)
		redirect(w, r, "/rewards")
		return
	}
	c.flash(r, "Decision recorded.")
	redirect(w, r, "/rewards")
}

func (c *community) rewardExport(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rewards.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := c.Disclosure.ExportCSV(r.Context(), web.ActorFrom(r.Context()), r.URL.Query().Get("programme"), w); err != nil {
		w.Header().Del("Content-Disposition")
		c.fail(w, r, err)
	}
}
