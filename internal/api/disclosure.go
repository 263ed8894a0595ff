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
		rt.Handle(web.API, pattern, authz.Public, a.publicLimit(write, h))
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
	in("GET /api/v1/programmes", disclosure.ProgrammeRead, a.listProgrammes)
	in("POST /api/v1/programmes", disclosure.ProgrammeManage, a.createProgramme)
	in("GET /api/v1/programmes/{id}", disclosure.ProgrammeRead, a.getProgramme)
	in("PATCH /api/v1/programmes/{id}", disclosure.ProgrammeManage, a.updateProgramme)
	in("PUT /api/v1/programmes/{id}/reward-table", disclosure.ProgrammeManage, a.setRewardTable)
	in("GET /api/v1/programmes/{id}/reward-table/{version}", disclosure.ProgrammeRead, a.getRewardTable)
	in("POST /api/v1/programmes/{id}/invitations", disclosure.ProgrammeInvite, a.invite)
	in("GET /api/v1/programmes/{id}/leaderboard", disclosure.ProgrammeRead, a.leaderboard)

	in("GET /api/v1/reports", disclosure.ReportRead, a.listReports)
	in("POST /api/v1/reports", disclosure.ReportSubmit, a.submitReport)
	in("GET /api/v1/reports/{id}", disclosure.ReportRead, a.getReport)
	in("PATCH /api/v1/reports/{id}", disclosure.ReportTriage, a.triageReport)
	in("POST /api/v1/reports/{id}/transitions", disclosure.ReportTriage, a.transitionReport)
	in("POST /api/v1/reports/{id}/severity", disclosure.ReportTriage, a.reportSeverity)
	in("GET /api/v1/reports/{id}/messages", disclosure.ReportRead, a.reportMessages)
	in("POST /api/v1/reports/{id}/messages", disclosure.ReportComment, a.addReportMessage)
	in("POST /api/v1/reports/{id}/attachments", disclosure.ReportComment, a.addReportAttachments)
	in("GET /api/v1/reports/{id}/attachments/{attachment_id}", disclosure.ReportRead, a.reportAttachment)
	in("GET /api/v1/reports/{id}/duplicates", disclosure.ReportTriage, a.reportDuplicates)
	in("POST /api/v1/reports/{id}/disclosure", disclosure.ReportRead, a.reportDisclosure)
	in("POST /api/v1/reports/{id}/rewards", disclosure.RewardPropose, a.proposeReward)

	in("GET /api/v1/rewards", disclosure.RewardRead, a.listRewards)
	in("GET /api/v1/rewards/export.csv", disclosure.RewardExport, a.exportRewards)
	in("POST /api/v1/rewards/{id}/decision", disclosure.RewardApprove, a.decideReward)

	in("GET /api/v1/researcher/profile", disclosure.ResearcherSelf, a.getProfile)
	in("PATCH /api/v1/researcher/profile", disclosure.ResearcherSelf, a.updateProfile)
	in("GET /api/v1/community/metrics", disclosure.ProgrammeMetrics, a.communityMetrics)
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
