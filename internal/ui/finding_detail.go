package ui

import (
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/web"
)

// findingData is the finding page: the record, its history and comments,
// and the forms the caller may use, with what they typed into them when a
// form comes back with a problem.
type findingData struct {
	Finding     findings.Finding
	History     []historyEntry
	Comments    []findings.Comment
	RequestedBy string // who asked for the risk acceptance
	ApprovedBy  string

	Transitions []string
	Severities  []string
	MinExpiry   string // the risk expiry date input's bounds, YYYY-MM-DD
	MaxExpiry   string

	CanUpdate, CanComment, CanRequestRisk, CanDecideRisk bool
	CanIncident                                          bool // may open an incident from it (a compromise)

	Comment  string
	Status   statusForm
	Severity severityForm
	Risk     riskForm
	Decision string // the approver's note
}

type statusForm struct{ Status, DuplicateOf, Reason string }
type severityForm struct{ Severity, Reason string }
type riskForm struct{ Reason, Expires string }

// findingPage loads everything the finding page shows. The forms start
// empty; handlers fill in what was typed before re-rendering.
func (u *ui) findingPage(r *http.Request, id string) (*findingData, error) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	f, err := u.Findings.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	recs, err := u.Findings.History(ctx, a, id)
	if err != nil {
		return nil, err
	}
	comments, err := u.Findings.Comments(ctx, a, id)
	if err != nil {
		return nil, err
	}
	res := authz.Record(f.AgencyID)
	now := time.Now().UTC()
	d := &findingData{Finding: f, History: describeHistory(recs), Comments: comments,
		Transitions: findings.Transitions(f.Status), Severities: findings.Severities,
		MinExpiry: now.AddDate(0, 0, 1).Format(time.DateOnly), MaxExpiry: now.Add(findings.MaxRiskAcceptance - 24*time.Hour).Format(time.DateOnly),
		CanUpdate:  authz.Check(a, authz.FindingUpdate, res) == nil,
		CanComment: authz.Check(a, authz.FindingComment, res) == nil,
		Severity:   severityForm{Severity: f.Severity}}
	open := f.Status == "open" || f.Status == "in-progress"
	pending := f.RiskAcceptance != nil && f.RiskAcceptance.Pending
	d.CanRequestRisk = open && !pending && authz.Check(a, authz.FindingRiskRequest, res) == nil
	d.CanIncident = u.Incidents != nil && authz.Check(a, authz.IncidentCreate, res) == nil
	d.CanDecideRisk = pending && f.RiskAcceptance.RequestedBy != a.UserID && authz.Check(a, authz.FindingRiskApprove, res) == nil
	// The history is newest first: the latest request and approval name
	// who made them, which the finding itself records only as user ids.
	for _, rec := range recs {
		if rec.Code == audit.FindingRiskRequested.ID && d.RequestedBy == "" {
			d.RequestedBy = rec.ActorLabel
		}
		if rec.Code == audit.FindingRiskApproved.ID && d.ApprovedBy == "" {
			d.ApprovedBy = rec.ActorLabel
		}
	}
	return d, nil
}

func (u *ui) findingDetail(w http.ResponseWriter, r *http.Request) {
	d, err := u.findingPage(r, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "finding.html", page{Title: d.Finding.Title, Data: d})
}
