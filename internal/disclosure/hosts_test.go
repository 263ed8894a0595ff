package disclosure_test

import (
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestReportRoutingFollowsHostnameRecords: a VDP report goes to the system
// that owns its URL's hostname (registry's lookup). Another agency's admin
// cannot take the name (issue 8 item 7); when a platform administrator
// moves it, the very next report goes to the new owner (round 1 cached
// the old owner for 30 seconds).
func TestReportRoutingFollowsHostnameRecords(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		moeAdmin := authz.Actor{UserID: "u-moe-admin", Email: "admin@moe.example.gov", Role: authz.AgencyAdmin, AgencyID: e.agB.ID}
		report := func(url string) disclosure.Report {
			rc := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "XSS", Description: "q is reflected.", AffectedURL: url})
			r, err := e.svc.PublicReport(e.ctx, rc.TrackingID, rc.Token)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := report("https://x.api.healthhub.example.sg/a"); r.SystemID != e.sysA.ID {
			t.Fatalf("a name under HealthHub's wildcard went to %q", r.SystemID)
		}
		hosts := []string{"sls.example.sg", "healthhub.example.sg", "*.healthhub.example.sg"}
		if _, err := e.reg.UpdateSystem(e.ctx, moeAdmin, e.sysB.ID, registry.SystemInput{Hostnames: &hosts}); err == nil {
			t.Fatal("MOE's admin claimed MOH's hostname")
		}
		if r := report("https://healthhub.example.sg/a"); r.SystemID != e.sysA.ID || r.AgencyID != e.agA.ID {
			t.Fatalf("after a refused claim the report went to %q/%q", r.SystemID, r.AgencyID)
		}
		if _, err := e.reg.AssignHostname(e.ctx, e.admin, "healthhub.example.sg", e.sysB.ID); err != nil {
			t.Fatal(err)
		}
		if r := report("https://HEALTHHUB.example.sg:443/b"); r.SystemID != e.sysB.ID || r.AgencyID != e.agB.ID {
			t.Fatalf("the report after a move went to %q/%q, want SLS of MOE", r.SystemID, r.AgencyID)
		}
		if r := report("https://unknown.example.org/"); r.SystemID != "" || r.AgencyID != "" {
			t.Fatalf("a report on nobody's host was routed to %q", r.SystemID)
		}
	})
}
