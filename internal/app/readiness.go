package app

import (
	"context"

	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/policy"
	"github.com/kubu-gov/kubu/internal/posture"
)

// openReadiness builds imports of test results and posture (after
// openPolicy): the policy service reads the latest import of a system for
// st-4's evidence, and posture reads the plans' control counts from it.
func (a *App) openReadiness() {
	a.Imports = importing.New(a.DB, a.Audit, a.Registry, a.Findings)
	if a.Policy != nil {
		a.Policy.SetImportHistory(a.Imports)
		a.PostureControls = planControls{a.Policy}
	}
	a.Posture = posture.New(a.DB, a.Audit, a.Registry, a.PostureControls)
}

// planControls gives posture the security plans' control counts.
type planControls struct{ p *policy.Service }

func (c planControls) ControlSummary(ctx context.Context, systemIDs []string) (map[string]posture.ControlCounts, error) {
	in, err := c.p.ControlSummary(ctx, systemIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]posture.ControlCounts, len(in))
	for id, cc := range in {
		out[id] = posture.ControlCounts{Met: cc.Met, NotMet: cc.NotMet, NotAssessed: cc.NotAssessed}
	}
	return out, nil
}
