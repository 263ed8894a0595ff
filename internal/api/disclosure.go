package api

import (
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerDisclosure adds the community programmes' routes: the public
// VDP (no account; rate-limited per client address and overall) and the
// routes of researchers and triage staff (rate-limited per user).
func registerDisclosure(rt *web.Router, a *api) {
	if a.Disclosure == nil {
		return
	}
	pub := func(pattern string, write bool, h http.HandlerFunc) {
		rt.Handle(web.Public, pattern, authz.Public, a.publicLimit(write, h))
	}
	pub("GET /api/v1/public/programmes", false, a.publicProgrammes)
	pub("POST /api/v1/public/vdp/reports", true, a.publicSubmit)
	pub("GET /api/v1/public/vdp/reports/{tracking_id}", false, a.publicReport)
	pub("POST /api/v1/public/vdp/reports/{tracking_id}/messages", true, a.publicReply)
	pub("POST /api/v1/public/vdp/reports/{tracking_id}/token", true, a.publicRotate)
	pub("POST /api/v1/public/vdp/reports/{tracking_id}/disclosure", true, a.publicDisclosure)
	pub("GET /api/v1/public/vdp/reports/{tracking_id}/attachments/{attachment_id}", false, a.publicAttachment)
	pub("GET /api/v1/public/vdp/stats", false, a.publicStats)
	pub("GET /api/v1/public/disclosures", false, a.publicDisclosures)
	pub("POST /api/v1/public/researchers", true, a.register)
	pub("POST /api/v1/public/researchers/verify", true, a.verify)

	in := func(pattern string, act authz.Action, h http.HandlerFunc) {
		rt.Handle(web.API, pattern, act, a.userLimit(h))
	}
	in("GET /api/v1/programmes", authz.ProgrammeRead, a.listProgrammes)
	in("POST /api/v1/programmes", authz.ProgrammeManage, a.createProgramme)
	in("GET /api/v1/programmes/{id}", authz.ProgrammeRead, a.getProgramme)
	in("PATCH /api/v1/programmes/{id}", authz.ProgrammeManage, a.updateProgramme)
	in("PUT /api/v1/programmes/{id}/reward-table", authz.ProgrammeManage, a.setRewardTable)
	in("GET /api/v1/programmes/{id}/reward-table/{version}", authz.ProgrammeRead, a.getRewardTable)
	in("POST /api/v1/programmes/{id}/invitations", authz.ProgrammeInvite, a.invite)
	in("GET /api/v1/programmes/{id}/leaderboard", authz.ProgrammeRead, a.leaderboard)

	in("GET /api/v1/reports", authz.ReportRead, a.listReports)
	in("POST /api/v1/reports", authz.ReportSubmit, a.submitReport)
	in("GET /api/v1/reports/{id}", authz.ReportRead, a.getReport)
	in("PATCH /api/v1/reports/{id}", authz.ReportTriage, a.triageReport)
	in("POST /api/v1/reports/{id}/transitions", authz.ReportTriage, a.transitionReport)
	in("POST /api/v1/reports/{id}/severity", authz.ReportTriage, a.reportSeverity)
	in("GET /api/v1/reports/{id}/messages", authz.ReportRead, a.reportMessages)
	in("POST /api/v1/reports/{id}/messages", authz.ReportComment, a.addReportMessage)
	in("POST /api/v1/reports/{id}/attachments", authz.ReportComment, a.addReportAttachments)
	in("GET /api/v1/reports/{id}/attachments/{attachment_id}", authz.ReportRead, a.reportAttachment)
	in("GET /api/v1/reports/{id}/duplicates", authz.ReportTriage, a.reportDuplicates)
	in("POST /api/v1/reports/{id}/disclosure", authz.ReportRead, a.reportDisclosure)
	in("POST /api/v1/reports/{id}/rewards", authz.RewardPropose, a.proposeReward)

	in("GET /api/v1/rewards", authz.RewardRead, a.listRewards)
	in("GET /api/v1/rewards/export.csv", authz.RewardExport, a.exportRewards)
	in("POST /api/v1/rewards/{id}/decision", authz.RewardApprove, a.decideReward)

	in("GET /api/v1/researcher/profile", authz.ResearcherSelf, a.getProfile)
	in("PATCH /api/v1/researcher/profile", authz.ResearcherSelf, a.updateProfile)
	in("GET /api/v1/community/metrics", authz.ProgrammeMetrics, a.communityMetrics)
	in("GET /api/v1/notifications", authz.SignedIn, a.listNotifications)
	in("POST /api/v1/notifications/{id}/read", authz.SignedIn, a.readNotification)
}

var errRateLimited = &web.BadRequestError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many requests; try again later"}

// publicLimit applies the per-address and overall limits of public writes
// or reads.
func (a *api) publicLimit(write bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		check := a.Limits.CheckRead
		if write {
			check = a.Limits.CheckSubmit
		}
		if ok, wait := check(r); !ok {
			w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
			web.WriteError(w, r, errRateLimited)
			return
		}
		h(w, r)
	}
}

// userLimit applies the per-user limit to signed-in callers.
func (a *api) userLimit(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := a.Limits.CheckUser(web.ActorFrom(r.Context()).UserID); !ok {
			w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
			web.WriteError(w, r, errRateLimited)
			return
		}
		h(w, r)
	}
}

// disclosureError maps the community package's own errors and writes the
// answer.
func disclosureError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, disclosure.ErrSamePerson):
		err = &web.BadRequestError{Status: http.StatusConflict, Code: "two_person_rule", Message: err.Error()}
	case errors.Is(err, disclosure.ErrNoTOTP):
		err = &web.BadRequestError{Status: http.StatusConflict, Code: "researcher_totp_required", Message: err.Error()}
	case errors.Is(err, disclosure.ErrBadVerification):
		err = web.BadRequest("invalid_token", "%s", err.Error())
	}
	web.WriteError(w, r, err)
}

// publicToken is the follow-up token a public request carried.
func publicToken(r *http.Request) string {
	tok, _ := web.BearerToken(r)
	return tok
}
