package findings_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestAutomaticCloseAndReopen: a source that no longer sees a problem
// closes its finding as fixed; when the problem comes back the finding
// reopens with a deadline counted from then; decisions people made are
// left alone; every change is in the history with its reason.
func TestAutomaticCloseAndReopen(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		if err := e.svc.SetPolicy(ctx, e.admin, e.agA.ID, findings.Policy{Critical: 3, High: 7, Medium: 30, Low: 90}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		now := t0
		e.svc.SetNowForTest(func() time.Time { return now })
		var f findings.Finding
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			f, err = e.svc.CreateTx(ctx, tx, audit.System, e.sysA, findings.NewFinding{Source: "scan", SourceRef: "tls.tls1.0",
				Title: "healthhub.example.sg: TLS 1.0 accepted", Severity: "high"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := t0.AddDate(0, 0, 7); f.DueAt == nil || !f.DueAt.Equal(want) {
			t.Fatalf("due %v, want %v", f.DueAt, want)
		}
		step := func(fn func(context.Context, *sql.Tx, audit.Actor, string, string) (findings.Finding, bool, error), reason string) (findings.Finding, bool) {
			t.Helper()
			var got findings.Finding
			var changed bool
			if err := db.Tx(ctx, func(tx *sql.Tx) error {
				var err error
				got, changed, err = fn(ctx, tx, audit.System, f.ID, reason)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return got, changed
		}
		// Reopening an open finding changes nothing.
		if _, changed := step(e.svc.ReopenTx, "seen again"); changed {
			t.Fatal("reopening an open finding changed it")
		}
		now = t0.Add(48 * time.Hour)
		closed, changed := step(e.svc.CloseTx, "scan s1 no longer sees tls.tls1.0")
		if !changed || closed.Status != "fixed" || closed.ClosedAt == nil || !closed.ClosedAt.Equal(now) {
			t.Fatalf("close: changed=%v %+v", changed, closed)
		}
		if _, changed := step(e.svc.CloseTx, "again"); changed {
			t.Fatal("closing a fixed finding changed it")
		}
		now = t0.AddDate(0, 1, 0)
		re, changed := step(e.svc.ReopenTx, "scan s2 sees tls.tls1.0 again")
		if !changed || re.Status != "open" || re.ClosedAt != nil {
			t.Fatalf("reopen: changed=%v %+v", changed, re)
		}
		if want := now.AddDate(0, 0, 7); re.DueAt == nil || !re.DueAt.Equal(want) {
			t.Fatalf("reopened due %v, want %v (from the reopening)", re.DueAt, want)
		}
		got, err := e.svc.Get(ctx, e.aMem, f.ID)
		if err != nil || got.Status != "open" || !got.DueAt.Equal(*re.DueAt) {
			t.Fatalf("stored: %+v %v", got, err)
		}
		// A false positive stays one: neither close nor reopen touch it.
		fp := "false-positive"
		if _, err := e.svc.Update(ctx, e.aAdmin, f.ID, findings.Patch{Status: &fp, Reason: "lab host"}); err != nil {
			t.Fatal(err)
		}
		if _, changed := step(e.svc.CloseTx, "x"); changed {
			t.Fatal("closed a false positive")
		}
		if _, changed := step(e.svc.ReopenTx, "x"); changed {
			t.Fatal("reopened a false positive")
		}
		hist, err := e.svc.History(ctx, e.aMem, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		for _, h := range hist {
			if h.Code == audit.FindingStatusChanged.ID {
				var after struct{ Reason string }
				json.Unmarshal(h.After, &after)
				reasons = append(reasons, after.Reason)
			}
		}
		want := []string{"lab host", "scan s2 sees tls.tls1.0 again", "scan s1 no longer sees tls.tls1.0"}
		if len(reasons) != len(want) {
			t.Fatalf("history reasons %q, want %q", reasons, want)
		}
		for i := range want {
			if reasons[i] != want[i] {
				t.Fatalf("history reasons %q, want %q", reasons, want)
			}
		}
	})
}
