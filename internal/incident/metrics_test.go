package incident_test

import (
	"context"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestMetrics: per agency and severity, the count, median and p90 of each
// clock and the breaches; agency roles get their agency's rows.
func TestMetrics(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		from := e.clock.Now()
		open := func(sev string, agencies ...string) string {
			inc, err := e.svc.Create(ctx, e.analyst, incident.NewIncident{Title: "x", Severity: sev, Category: "other", Agencies: agencies})
			if err != nil {
				t.Fatal(err)
			}
			return inc.ID
		}
		move := func(id, to string) {
			if _, err := e.svc.ChangeStatus(ctx, e.analyst, id, incident.StatusChange{Status: to}); err != nil {
				t.Fatal(err)
			}
		}
		// Three critical MOH incidents acknowledged after 10, 20 and 40 minutes
		// (the last breaches the 15-minute target… and so does the second).
		var crit []string
		for range 3 {
			crit = append(crit, open("critical", "MOH"))
		}
		e.clock.Add(10 * time.Minute)
		move(crit[0], "analysing")
		e.clock.Add(10 * time.Minute)
		move(crit[1], "analysing")
		e.clock.Add(20 * time.Minute)
		move(crit[2], "contained")
		shared := open("high", "MOH", "MOE") // opened at +40m, acknowledged 5 minutes later
		e.clock.Add(5 * time.Minute)
		move(shared, "analysing")

		m, err := e.svc.Metrics(ctx, e.analyst, from, e.clock.Now().Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Rows) != 3 { // MOE/high, MOH/critical, MOH/high
			t.Fatalf("rows %+v", m.Rows)
		}
		c := m.Rows[1]
		if c.Agency != "MOH" || c.Severity != "critical" || c.Count != 3 || c.Breaches != 2 || c.Breached["acknowledge"] != 2 ||
			c.Acknowledge.N != 3 || *c.Acknowledge.MedianS != 20*60 || *c.Acknowledge.P90S != 40*60 || c.Contain.N != 1 || *c.Contain.MedianS != 40*60 {
			t.Fatalf("MOH critical %+v", c)
		}
		if m.Rows[0].Agency != "MOE" || m.Rows[0].Count != 1 || *m.Rows[0].Acknowledge.MedianS != 5*60 || m.Rows[0].Breaches != 0 {
			t.Fatalf("MOE high %+v", m.Rows[0])
		}
		if len(m.BySeverity) != 2 || m.BySeverity[0].Severity != "critical" || m.BySeverity[1].Count != 1 { // the shared incident once
			t.Fatalf("by severity %+v", m.BySeverity)
		}
		mine, err := e.svc.Metrics(ctx, e.moeMember, from, e.clock.Now().Add(time.Second))
		if err != nil || len(mine.Rows) != 1 || mine.Rows[0].Agency != "MOE" || len(mine.BySeverity) != 1 {
			t.Fatalf("MOE's metrics %+v %v", mine, err)
		}
		if _, err := e.svc.Metrics(ctx, e.analyst, from, from); err == nil {
			t.Fatal("an empty range was accepted")
		}
	})
}
