package importing

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/imports"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
	"github.com/kubu-gov/kubu/internal/validate"
)

type fixture struct {
	w   *testkit.World
	f   *findings.Service
	svc *Service
}

func newFixture(t *testing.T, db *store.DB) fixture {
	w := testkit.New(t, db)
	f := findings.New(db, w.Audit, w.Registry)
	return fixture{w: w, f: f, svc: New(db, w.Audit, w.Registry, f)}
}

func newService(db *store.DB, w *testkit.World) *Service {
	return New(db, w.Audit, w.Registry, findings.New(db, w.Audit, w.Registry))
}

func importFile(t *testing.T, svc *Service, a authz.Actor, systemID string, format imports.Format, path string) Run {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	run, err := svc.Import(context.Background(), a, systemID, format, fh)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return run
}

// TestImportLifecycleStored imports each format's fixtures into a system
// on each engine: v1 creates findings (source import, with CVSS, CWE,
// tool and location); v1 again creates nothing; v2 (an item gone) closes
// its finding as fixed with the reason, through the findings domain,
// audited; v3 (the item back) reopens it. Each run is recorded.
func TestImportLifecycleStored(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		fx := newFixture(t, db)
		ctx := context.Background()
		member := fx.w.Actor(authz.AgencyMember, "MOH")
		for _, tc := range []struct {
			format               imports.Format
			dir, ext             string
			first, again, v2, v3 imports.Counts
		}{
			{imports.SARIF, "sarif", ".sarif", imports.Counts{Created: 7}, imports.Counts{Unchanged: 7},
				imports.Counts{Updated: 2, Unchanged: 4, Closed: 1}, imports.Counts{Updated: 2, Unchanged: 4, Reopened: 1}},
			{imports.Trivy, "trivy", ".json", imports.Counts{Created: 6}, imports.Counts{Unchanged: 6},
				imports.Counts{Updated: 1, Unchanged: 4, Closed: 1}, imports.Counts{Updated: 1, Unchanged: 4, Reopened: 1}},
			{imports.Nuclei, "nuclei", ".jsonl", imports.Counts{Created: 4}, imports.Counts{Unchanged: 4},
				imports.Counts{Updated: 2, Unchanged: 1, Closed: 1}, imports.Counts{Updated: 2, Unchanged: 1, Reopened: 1}},
			{imports.ZAP, "zap", ".json", imports.Counts{Created: 3}, imports.Counts{Unchanged: 3},
				imports.Counts{Updated: 1, Unchanged: 1, Closed: 1}, imports.Counts{Updated: 1, Unchanged: 1, Reopened: 1}},
			{imports.CycloneDXVEX, "cyclonedx", ".cdx.json", imports.Counts{Created: 2}, imports.Counts{Unchanged: 2},
				imports.Counts{Updated: 1, Closed: 1}, imports.Counts{Updated: 1, Reopened: 1}},
			{imports.XCCDF, "xccdf", ".xml", imports.Counts{Created: 3}, imports.Counts{Unchanged: 3},
				imports.Counts{Updated: 1, Unchanged: 1, Closed: 1}, imports.Counts{Updated: 1, Unchanged: 1, Reopened: 1}},
		} {
			t.Run(string(tc.format), func(t *testing.T) {
				sys := fx.w.System(t, "MOH", "app-"+string(tc.format))
				file := func(v string) string {
					return filepath.Join("..", "imports", "testdata", tc.dir, v+tc.ext)
				}
				check := func(v string, want imports.Counts) Run {
					t.Helper()
					run := importFile(t, fx.svc, member, sys.ID, tc.format, file(v))
					if run.Counts != want {
						t.Errorf("%s: counts %+v, want %+v", v, run.Counts, want)
					}
					return run
				}
				check("v1", tc.first)
				list, err := fx.f.List(ctx, member, findings.Filter{SystemID: sys.ID, Sources: []string{"import"}, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if len(list.Items) != tc.first.Created {
					t.Fatalf("v1 made %d findings, want %d", len(list.Items), tc.first.Created)
				}
				for _, f := range list.Items {
					if f.Source != "import" || f.Status != "open" || !strings.Contains(f.Description, "Tool: ") {
						t.Errorf("imported finding %q: source %s status %s, description without the tool:\n%s", f.Title, f.Source, f.Status, f.Description)
					}
				}
				check("v1", tc.again)
				check("v2", tc.v2)
				closed := closedFindings(t, fx, member, sys.ID)
				if len(closed) != 1 {
					t.Fatalf("after v2: %d findings fixed, want 1", len(closed))
				}
				hist, err := fx.f.History(ctx, member, closed[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				if hist[0].Code != audit.FindingStatusChanged.ID || !strings.Contains(string(hist[0].After), `"reason":`) ||
					!strings.Contains(string(hist[0].After), string(tc.format)+" import") || !strings.Contains(string(hist[0].After), `"status":"fixed"`) {
					t.Errorf("the close is not audited with its reason: %s %s", hist[0].Code, hist[0].After)
				}
				check("v3", tc.v3)
				if again, err := fx.f.Get(ctx, member, closed[0].ID); err != nil || again.Status != "open" {
					t.Errorf("after v3 the finding is %q (%v), want open", again.Status, err)
				}
				runs, err := fx.svc.Runs(ctx, member, sys.ID, 10)
				if err != nil || len(runs) != 4 {
					t.Fatalf("runs: %d (%v), want 4", len(runs), err)
				}
				if runs[0].Reopened != 1 || runs[0].By != member.Email || runs[0].Bytes == 0 || len(runs[0].Tools) == 0 {
					t.Errorf("latest run %+v", runs[0])
				}
				at, ok, err := fx.svc.LatestImport(ctx, sys.ID)
				if err != nil || !ok || !at.Equal(runs[0].FinishedAt) {
					t.Errorf("LatestImport = %v %v %v, want %v", at, ok, err, runs[0].FinishedAt)
				}
			})
		}
	})
}

func closedFindings(t *testing.T, fx fixture, a authz.Actor, systemID string) []findings.Finding {
	t.Helper()
	list, err := fx.f.List(context.Background(), a, findings.Filter{SystemID: systemID, Sources: []string{"import"}, Statuses: []string{"fixed"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// TestImportKeepsCVSSAndCWE checks what the findings table keeps of a
// SARIF item: the CVSS score, the first CWE, the rule as source_ref.
func TestImportKeepsCVSSAndCWE(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	fx := newFixture(t, db)
	sys := fx.w.System(t, "MOH", "portal")
	importFile(t, fx.svc, testkit.Root, sys.ID, imports.Trivy, filepath.Join("..", "imports", "testdata", "trivy", "v1.json"))
	list, err := fx.f.List(context.Background(), testkit.Root, findings.Filter{SystemID: sys.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var withCVSS, withCWE int
	for _, f := range list.Items {
		if f.CVSSScore != nil && f.CVSSVector != "" {
			withCVSS++
		}
		if f.CWE != nil {
			withCWE++
		}
		if f.SourceRef == "" {
			t.Errorf("finding %q has no rule as source_ref", f.Title)
		}
	}
	if withCVSS == 0 || withCWE == 0 {
		t.Errorf("of %d findings, %d kept a CVSS vector and %d a CWE; want some of each", len(list.Items), withCVSS, withCWE)
	}
}

// TestImportAccess: an agency's people import into their own systems; a
// system of another agency answers not found; a researcher has no grant.
func TestImportAccess(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	fx := newFixture(t, db)
	moe := fx.w.System(t, "MOE", "school")
	body := func() *strings.Reader { return strings.NewReader(`{"matched-at":"x"}`) }
	_, err := fx.svc.Import(context.Background(), fx.w.Actor(authz.AgencyAdmin, "MOH"), moe.ID, imports.Nuclei, body())
	if !errors.Is(err, authz.ErrNotFound) {
		t.Errorf("MOH importing into MOE's system: %v, want not found", err)
	}
	_, err = fx.svc.Import(context.Background(), authz.Actor{UserID: "r", Role: authz.Researcher}, moe.ID, imports.Nuclei, body())
	if !errors.Is(err, authz.ErrForbidden) {
		t.Errorf("researcher importing: %v, want forbidden", err)
	}
	_, err = fx.svc.Import(context.Background(), fx.w.Actor(authz.Analyst, ""), moe.ID, imports.Nuclei, strings.NewReader(""))
	if err != nil {
		t.Errorf("central analyst importing an empty Nuclei file: %v", err)
	}
}

// TestImportBadFileChangesNothing: a file that fails half way answers a
// validation error naming where, and leaves no finding or run behind.
func TestImportBadFileChangesNothing(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	fx := newFixture(t, db)
	sys := fx.w.System(t, "MOH", "portal")
	good, err := os.ReadFile(filepath.Join("..", "imports", "testdata", "nuclei", "v1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = fx.svc.Import(context.Background(), testkit.Root, sys.ID, imports.Nuclei, strings.NewReader(string(good)+"{not json\n"))
	var ve validate.Errors
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "result 5") {
		t.Fatalf("broken file: %v, want a validation error naming the fifth result", err)
	}
	list, err := fx.f.List(context.Background(), testkit.Root, findings.Filter{SystemID: sys.ID, Limit: 100})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("a failed import left %d findings (%v)", len(list.Items), err)
	}
	if runs, _ := fx.svc.Runs(context.Background(), testkit.Root, sys.ID, 10); len(runs) != 0 {
		t.Errorf("a failed import left %d runs", len(runs))
	}
	if _, ok, _ := fx.svc.LatestImport(context.Background(), sys.ID); ok {
		t.Error("LatestImport reports a failed import")
	}
}
