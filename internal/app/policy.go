package app

import (
	"context"
	"log/slog"

	"github.com/kubu-gov/kubu/internal/policy"
)

// openPolicy builds readiness: catalogues, profiles and plans, with the
// automatic evidence read from scanning (st-1, st-3, ns-6), the community
// programmes (st-3), findings (st-5) and detection's source table (lm-12).
// Imports of test results (st-4) are wired with SetImportHistory by the
// imports service.
func (a *App) openPolicy(log *slog.Logger) {
	src := policy.Sources{}
	if a.Scanning != nil {
		src.Scans = func(ctx context.Context, ids []string) (map[string][]policy.NameScan, error) {
			states, err := a.Scanning.TargetStates(ctx, ids)
			if err != nil {
				return nil, err
			}
			out := make(map[string][]policy.NameScan, len(states))
			for id, ts := range states {
				for _, t := range ts {
					out[id] = append(out[id], policy.NameScan{Hostname: t.Hostname, ScannedAt: t.ScannedAt, NextDueAt: t.NextDueAt, IM8: t.IM8})
				}
			}
			return out, nil
		}
	}
	if a.Disclosure != nil {
		src.VDP = a.Disclosure.InVDPScope
	}
	if a.Detect != nil {
		src.Logs = a.Detect.HostsLastSeen
	}
	a.Policy = policy.New(a.DB, a.Audit, a.Registry, a.Findings, policy.Options{Sources: src, Log: log})
}
