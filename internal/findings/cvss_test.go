package findings_test

import (
	"context"
	"testing"

	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

// TestFindingCVSS (issue 8 item 16): findings read CVSS vectors with the
// one parser that reports use (package severity). Round 1 only looked at
// the prefix, so "CVSS:3.1/garbage" was stored as a vector.
func TestFindingCVSS(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		create := func(in findings.NewFinding) (findings.Finding, error) {
			in.SystemID, in.Source, in.Title = e.sysA.ID, "import", "Outdated library"
			return e.svc.Create(ctx, e.aMem, in)
		}
		for _, bad := range []string{"CVSS:3.1/garbage", "CVSS:3.9/AV:N", "CVSS:4.0/AV:N/AC:L"} {
			if _, err := create(findings.NewFinding{Severity: "high", CVSSVector: bad}); !fieldErr(err, "cvss_vector") {
				t.Errorf("vector %q: %v, want a cvss_vector error", bad, err)
			}
		}
		// A vector alone gives the score and the severity; 3.0 vectors
		// (NVD has many) are read too; the vector is kept canonical.
		f, err := create(findings.NewFinding{CVSSVector: " CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H "})
		if err != nil {
			t.Fatal(err)
		}
		if f.CVSSScore == nil || *f.CVSSScore != 9.8 || f.Severity != "critical" || f.CVSSVector != "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" {
			t.Fatalf("finding from a vector: score %v severity %s vector %q", f.CVSSScore, f.Severity, f.CVSSVector)
		}
		// A given severity and score are kept (tools report their own).
		score := 6.1
		f, err = create(findings.NewFinding{Severity: "medium", CVSSScore: &score, CVSSVector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"})
		if err != nil || *f.CVSSScore != 6.1 || f.Severity != "medium" {
			t.Fatalf("given score and severity: %+v %v", f, err)
		}
		// Neither a severity nor a score: still required.
		if _, err := create(findings.NewFinding{}); !fieldErr(err, "severity") {
			t.Fatalf("no severity: %v", err)
		}
		// Updates read a new vector with the same parser.
		bad := "CVSS:3.1/AV:X"
		if _, err := e.svc.Update(ctx, e.aMem, f.ID, findings.Patch{CVSSVector: &bad}); !fieldErr(err, "cvss_vector") {
			t.Fatalf("update with a bad vector: %v", err)
		}
		good := "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"
		f, err = e.svc.Update(ctx, e.aMem, f.ID, findings.Patch{CVSSVector: &good})
		if err != nil || f.CVSSVector != good || *f.CVSSScore != 5.4 {
			t.Fatalf("update with a vector: %+v %v", f, err)
		}
	})
}

func fieldErr(err error, field string) bool {
	v, ok := validate.As(err)
	if !ok {
		return false
	}
	for _, f := range v {
		if f.Field == field {
			return true
		}
	}
	return false
}
