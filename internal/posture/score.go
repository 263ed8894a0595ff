package posture

import "math"

// The score (docs/posture.md has the formula with a worked example).
//
// Each system scores 0–100 from three parts:
//
//   - controls C = 100 × met / (met + not met + not assessed) of its
//     security plan (0 when it has no plan: nothing proven);
//   - findings F = max(0, 100 − Σ weight of each open finding), a
//     finding's weight by severity (critical 20, high 10, medium 4, low 1,
//     info 0), doubled when it is past its deadline;
//   - scans G = 100 × passing verdicts / verdicts over the latest results
//     of its names (BOD 18-01 and internet.nl web and mail, SSL Labs A or
//     A+, Observatory 70 or more), left out when none has a verdict.
//
// The system's score is 0.4 C + 0.4 F + 0.2 G, divided by the weights of
// the parts present (0.8 without G). An agency's score, and the whole of
// government's, is the mean of its systems' scores weighted by
// criticality (low 1, medium 2, high 3, critical 5); null without systems.
// Scores are rounded to one decimal.

// Weights of the parts of a system's score.
const (
	WeightControls = 0.4
	WeightFindings = 0.4
	WeightScans    = 0.2
)

// SeverityWeight is what one open finding takes off the findings part.
var SeverityWeight = map[string]float64{"critical": 20, "high": 10, "medium": 4, "low": 1, "info": 0}

// OverdueFactor multiplies the weight of a finding past its deadline.
const OverdueFactor = 2

// CriticalityWeight is a system's weight in its agency's score.
var CriticalityWeight = map[string]float64{"low": 1, "medium": 2, "high": 3, "critical": 5}

// systemTally is what posture knows of one system.
type systemTally struct {
	agencyID    string
	criticality string
	controls    ControlCounts
	penalty     float64        // Σ severity weight × overdue factor of open findings
	open        map[string]int // open findings by severity
	overdue     map[string]int // overdue findings by severity
	pass, total int            // scan verdicts
	names       int            // scan target names
	scanned     int            // names with a result
}

func (t *systemTally) score() float64 {
	c := 0.0
	if n := t.controls.Met + t.controls.NotMet + t.controls.NotAssessed; n > 0 {
		c = 100 * float64(t.controls.Met) / float64(n)
	}
	f := math.Max(0, 100-t.penalty)
	if t.total == 0 {
		return (WeightControls*c + WeightFindings*f) / (WeightControls + WeightFindings)
	}
	g := 100 * float64(t.pass) / float64(t.total)
	return (WeightControls*c + WeightFindings*f + WeightScans*g) / (WeightControls + WeightFindings + WeightScans)
}

func criticalityWeight(c string) float64 {
	if w, ok := CriticalityWeight[c]; ok {
		return w
	}
	return CriticalityWeight["medium"]
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
