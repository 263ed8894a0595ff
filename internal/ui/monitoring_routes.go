package ui

import (
	"github.com/kubu-gov/kubu/internal/authz"
	"time"

	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/intake"
	"github.com/kubu-gov/kubu/internal/web"
)

// MonitoringDeps are the services of the 24/7 monitoring pages.
type MonitoringDeps struct {
	Intake *intake.Service
	Detect *detect.Service
}

// monitoring serves the alert queue, rules, retro-hunts and intake pages.
type monitoring struct {
	*ui
	MonitoringDeps
}

// registerMonitoring adds the monitoring pages.
func (u *ui) registerMonitoring(rt *web.Router) {
	if u.Monitoring == nil || u.Monitoring.Detect == nil || u.Monitoring.Intake == nil {
		return
	}
	m := &monitoring{ui: u, MonitoringDeps: *u.Monitoring}
	rt.Handle(web.UI, "GET /alerts", authz.AlertRead, m.alertList)
	rt.Handle(web.UI, "GET /alerts/{id}", authz.AlertRead, m.alertDetail)
	rt.Handle(web.UI, "POST /alerts/{id}/action", authz.AlertUpdate, m.alertAction)

	rt.Handle(web.UI, "GET /rules", authz.RuleRead, m.ruleList)
	rt.Handle(web.UI, "POST /rules", authz.RuleManage, m.ruleCreate)
	rt.Handle(web.UI, "GET /rules/{id}", authz.RuleRead, m.ruleDetail)
	rt.Handle(web.UI, "POST /rules/{id}/enabled", authz.RuleManage, m.ruleEnabled)

	rt.Handle(web.UI, "GET /hunts", authz.HuntRead, m.huntList)
	rt.Handle(web.UI, "POST /hunts", authz.HuntCreate, m.huntCreate)
	rt.Handle(web.UI, "GET /hunts/{id}", authz.HuntRead, m.huntDetail)

	rt.Handle(web.UI, "GET /intake", authz.IntakeRead, m.intakeOverview)
	rt.Handle(web.UI, "POST /intake/tokens", authz.IntakeManage, m.intakeTokenCreate)
	rt.Handle(web.UI, "POST /intake/tokens/{id}/revoke", authz.IntakeManage, m.intakeTokenRevoke)
}

// huntForm is the "hunt with this rule" form shown on alert, rule and hunt
// pages: the last day by default.
type huntForm struct {
	RuleID    string
	From, To  string // datetime-local values, UTC
	TimeBasis string // detect.TimeEvent ("" too) or detect.TimeStored
}

const localTime = "2006-01-02T15:04"

func newHuntForm(ruleID string, now time.Time) huntForm {
	now = now.UTC()
	return huntForm{RuleID: ruleID, From: now.Add(-24 * time.Hour).Format(localTime), To: now.Add(time.Minute).Format(localTime)}
}

// parseLocal reads a datetime-local (taken as UTC) or RFC 3339 value.
func parseLocal(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{localTime, "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
