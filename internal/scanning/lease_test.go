package scanning_test

import (
	"context"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/scan/farm"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestLeaseTakeover: a node that claims a scan and dies leaves it to
// another node once its lease lapses; the scan is recorded once. A scan
// started more than MaxAttempts times fails, and its names are due again
// after the retry interval instead of at once.
func TestLeaseTakeover(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		st, err := e.farm.Add(farm.Good("lease-" + string(db.Engine)))
		if err != nil {
			t.Fatal(err)
		}
		sys := e.system(t, e.aAdmin, "MOH", "Leased", st.Name)
		short := func(o *scanning.Options) { o.LeaseTTL = 300 * time.Millisecond }
		dead := e.service(t, "dead-node", short)
		sc, _, err := dead.Request(ctx, e.aAdmin, sys.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := dead.ClaimForTest(ctx, 10)
		if err != nil || len(ids) != 1 || ids[0] != sc.ID {
			t.Fatalf("claim %v %v", ids, err)
		}
		// A live node cannot take it while the lease holds.
		live := e.service(t, "live-node", short)
		if ids, err := live.ClaimForTest(ctx, 10); err != nil || len(ids) != 0 {
			t.Fatalf("took a leased scan: %v %v", ids, err)
		}
		stop := start(t, live)
		d := waitScan(t, live, e.aAdmin, sc.ID)
		stop()
		if d.Status != "done" || len(d.Results) != 1 {
			t.Fatalf("taken over: %s, %d results", d.Status, len(d.Results))
		}
		var attempts int
		db.R().QueryRowContext(ctx, `SELECT attempts FROM scans WHERE id = $1`, sc.ID).Scan(&attempts)
		if attempts != 2 {
			t.Fatalf("attempts %d, want 2 (the dead node's and the live one's)", attempts)
		}

		// A scan that keeps dying fails.
		st2, err := e.farm.Add(farm.Good("doomed-" + string(db.Engine)))
		if err != nil {
			t.Fatal(err)
		}
		sys2 := e.system(t, e.aAdmin, "MOH", "Doomed", st2.Name)
		flaky := e.service(t, "flaky", func(o *scanning.Options) { o.LeaseTTL, o.MaxAttempts = time.Millisecond, 2 })
		sc2, _, err := flaky.Request(ctx, e.aAdmin, sys2.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			time.Sleep(5 * time.Millisecond) // the 1 ms lease lapses
			if _, err := flaky.ClaimForTest(ctx, 10); err != nil {
				t.Fatal(err)
			}
		}
		got, err := flaky.Get(ctx, e.aAdmin, sc2.ID)
		if err != nil || got.Status != "failed" || got.Error == "" {
			t.Fatalf("after 3 starts: %+v %v", got.Scan, err)
		}
		names, _ := flaky.Names(ctx, e.aAdmin, sys2.ID)
		if len(names) != 1 || names[0].Queued || names[0].NextDueAt == nil || time.Until(*names[0].NextDueAt) < 23*time.Hour {
			t.Fatalf("a failed scan's name: %+v", names)
		}
	})
}
