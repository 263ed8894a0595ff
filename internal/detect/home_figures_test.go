package detect

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestHomeFigures: on both engines, the analyst's home figures count what
// the consumer stored — events per minute per source (one minute back is
// its own slot, the pruning keeps a day), open alerts by agency, level and
// status, and the oldest unacknowledged first — and an agency's member
// sees only their agency's.
func TestHomeFigures(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, Options{Workers: 1, SilenceAfter: -1}) // no silence alerts: the pruning still runs
		e.addRule(t, ruleFailedLogon)
		now := time.Now().UTC().Truncate(time.Millisecond)
		e.s.now = func() time.Time { return now }
		e.start(t)
		e.publish(t, "MOH",
			ev("MOH", "dc01", now.Add(-time.Minute), failedLogon("alice")),
			ev("MOH", "dc01", now, failedLogon("bob")),
			ev("MOH", "dc01", now, map[string]any{"EventID": 4624}),
			ev("MOH", "dc02", now.Add(-2*time.Minute), failedLogon("carol")),
			ev("MOH", "old", now.Add(-25*time.Hour), map[string]any{"EventID": 1}))
		e.publish(t, "MOE", ev("MOE", "ws9", now, failedLogon("dave")))
		waitFor(t, "alerts", func() bool { return len(e.alerts(t, AlertFilter{})) == 3 })
		waitFor(t, "sources", func() bool { return count(t, db, `SELECT COUNT(*) FROM source_last_seen`) == 4 })
		ctx := context.Background()

		rates, err := e.s.EventRates(ctx, analyst, 60)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]int64{}
		for _, r := range rates {
			got[r.Agency+"/"+r.Host] = r.PerMinute[57:]
			if len(r.PerMinute) != 60 {
				t.Fatalf("%d minutes, want 60", len(r.PerMinute))
			}
		}
		if len(rates) != 3 || rates[0].Host != "dc01" || rates[0].Total != 3 {
			t.Fatalf("rates %+v, want dc01 busiest with 3 and the day-old source left out", rates)
		}
		for k, want := range map[string][]int64{"MOH/dc01": {0, 1, 2}, "MOH/dc02": {1, 0, 0}, "MOE/ws9": {0, 0, 1}} {
			if g := got[k]; len(g) != 3 || g[0] != want[0] || g[1] != want[1] || g[2] != want[2] {
				t.Errorf("%s last minutes %v, want %v", k, g, want)
			}
		}
		member := authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: e.agencies["MOE"]}
		if mr, err := e.s.EventRates(ctx, member, 60); err != nil || len(mr) != 1 || mr[0].Host != "ws9" {
			t.Fatalf("MOE member's rates %+v %v", mr, err)
		}
		if _, err := e.s.EventRates(ctx, authz.Actor{UserID: "r", Role: authz.Researcher}, 60); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("researcher's rates: %v", err)
		}

		// The leader's pass prunes counts older than a day.
		if _, err := e.s.checkSilence(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM source_minutes WHERE host = 'old'`); n != 0 {
			t.Errorf("%d day-old minute rows kept", n)
		}

		alerts := e.alerts(t, AlertFilter{})
		var dc02 Alert
		for _, a := range alerts {
			if a.Group["host"] == "dc02" {
				dc02 = a
			}
		}
		oldest, err := e.s.OldestUnacknowledged(ctx, analyst, 5)
		if err != nil || len(oldest) != 3 || oldest[0].ID != dc02.ID {
			t.Fatalf("oldest unacknowledged %v %v, want dc02's alert first", oldest, err)
		}
		if _, err := e.s.UpdateAlert(ctx, analyst, dc02.ID, AlertChange{Status: StatusAcknowledged}); err != nil {
			t.Fatal(err)
		}
		counts, err := e.s.ActiveAlertCounts(ctx, analyst)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]int{}
		for _, c := range counts {
			by[c.Agency+"/"+c.Level+"/"+c.Status] += c.N
		}
		if by["MOH/high/open"] != 1 || by["MOH/high/acknowledged"] != 1 || by["MOE/high/open"] != 1 || len(by) != 3 {
			t.Fatalf("counts %v", by)
		}
		if oldest, _ := e.s.OldestUnacknowledged(ctx, analyst, 5); len(oldest) != 2 {
			t.Fatalf("%d unacknowledged after acknowledging one, want 2", len(oldest))
		}
		if mc, err := e.s.ActiveAlertCounts(ctx, member); err != nil || len(mc) != 1 || mc[0].Agency != "MOE" {
			t.Fatalf("MOE member's counts %+v %v", mc, err)
		}
	})
}
