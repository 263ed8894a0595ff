package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/oscal"
	"github.com/kubu-gov/kubu/internal/policy"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Deviations (IM8 pm-4): asked with a reason and an expiry, approved by
// another, met while valid, not met once expired, met again once renewed.
func TestDeviationLifecycle(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.loadIM8(t)
		ctx := context.Background()
		sys := e.w.System(t, "MOH", "Clinic Booking") // medium criticality → Level 1
		agencyAdmin := e.w.Actor(authz.AgencyAdmin, "MOH")
		approver := e.w.Actor(authz.WogAdmin, "")
		// Record a manual control as planned: not met.
		p, err := e.svc.UpdatePlan(ctx, agencyAdmin, sys.ID, policy.PlanInput{Controls: []policy.PlanControlInput{
			{ControlID: "ac-1", Status: "planned", Evidence: []string{"ticket CHG-12"}, Description: "SSO rollout in Q3"}}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.ProfileReason, "Level 1") || len(p.Controls) != 90 {
			t.Fatalf("medium system: %s, %d controls", p.ProfileReason, len(p.Controls))
		}
		if c := control(t, p, "ac-1"); c.Status != "planned" || c.Result != policy.NotMet || c.Evidence[0] != "ticket CHG-12" {
			t.Errorf("ac-1 = %+v", c)
		}
		// Sending the plan back as read changes nothing and is allowed.
		var back policy.PlanInput
		raw, _ := json.Marshal(p)
		if err := json.Unmarshal(raw, &struct {
			Controls *[]policy.PlanControlInput `json:"controls"`
		}{&back.Controls}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdatePlan(ctx, agencyAdmin, sys.ID, back); err != nil {
			t.Fatalf("round trip: %v", err)
		}
		// A deviation through the plan: pending, still not met.
		exp := e.clock.Now().Add(90 * 24 * time.Hour)
		p, err = e.svc.UpdatePlan(ctx, agencyAdmin, sys.ID, policy.PlanInput{Controls: []policy.PlanControlInput{
			{ControlID: "ac-1", Status: "deviation", Deviation: &policy.DeviationInput{Reason: "legacy system retires in June", ExpiresAt: exp}}}})
		if err != nil {
			t.Fatal(err)
		}
		c := control(t, p, "ac-1")
		if c.Result != policy.NotMet || len(c.Pending) != 1 {
			t.Fatalf("after the request ac-1 = %s, %d pending", c.Result, len(c.Pending))
		}
		devID := c.Pending[0].ID
		// The agency cannot approve; the requester cannot approve their own.
		if _, err := e.svc.DecideDeviation(ctx, agencyAdmin, devID, true, ""); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("agency admin approves: %v", err)
		}
		self, err := e.svc.RequestDeviation(ctx, approver, sys.ID, policy.DeviationRequest{ControlID: "ac-2", Reason: "shared account", ExpiresAt: exp})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.DecideDeviation(ctx, approver, self.ID, true, ""); !errors.Is(err, validate.ErrConflict) {
			t.Errorf("approving one's own deviation: %v", err)
		}
		// Another approves: the control counts as met.
		d, err := e.svc.DecideDeviation(ctx, approver, devID, true, "IDSC minute 2026-14")
		if err != nil || d.Status != "approved" || d.ApprovedBy != approver.Email {
			t.Fatalf("approve: %+v %v", d, err)
		}
		p, _ = e.svc.Plan(ctx, agencyAdmin, sys.ID)
		if c := control(t, p, "ac-1"); c.Status != "deviation" || c.Result != policy.Met || c.Deviation == nil || c.Deviation.ApprovedBy != approver.Email {
			t.Errorf("approved ac-1 = %+v", c)
		}
		// It expires: not met again, with the reason.
		e.clock.Add(91 * 24 * time.Hour)
		p, _ = e.svc.Plan(ctx, agencyAdmin, sys.ID)
		c = control(t, p, "ac-1")
		if c.Result != policy.NotMet || !strings.Contains(c.Reason, "expired") || c.Deviation.Status != "expired" {
			t.Errorf("expired ac-1 = %s: %s", c.Result, c.Reason)
		}
		if ds, err := e.svc.Deviations(ctx, agencyAdmin, policy.DeviationFilter{Status: "expired"}); err != nil || len(ds.Items) != 1 {
			t.Errorf("expired deviations: %d %v", len(ds.Items), err)
		}
		// Renewed and approved again: met.
		r, err := e.svc.RenewDeviation(ctx, agencyAdmin, devID, e.clock.Now().Add(30*24*time.Hour), "")
		if err != nil || r.RenewalOf != devID || r.Reason != "legacy system retires in June" {
			t.Fatalf("renew: %+v %v", r, err)
		}
		if _, err := e.svc.DecideDeviation(ctx, approver, r.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		p, _ = e.svc.Plan(ctx, agencyAdmin, sys.ID)
		if c := control(t, p, "ac-1"); c.Result != policy.Met {
			t.Errorf("renewed ac-1 = %s: %s", c.Result, c.Reason)
		}
		// Every change is in the audit log.
		recs, err := e.w.Audit.List(ctx, audit.Filter{AllAgencies: true, TargetType: "plan_deviation", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		codes := map[string]int{}
		for _, rec := range recs {
			codes[rec.Code]++
		}
		if codes[policy.DeviationAsked.ID] != 3 || codes[policy.DeviationApproved.ID] != 2 {
			t.Errorf("audit codes = %v", codes)
		}
	})
}

func TestPlanScopeAndProfileOverride(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ids := e.loadIM8(t)
		ctx := context.Background()
		sys := e.w.System(t, "MOH", "Portal")
		// Another agency's plan answers like a missing one.
		for _, a := range []authz.Actor{e.w.Actor(authz.AgencyMember, "MOE"), e.w.Actor(authz.AgencyAdmin, "MOE")} {
			if _, err := e.svc.Plan(ctx, a, sys.ID); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("%s of MOE reads MOH's plan: %v", a.Role, err)
			}
			if _, err := e.svc.UpdatePlan(ctx, a, sys.ID, policy.PlanInput{}); !errors.Is(err, authz.ErrNotFound) {
				t.Errorf("%s of MOE writes MOH's plan: %v", a.Role, err)
			}
		}
		if _, err := e.svc.Plan(ctx, e.w.Actor(authz.Researcher, ""), sys.ID); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("researcher reads a plan: %v", err)
		}
		if _, err := e.svc.Plan(ctx, e.w.Actor(authz.Analyst, ""), sys.ID); err != nil {
			t.Errorf("analyst reads a plan: %v", err)
		}
		// Only a wog-admin chooses the profile.
		l0 := ids[0]
		if _, err := e.svc.UpdatePlan(ctx, e.w.Actor(authz.AgencyAdmin, "MOH"), sys.ID, policy.PlanInput{ProfileID: &l0}); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("agency admin overrides the profile: %v", err)
		}
		p, err := e.svc.UpdatePlan(ctx, testkit.Root, sys.ID, policy.PlanInput{ProfileID: &l0})
		if err != nil || p.ProfileID != l0 || p.ProfileChosen != "override" || len(p.Controls) != 6 {
			t.Fatalf("override: %v %s %s %d", err, p.ProfileID, p.ProfileChosen, len(p.Controls))
		}
		bad := "ac-1"
		_, err = e.svc.UpdatePlan(ctx, testkit.Root, sys.ID, policy.PlanInput{Controls: []policy.PlanControlInput{{ControlID: bad, Status: "implemented"}}})
		if !strings.Contains(errString(err), "not a control of the plan's profile") {
			t.Errorf("a control outside the profile: %v", err)
		}
		_, err = e.svc.UpdatePlan(ctx, testkit.Root, sys.ID, policy.PlanInput{Controls: []policy.PlanControlInput{{ControlID: "pm-3", Status: "done"}}})
		if !strings.Contains(errString(err), "controls[0].status") {
			t.Errorf("a bad status: %v", err)
		}
		back := ""
		p, err = e.svc.UpdatePlan(ctx, testkit.Root, sys.ID, policy.PlanInput{ProfileID: &back})
		if err != nil || p.ProfileChosen != "default" || len(p.Controls) != 90 {
			t.Errorf("back to the default: %v %s %d", err, p.ProfileChosen, len(p.Controls))
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestOSCALExports(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db)
	e.loadIM8(t)
	ctx := context.Background()
	crit := "critical"
	name := "Payments"
	sys, err := e.w.Registry.CreateSystem(ctx, testkit.Root, registry.SystemInput{Agency: "MOH", Name: &name, Criticality: &crit})
	if err != nil {
		t.Fatal(err)
	}
	ssp, err := e.svc.SSP(ctx, testkit.Root, sys.ID, "https://kubu.example")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := oscal.Write(&buf, "system-security-plan", ssp); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SSP struct {
			UUID          string `json:"uuid"`
			ImportProfile struct {
				Href string `json:"href"`
			} `json:"import-profile"`
			ControlImplementation struct {
				Reqs []struct {
					ControlID string `json:"control-id"`
				} `json:"implemented-requirements"`
			} `json:"control-implementation"`
		} `json:"system-security-plan"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.SSP.ControlImplementation.Reqs) != 118 || !strings.HasPrefix(doc.SSP.ImportProfile.Href, "https://kubu.example/api/v1/profiles/") {
		t.Errorf("ssp: %d requirements, profile %s", len(doc.SSP.ControlImplementation.Reqs), doc.SSP.ImportProfile.Href)
	}
	again, _ := e.svc.SSP(ctx, testkit.Root, sys.ID, "https://kubu.example")
	if again.UUID != ssp.UUID {
		t.Errorf("the plan's uuid changed between exports: %s %s", ssp.UUID, again.UUID)
	}
	ar, err := e.svc.AssessmentResults(ctx, testkit.Root, sys.ID, "https://kubu.example")
	if err != nil {
		t.Fatal(err)
	}
	// The system has no hostnames and no findings: st-3, st-4 (in VDP, an
	// import) are assessed by the fakes; the scan-based ones are not.
	got := map[string]string{}
	for _, f := range ar.Results[0].Findings {
		got[f.Target.TargetID] = f.Target.Status.State
	}
	if got["st-4_smt"] != "satisfied" || got["lm-12_smt"] != "satisfied" {
		t.Errorf("assessment results = %v", got)
	}
	if _, ok := got["st-5_smt"]; ok {
		t.Errorf("a control without evidence was exported as assessed: %v", got)
	}
	other := e.w.System(t, "MOE", "Other")
	if _, err := e.svc.SSP(ctx, e.w.Actor(authz.AgencyMember, "MOH"), other.ID, ""); !errors.Is(err, authz.ErrNotFound) {
		t.Errorf("export of another agency's plan: %v", err)
	}
}
