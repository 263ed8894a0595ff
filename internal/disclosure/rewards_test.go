package disclosure_test

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

func enableTOTP(t *testing.T, e *env, a authz.Actor) {
	t.Helper()
	err := e.db.Tx(e.ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(e.ctx, `UPDATE users SET totp_enabled = $1 WHERE id = $2`, true, a.UserID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRewardFrozenTableAndTwoPeople: a report submitted before a reward
// table change is paid under the old table; the mobile bonus applies; a
// reward needs a different approver and the researcher's second factor.
func TestRewardFrozenTableAndTwoPeople(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		p := e.bounty(t, disclosure.RewardTable{Currency: "USD", Amounts: map[string]int{"critical": 10000, "high": 5000, "medium": 1000, "low": 250},
			Bonuses: []disclosure.Bonus{{AssetType: "mobile", Amount: 500}}, ExceptionalCap: 150000})
		before := e.submit(t, e.alice, disclosure.NewReport{Programme: p.Slug, SystemID: e.sysB.ID, Title: "Auth bypass in SLS app",
			Description: "Token not checked.", Severity: "high"})
		if _, err := e.svc.SetRewardTable(e.ctx, e.admin, p.ID, disclosure.RewardTable{Currency: "USD",
			Amounts: map[string]int{"critical": 8000, "high": 2500, "medium": 500, "low": 100}}); err != nil {
			t.Fatal(err)
		}
		after := e.submit(t, e.bob, disclosure.NewReport{Programme: p.Slug, SystemID: e.sysB.ID, Title: "Second auth bypass",
			Description: "Another one.", Severity: "high"})
		for _, id := range []string{before.TrackingID, after.TrackingID} {
			e.move(t, id, "triaged")
			e.move(t, id, "accepted")
		}
		if _, err := e.svc.ProposeReward(e.ctx, e.alice, before.TrackingID, disclosure.RewardProposal{}); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("researcher proposing her own reward: %v", err)
		}
		old, err := e.svc.ProposeReward(e.ctx, e.triager, before.TrackingID, disclosure.RewardProposal{Reason: "valid high"})
		if err != nil {
			t.Fatal(err)
		}
		if old.TableVersion != 1 || old.BaseAmount != 5000 || old.BonusAmount != 500 || old.Amount != 5500 {
			t.Fatalf("report submitted before the change was not paid under the old table: %+v", old)
		}
		nu, err := e.svc.ProposeReward(e.ctx, e.admin, after.TrackingID, disclosure.RewardProposal{})
		if err != nil {
			t.Fatal(err)
		}
		if nu.TableVersion != 2 || nu.Amount != 2500 {
			t.Fatalf("report submitted after the change: %+v", nu)
		}
		if _, err := e.svc.ProposeReward(e.ctx, e.triager, before.TrackingID, disclosure.RewardProposal{}); err == nil {
			t.Fatal("a second reward was proposed for the same report")
		}
		// Two people: the proposer cannot approve; a triager cannot approve at all.
		if _, err := e.svc.DecideReward(e.ctx, e.admin, nu.ID, true, ""); !errors.Is(err, disclosure.ErrSamePerson) {
			t.Fatalf("proposer approving: %v", err)
		}
		if _, err := e.svc.DecideReward(e.ctx, e.triager, old.ID, true, ""); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("triager approving: %v", err)
		}
		if _, err := e.svc.DecideReward(e.ctx, e.admin, old.ID, true, ""); !errors.Is(err, disclosure.ErrNoTOTP) {
			t.Fatalf("approving for a researcher without TOTP: %v", err)
		}
		enableTOTP(t, e, e.alice)
		got, err := e.svc.DecideReward(e.ctx, e.admin, old.ID, true, "ok")
		if err != nil || got.Status != "approved" || got.DecidedBy != e.admin.UserID {
			t.Fatalf("approval: %+v %v", got, err)
		}
		if _, err := e.svc.DecideReward(e.ctx, e.admin2, old.ID, true, ""); err == nil {
			t.Fatal("a reward was decided twice")
		}
		if _, err := e.svc.DecideReward(e.ctx, e.admin2, nu.ID, false, "not in scope after all"); err != nil {
			t.Fatal(err)
		}
		r, _ := e.svc.Report(e.ctx, e.alice, before.TrackingID)
		if r.RewardedAt == nil {
			t.Fatal("reward clock not stopped")
		}
		// Exceptional tier: capped, needs a reason.
		if _, err := e.svc.ProposeReward(e.ctx, e.triager, after.TrackingID, disclosure.RewardProposal{Exceptional: true, Amount: 1000, Reason: "x"}); err == nil {
			t.Fatal("exceptional reward under a table without the tier")
		}
		// Ledgers: alice sees hers only; finance export has the approved one.
		led, err := e.svc.Ledger(e.ctx, e.alice, disclosure.RewardFilter{})
		if err != nil || len(led.Items) != 1 || led.Items[0].ID != old.ID {
			t.Fatalf("alice's ledger: %+v %v", led.Items, err)
		}
		if led, _ := e.svc.Ledger(e.ctx, e.triager, disclosure.RewardFilter{ProgrammeID: p.ID}); len(led.Items) != 2 {
			t.Fatalf("programme ledger: %d", len(led.Items))
		}
		var buf bytes.Buffer
		if err := e.svc.ExportCSV(e.ctx, e.triager, "", &buf); !errors.Is(err, authz.ErrForbidden) {
			t.Fatalf("triager exporting: %v", err)
		}
		if err := e.svc.ExportCSV(e.ctx, e.admin2, p.ID, &buf); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("csv rows: %v", rows)
		}
		want := []string{old.ID, p.Name, before.TrackingID, "alice", "alice@example.com", "USD", "5000", "500", "5500", "false", "1"}
		gotRow := append(append([]string{rows[1][0]}, rows[1][2:11]...), rows[1][11])
		if diff := cmp.Diff(want, gotRow); diff != "" {
			t.Fatalf("csv row (-want +got):\n%s", diff)
		}
	})
}

func TestExceptionalReward(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		p := e.bounty(t, disclosure.RewardTable{Currency: "USD", Amounts: map[string]int{"critical": 5000}, ExceptionalCap: 150000})
		rc := e.submit(t, e.alice, disclosure.NewReport{Programme: p.ID, SystemID: e.sysA.ID, Title: "RCE", Description: "Shell.", Severity: "critical"})
		e.move(t, rc.TrackingID, "accepted")
		for name, in := range map[string]disclosure.RewardProposal{
			"over the cap":     {Exceptional: true, Amount: 150001, Reason: "huge"},
			"without a reason": {Exceptional: true, Amount: 100000},
			"another amount":   {Amount: 7000},
		} {
			if _, err := e.svc.ProposeReward(e.ctx, e.triager, rc.TrackingID, in); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		rw, err := e.svc.ProposeReward(e.ctx, e.triager, rc.TrackingID, disclosure.RewardProposal{Exceptional: true, Amount: 150000, Reason: "Whole-of-government impact"})
		if err != nil || rw.Amount != 150000 || !rw.Exceptional {
			t.Fatalf("exceptional: %+v %v", rw, err)
		}
	})
}
