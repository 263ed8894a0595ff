package scanning_test

import (
	"context"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/scan"
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

// TestStopHandsScansBack: a node told to stop (SIGTERM) returns within
// StopGrace even while a scan waits on a server that never answers, and
// the scan goes back to the queue for another node.
func TestStopHandsScansBack(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		st, err := e.farm.Add(farm.Target{Label: "silent-" + string(db.Engine), SilentTLS: true, Site: farm.Site{HTTP: "serve"}})
		if err != nil {
			t.Fatal(err)
		}
		sys := e.system(t, e.aAdmin, "MOH", "Silent", st.Name)
		svc := e.service(t, "stopping", func(o *scanning.Options) {
			o.Engine.Timeouts = scan.Timeouts{DNS: 2 * time.Second, Handshake: 20 * time.Second, HTTP: 20 * time.Second, Check: time.Minute}
		})
		sc, _, err := svc.Request(ctx, e.aAdmin, sys.ID)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- svc.Run(runCtx) }()
		for {
			d, err := svc.Get(ctx, e.aAdmin, sc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status == "running" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // into the silent handshake
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(scanning.StopGrace + 5*time.Second):
			t.Fatal("Run did not return after it was told to stop")
		}
		if d := time.Since(start); d > scanning.StopGrace+time.Second {
			t.Errorf("stopping took %s", d)
		}
		var status, owner string
		db.R().QueryRowContext(ctx, `SELECT status, lease_owner FROM scans WHERE id = $1`, sc.ID).Scan(&status, &owner)
		if status != "queued" || owner != "" {
			t.Fatalf("after the stop the scan is %s held by %q, want queued for another node", status, owner)
		}
	})
}
