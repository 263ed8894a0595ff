package app

import (
	"github.com/kubu-gov/kubu/internal/importing"
	"github.com/kubu-gov/kubu/internal/posture"
)

// openReadiness builds imports of test results and posture. Posture reads
// security plan controls through posture.Controls; until the policy
// package supplies them (PostureControls), every control is not assessed.
func (a *App) openReadiness() {
	a.Imports = importing.New(a.DB, a.Audit, a.Registry, a.Findings)
	a.Posture = posture.New(a.DB, a.Audit, a.Registry, a.PostureControls)
}
