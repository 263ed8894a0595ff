package detect

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestAlertsCarryTheSystem (issue 8 item 16): an alert names the system
// its host belongs to by registry's hostname lookup (exact name, then the
// closest wildcard), stored on the alert and filterable; a host of another
// agency's system is not taken; the level ranks on the one scale.
func TestAlertsCarryTheSystem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, Options{Workers: 1})
		system := func(agency, name string, hosts ...string) registry.System {
			s, err := e.reg.CreateSystem(ctx, root, registry.SystemInput{Agency: agency, Name: &name, Hostnames: &hosts})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		portal := system("MOH", "Portal", "portal.moh.example")
		dcs := system("MOH", "Domain controllers", "*.dc.moh.example")
		sls := system("MOE", "SLS", "ws9.moe.example")
		e.addRule(t, ruleFailedLogon)
		e.start(t)
		now := time.Now().UTC().Truncate(time.Millisecond)
		e.publish(t, "MOH",
			ev("MOH", "PORTAL.moh.example.", now, failedLogon("a")),
			ev("MOH", "dc01.dc.moh.example", now, failedLogon("b")),
			ev("MOH", "ws9.moe.example", now, failedLogon("c")), // MOE's host named by MOH's shipper
			ev("MOH", "laptop-17", now, failedLogon("d")))
		e.publish(t, "MOE", ev("MOE", "ws9.moe.example:514", now, failedLogon("e")))
		waitFor(t, "alerts", func() bool { return len(e.alerts(t, AlertFilter{})) == 5 })
		got := map[string]Alert{}
		for _, a := range e.alerts(t, AlertFilter{}) {
			got[a.Agency+"/"+a.Group["host"]] = a
		}
		for key, want := range map[string]registry.System{
			"MOH/PORTAL.moh.example.": portal,
			"MOH/dc01.dc.moh.example": dcs,
			"MOH/ws9.moe.example":     {},
			"MOH/laptop-17":           {},
			"MOE/ws9.moe.example:514": sls,
		} {
			a, ok := got[key]
			if !ok {
				t.Fatalf("no alert for %s in %v", key, got)
			}
			if a.SystemID != want.ID || a.System != want.Name {
				t.Errorf("%s: system %q %q, want %q %q", key, a.SystemID, a.System, want.ID, want.Name)
			}
		}
		if list := e.alerts(t, AlertFilter{SystemID: dcs.ID}); len(list) != 1 || list[0].Group["host"] != "dc01.dc.moh.example" {
			t.Fatalf("filtered by system: %+v", list)
		}
		member := authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: e.agencies["MOE"]}
		if page, err := e.s.ListAlerts(ctx, member, AlertFilter{SystemID: portal.ID}); err != nil || len(page.Items) != 0 {
			t.Fatalf("MOE's member filtering by MOH's system: %+v %v", page.Items, err)
		}
		one, err := e.s.AlertByID(ctx, analyst, got["MOH/PORTAL.moh.example."].ID)
		if err != nil || one.System != "Portal" {
			t.Fatalf("AlertByID: %+v %v", one, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM alerts WHERE level = 'high' AND level_rank = 4`); n != 5 {
			t.Fatalf("%d alerts ranked 4 (high on the one scale), want 5", n)
		}
	})
}

// TestAlertJSONColumnsFailLoudly (issue 8 item 18): an alert whose stored
// tags are not JSON is an error to read, not an alert without tags.
func TestAlertJSONColumnsFailLoudly(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, Options{Workers: 1})
		e.addRule(t, ruleFailedLogon)
		e.start(t)
		e.publish(t, "MOH", ev("MOH", "dc01", time.Now(), failedLogon("a")))
		waitFor(t, "the alert", func() bool { return len(e.alerts(t, AlertFilter{})) == 1 })
		id := e.alerts(t, AlertFilter{})[0].ID
		e.stop()
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE alerts SET tags = '["attack.t1110"' WHERE id = $1`, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if a, err := e.s.AlertByID(ctx, analyst, id); err == nil || !strings.Contains(err.Error(), id) {
			t.Fatalf("broken tags read as %+v, %v", a, err)
		}
		if _, err := e.s.ListAlerts(ctx, analyst, AlertFilter{}); err == nil {
			t.Fatal("a list with a broken alert answered without an error")
		}
	})
}
