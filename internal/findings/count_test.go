package findings_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestCountMatchesList: on both engines Count gives the number of
// findings List returns over every page, for the same filter and scope.
func TestCountMatchesList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		for i, in := range []struct {
			sys      string
			severity string
		}{{e.sysA.ID, "high"}, {e.sysA.ID, "low"}, {e.sysA.ID, "high"}, {e.sysB.ID, "high"}} {
			if _, err := e.svc.Create(ctx, e.admin, findings.NewFinding{SystemID: in.sys, Source: "scan", Title: "Finding " + string(rune('a'+i)),
				Description: "d", Severity: in.severity}); err != nil {
				t.Fatal(err)
			}
		}
		fixed := "fixed"
		first, _ := e.svc.List(ctx, e.admin, findings.Filter{Sort: "created", Limit: 1})
		if _, err := e.svc.Update(ctx, e.admin, first.Items[0].ID, findings.Patch{Status: &fixed, Reason: "done"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			who  authz.Actor
			f    findings.Filter
			want int
		}{
			{"all", e.admin, findings.Filter{}, 4},
			{"open", e.admin, findings.Filter{Statuses: findings.OpenStatuses}, 3},
			{"high in MOH", e.admin, findings.Filter{AgencyID: e.agA.ID, Severities: []string{"high"}}, 2},
			{"title", e.admin, findings.Filter{Query: "finding b"}, 1},
			{"member of MOE", e.bMem, findings.Filter{}, 1},
			{"member of MOE asking for MOH", e.bMem, findings.Filter{AgencyID: e.agA.ID}, 0},
		} {
			n, err := e.svc.Count(ctx, tc.who, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			listed := 0
			f := tc.f
			f.Limit = 2
			for {
				page, err := e.svc.List(ctx, tc.who, f)
				if err != nil {
					t.Fatal(err)
				}
				listed += len(page.Items)
				if page.NextCursor == "" {
					break
				}
				f.Cursor = page.NextCursor
			}
			if n != tc.want || listed != tc.want {
				t.Errorf("%s: Count %d, List %d, want %d", tc.name, n, listed, tc.want)
			}
		}
		if _, err := e.svc.Count(ctx, e.researcher, findings.Filter{}); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("researcher counting findings: %v", err)
		}
		if _, err := e.svc.Count(ctx, e.admin, findings.Filter{Statuses: []string{"nope"}}); err == nil {
			t.Error("an unknown status was counted")
		}
	})
}
