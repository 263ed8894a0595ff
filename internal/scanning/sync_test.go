package scanning_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scan/farm"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestOnlyRegisteredNamesAreScanned: targets follow the registry (names
// added, moved to another system, removed; wildcards and addresses are
// never targets); a name removed while its scan waits is not scanned; the
// open findings of a name that left a system are closed with the reason.
func TestOnlyRegisteredNamesAreScanned(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		weak := farm.Good("gone-" + string(db.Engine))
		weak.Site.Headers = nil // no HSTS, no headers
		h1, err := e.farm.Add(weak)
		if err != nil {
			t.Fatal(err)
		}
		h2, err := e.farm.Add(farm.Good("stays-" + string(db.Engine)))
		if err != nil {
			t.Fatal(err)
		}
		s1 := e.system(t, e.aAdmin, "MOH", "Portal", h1.Name, h2.Name, "*.portal.example", "192.0.2.7")
		s2 := e.system(t, e.admin, "MOE", "Schools")
		svc := e.service(t, "node-1", func(o *scanning.Options) { o.SyncEvery = time.Hour }) // syncs only when told
		added, moved, removed, err := svc.Sync(ctx)
		if err != nil || added != 2 || moved != 0 || removed != 0 {
			t.Fatalf("first sync: +%d ~%d -%d %v, want the two host names only", added, moved, removed, err)
		}
		first, _, err := svc.Request(ctx, e.aAdmin, s1.ID)
		if err != nil {
			t.Fatal(err)
		}
		stop := start(t, svc)
		waitScan(t, svc, e.aAdmin, first.ID)
		stop()
		fs := scanFindings(t, e, e.aMember, s1.ID)
		hsts, ok := fs["hsts.missing"]
		if !ok || hsts.Status != "open" || !strings.HasPrefix(hsts.Title, h1.Name) {
			t.Fatalf("no open hsts.missing finding for %s: %v", h1.Name, keysOf(fs))
		}

		// h1 leaves the system while a scan of it waits: it is not scanned,
		// and its findings close.
		second, _, err := svc.Request(ctx, e.aAdmin, s1.ID)
		if err != nil || !slices.Contains(second.Hostnames, h1.Name) {
			t.Fatalf("second request %+v %v", second, err)
		}
		only := []string{h2.Name}
		if _, err := e.reg.UpdateSystem(ctx, e.aAdmin, s1.ID, registry.SystemInput{Hostnames: &only}); err != nil {
			t.Fatal(err)
		}
		run(t, svc)
		d := waitScan(t, svc, e.aAdmin, second.ID)
		for _, r := range d.Results {
			if r.Name == h1.Name {
				t.Fatalf("%s was scanned after it left the system", h1.Name)
			}
		}
		if len(d.Results) != 1 {
			t.Fatalf("%d results, want %s's only", len(d.Results), h2.Name)
		}
		// The node re-reads the targets when it meets a name that left
		// (or at its next sync): h1 is no longer a target.
		if _, _, _, err := svc.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if names, _ := svc.Names(ctx, e.aAdmin, s1.ID); len(names) != 1 || names[0].Hostname != h2.Name {
			t.Fatalf("names after the removal: %+v", names)
		}
		var left int
		db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM scan_targets WHERE hostname = $1`, h1.Name).Scan(&left)
		if left != 0 {
			t.Fatalf("%s is still a target", h1.Name)
		}
		fs = scanFindings(t, e, e.aMember, s1.ID)
		for check, f := range fs {
			if strings.HasPrefix(f.Title, h1.Name) && f.Status != "fixed" {
				t.Errorf("%s finding %s is %s after the name left the system", h1.Name, check, f.Status)
			}
		}
		hist, _ := e.find.History(ctx, e.aMember, hsts.ID)
		if len(hist) == 0 || !strings.Contains(string(hist[0].After), "no longer registered") {
			t.Fatalf("history of the closed finding: %+v", hist)
		}

		// h2 moves to MOE's system: the target follows it.
		none := []string{}
		if _, err := e.reg.UpdateSystem(ctx, e.aAdmin, s1.ID, registry.SystemInput{Hostnames: &none}); err != nil {
			t.Fatal(err)
		}
		moveTo := []string{h2.Name}
		if _, err := e.reg.UpdateSystem(ctx, e.admin, s2.ID, registry.SystemInput{Hostnames: &moveTo}); err != nil {
			t.Fatal(err)
		}
		if _, moved, _, err := svc.Sync(ctx); err != nil || moved != 1 {
			t.Fatalf("sync after the move: ~%d %v", moved, err)
		}
		names, err := svc.Names(ctx, e.admin, s2.ID)
		if err != nil || len(names) != 1 || !names[0].Target || names[0].Latest != nil {
			t.Fatalf("MOE's names %+v %v (a moved name starts a new history)", names, err)
		}
		if _, _, err := svc.Request(ctx, e.aAdmin, s1.ID); err == nil || !strings.Contains(err.Error(), "no hostnames") {
			t.Fatalf("request for a system without names: %v", err)
		}
	})
}
