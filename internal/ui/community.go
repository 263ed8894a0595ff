package ui

import (
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/web"
)

// CommunityDeps are what the community programmes' pages need.
type CommunityDeps struct {
	Disclosure  *disclosure.Service
	Limits      *ratelimit.Policy
	SecurityTxt disclosure.SecurityTxt
	SafeHarbour string // the VDP's safe-harbour text; empty means the built-in one
}

// community serves the community programmes' pages.
type community struct {
	*ui
	CommunityDeps
}

// registerCommunity adds the pages of the community programmes: the
// public VDP (no account, no JavaScript needed; rate-limited per client
// address and overall), researchers' pages and the triage pages.
func (u *ui) registerCommunity(rt *web.Router) {
	if u.Community == nil || u.Community.Disclosure == nil {
		return
	}
	c := &community{ui: u, CommunityDeps: *u.Community}
	pub := func(pattern string, write bool, h http.HandlerFunc) {
		rt.Handle(web.UI, pattern, authz.Public, c.publicLimit(write, h))
	}
	pub("GET /.well-known/security.txt", false, c.securityTxt)
	pub("GET /vdp", false, c.vdpPolicy)
	pub("POST /vdp/reports", true, c.vdpSubmit)
	pub("GET /vdp/track", false, c.vdpTrackForm)
	pub("POST /vdp/track", true, c.vdpTrack)
	pub("GET /vdp/reports/{id}", false, c.vdpReport)
	pub("GET /vdp/reports/{id}/receipt.txt", false, c.vdpReceiptText)
	pub("POST /vdp/reports/{id}/messages", true, c.vdpReply)
	pub("POST /vdp/reports/{id}/token", true, c.vdpRotate)
	pub("POST /vdp/reports/{id}/disclosure", true, c.vdpConsent)
	pub("GET /vdp/reports/{id}/attachments/{aid}", false, c.vdpAttachment)
	pub("GET /vdp/stats", false, c.vdpStats)
	pub("GET /vdp/disclosures", false, c.vdpDisclosures)
	pub("GET /vdp/cvss", false, c.cvssCalculator)
	pub("GET /researchers/register", false, c.registerForm)
	pub("POST /researchers/register", true, c.register)
	pub("GET /researchers/verify", false, c.verifyForm)
	pub("POST /researchers/verify", true, c.verify)
	pub("GET /researchers/verify/resend", false, c.resendForm)
	pub("POST /researchers/verify/resend", true, c.resend)

	in := func(pattern string, act authz.Action, h http.HandlerFunc) {
		rt.Handle(web.UI, pattern, act, c.userLimit(h))
	}
	in("GET /reports", authz.ReportRead, c.reportList)
	in("GET /reports/new", authz.ReportSubmit, c.reportNewForm)
	in("POST /reports", authz.ReportSubmit, c.reportCreate)
	in("GET /reports/{id}", authz.ReportRead, c.reportDetail)
	in("POST /reports/{id}/messages", authz.ReportComment, c.reportMessage)
	in("POST /reports/{id}/disclosure", authz.ReportRead, c.reportConsent)
	in("GET /reports/{id}/attachments/{aid}", authz.ReportRead, c.reportAttachment)
	in("POST /reports/{id}/transition", authz.ReportTriage, c.reportTransition)
	in("POST /reports/{id}/severity", authz.ReportTriage, c.reportSeverity)
	in("POST /reports/{id}/triage", authz.ReportTriage, c.reportTriage)
	in("POST /reports/{id}/publish", authz.ReportTriage, c.reportPublish)
	in("POST /reports/{id}/rewards", authz.RewardPropose, c.rewardPropose)
	in("GET /rewards", authz.RewardRead, c.rewardList)
	in("POST /rewards/{id}/decision", authz.RewardApprove, c.rewardDecide)
	in("GET /rewards/export.csv", authz.RewardExport, c.rewardExport)
	in("GET /programmes", authz.ProgrammeRead, c.programmeList)
	in("GET /programmes/{id}", authz.ProgrammeRead, c.programmeDetail)
	in("POST /programmes/{id}/invitations", authz.ProgrammeInvite, c.programmeInvite)
	in("GET /researcher", authz.ResearcherSelf, c.researcherDashboard)
	in("POST /researcher/profile", authz.ResearcherSelf, c.researcherProfile)
	in("GET /community", authz.ProgrammeMetrics, c.metricsPage)
	in("POST /notifications/{id}/read", authz.SignedIn, c.notificationRead)
}

func (c *community) publicLimit(write bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		check := c.Limits.CheckRead
		if write {
			check = c.Limits.CheckSubmit
		}
		if ok, wait := check(r); !ok {
			c.tooMany(w, r, wait)
			return
		}
		h(w, r)
	}
}

func (c *community) userLimit(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := c.Limits.CheckUser(web.ActorFrom(r.Context()).UserID); !ok {
			c.tooMany(w, r, wait)
			return
		}
		h(w, r)
	}
}

func (c *community) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
	c.errorPage(w, r, http.StatusTooManyRequests)
}

func (c *community) securityTxt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(c.SecurityTxt.Render(time.Now())))
}
