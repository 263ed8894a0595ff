package posture

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// plans plays the policy package: fixed control counts per system.
type plans map[string]ControlCounts

func (p plans) ControlSummary(_ context.Context, ids []string) (map[string]ControlCounts, error) {
	out := map[string]ControlCounts{}
	for _, id := range ids {
		if c, ok := p[id]; ok {
			out[id] = c
		}
	}
	return out, nil
}

type world struct {
	w          *testkit.World
	svc        *Service
	a, b, c    registry.System
	moh, moe   string
	controlled plans
}

func system(t *testing.T, w *testkit.World, agency, name, crit string) registry.System {
	t.Helper()
	hosts := []string{}
	s, err := w.Registry.CreateSystem(context.Background(), testkit.Root, registry.SystemInput{Agency: agency, Name: &name, Criticality: &crit, Hostnames: &hosts})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newWorld builds the hand-computed fixture of docs/posture.md:
//
//	MOH/a (high, weight 3): controls 6 met, 2 not met, 2 not assessed
//	  (C = 60); open: one critical (20) and one overdue high (2 × 10)
//	  (F = 60); no scans. Score (0.4·60 + 0.4·60) / 0.8 = 60.
//	MOH/b (low, weight 1): no plan (C = 0); no open findings, one fixed
//	  (F = 100); one scanned name: BOD web pass, BOD mail fail,
//	  internet.nl web pass, SSL Labs A, Observatory 50: 3 of 5 (G = 60).
//	  Score 0.4·0 + 0.4·100 + 0.2·60 = 52.
//	MOE/c (medium, weight 2): no plan; one open low (F = 99); no scans.
//	  Score (0 + 0.4·99) / 0.8 = 49.5.
//	MOH = (3·60 + 1·52) / 4 = 58; MOE = 49.5;
//	whole of government = (180 + 52 + 99) / 6 = 55.17 → 55.2.
func newWorld(t *testing.T, db *store.DB, now time.Time) world {
	ctx := context.Background()
	w := testkit.New(t, db)
	x := world{w: w, moh: w.MOH.ID, moe: w.MOE.ID}
	x.a = system(t, w, "MOH", "a", "high")
	x.b = system(t, w, "MOH", "b", "low")
	x.c = system(t, w, "MOE", "c", "medium")
	x.controlled = plans{x.a.ID: {Met: 6, NotMet: 2, NotAssessed: 2}}
	f := findings.New(db, w.Audit, w.Registry).WithClock(func() time.Time { return now })
	add := func(sys registry.System, sev string, found time.Time) findings.Finding {
		t.Helper()
		fd, err := f.Create(ctx, testkit.Root, findings.NewFinding{SystemID: sys.ID, Source: "import", Title: sev + " thing", Severity: sev, FoundAt: found})
		if err != nil {
			t.Fatal(err)
		}
		return fd
	}
	add(x.a, "critical", now)
	add(x.a, "high", now.AddDate(-1, 0, 0)) // past any deadline
	fixed := add(x.b, "medium", now)
	st := "fixed"
	if _, err := f.Update(ctx, testkit.Root, fixed.ID, findings.Patch{Status: &st}); err != nil {
		t.Fatal(err)
	}
	add(x.c, "low", now)
	ms := now.UnixMilli()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO scans (id, system_id, agency_id, kind, status, hostnames, requested_by, requested_label, created_at)
			VALUES ('scan1', $1, $2, 'scheduled', 'done', '[]', 'system', 'system', $3)`, []any{x.b.ID, x.moh, ms}},
		{`INSERT INTO scan_results (id, scan_id, system_id, agency_id, hostname, scanned_at, bod_web, bod_mail, internetnl_web,
			internetnl_mail, observatory_score, observatory_grade, ssllabs, failed_checks, worst, errors, changes, result)
			VALUES ('res1', 'scan1', $1, $2, 'b.gov.example', $3, 'pass', 'fail', 'pass', '', 50, 'C', 'A', 1, 'medium', 0, '[]', '{}')`, []any{x.b.ID, x.moh, ms}},
		{`INSERT INTO scan_targets (hostname, system_id, agency_id, added_at, next_due_at, last_result_id)
			VALUES ('b.gov.example', $1, $2, $3, $3, 'res1')`, []any{x.b.ID, x.moh, ms}},
		{`INSERT INTO scan_targets (hostname, system_id, agency_id, added_at, next_due_at) VALUES ('a.gov.example', $1, $2, $3, $3)`,
			[]any{x.a.ID, x.moh, ms}},
	} {
		if err := db.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q.sql, q.args...); return err }); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	x.svc = New(db, w.Audit, w.Registry, x.controlled).WithClock(func() time.Time { return now })
	return x
}

func score(v float64) *float64 { return &v }

// TestPostureHandComputed: the numbers equal the hand computation above,
// on each engine.
func TestPostureHandComputed(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		x := newWorld(t, db, now)
		ctx := context.Background()
		analyst := x.w.Actor(authz.Analyst, "")
		wog, err := x.svc.Get(ctx, analyst, "")
		if err != nil {
			t.Fatal(err)
		}
		want := Posture{Name: "Whole of government", Score: score(55.2), Systems: 3,
			Controls: ControlTotals{Met: 6, NotMet: 2, NotAssessed: 2},
			Findings: FindingTotals{Open: 3, Overdue: 1, OpenBySeverity: map[string]int{"critical": 1, "high": 1, "low": 1},
				OverdueBySeverity: map[string]int{"high": 1}},
			Scans: ScanTotals{Names: 2, Scanned: 1, Pass: 3, Fail: 2, Score: score(60)},
			Trend: []Point{{Date: "2026-12-05", Score: score(55.2)}}}
		if d := cmp.Diff(want, wog); d != "" {
			t.Errorf("whole of government (-want +got):\n%s", d)
		}
		moh, err := x.svc.Get(ctx, analyst, "MOH")
		if err != nil {
			t.Fatal(err)
		}
		if moh.Score == nil || *moh.Score != 58 || moh.Systems != 2 || moh.Findings.Open != 2 || moh.Findings.Overdue != 1 {
			t.Errorf("MOH: score %v, %d systems, %d open, %d overdue; want 58, 2, 2, 1", ptr(moh.Score), moh.Systems, moh.Findings.Open, moh.Findings.Overdue)
		}
		league, err := x.svc.League(ctx, analyst)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range league {
			got = append(got, p.Agency+"="+fmtScore(p.Score))
		}
		if d := cmp.Diff([]string{"MOH=58.0", "MOE=49.5"}, got); d != "" {
			t.Errorf("league (-want +got):\n%s", d)
		}
		rows := CSVRows(league)
		if len(rows) != 3 || rows[1][0] != "MOH" || rows[1][2] != "58" || rows[2][2] != "49.5" {
			t.Errorf("CSV rows %q", rows)
		}
	})
}

func ptr(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func fmtScore(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// TestPostureScope: an agency's people see their own agency only (and no
// whole of government); central roles see every agency.
func TestPostureScope(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	db := storetest.Open(t, store.SQLite)
	x := newWorld(t, db, now)
	ctx := context.Background()
	member := x.w.Actor(authz.AgencyMember, "MOH")
	own, err := x.svc.Get(ctx, member, "")
	if err != nil || own.Agency != "MOH" || own.Score == nil || *own.Score != 58 {
		t.Errorf("MOH member without agency: %+v %v; want MOH's posture (58)", own, err)
	}
	if _, err := x.svc.Get(ctx, member, "MOE"); !errors.Is(err, authz.ErrNotFound) {
		t.Errorf("MOH member asking for MOE: %v, want not found", err)
	}
	league, err := x.svc.League(ctx, member)
	if err != nil || len(league) != 1 || league[0].Agency != "MOH" {
		t.Errorf("MOH member's league: %+v %v; want MOH's row alone", league, err)
	}
	if _, err := x.svc.Get(ctx, authz.Actor{UserID: "r", Role: authz.Researcher}, ""); !errors.Is(err, authz.ErrForbidden) {
		t.Errorf("researcher: %v, want forbidden", err)
	}
	all, err := x.svc.League(ctx, x.w.Actor(authz.Triager, ""))
	if err != nil || len(all) != 2 {
		t.Errorf("triager's league: %d rows %v, want 2", len(all), err)
	}
}

// TestSnapshotOncePerDay: the first call of a day writes a row per agency
// and the whole of government; later calls that day write nothing; the
// trend reads the snapshots and ends with today's live score.
func TestSnapshotOncePerDay(t *testing.T) {
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		x := newWorld(t, db, now)
		ctx := context.Background()
		yesterday := x.svc.WithClock(func() time.Time { return now.AddDate(0, 0, -1) })
		if n, err := yesterday.Snapshot(ctx); err != nil || n != 3 {
			t.Fatalf("first snapshot: %d rows %v, want 3", n, err)
		}
		if n, err := yesterday.Snapshot(ctx); err != nil || n != 0 {
			t.Fatalf("second snapshot the same day: %d rows %v, want 0", n, err)
		}
		p, err := x.svc.Get(ctx, x.w.Actor(authz.AgencyAdmin, "MOE"), "")
		if err != nil {
			t.Fatal(err)
		}
		want := []Point{{Date: "2026-12-04", Score: score(49.5)}, {Date: "2026-12-05", Score: score(49.5)}}
		if d := cmp.Diff(want, p.Trend); d != "" {
			t.Errorf("MOE trend (-want +got):\n%s", d)
		}
	})
}
