package app

import (
	"fmt"
	"log/slog"

	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scanning"
)

// openScanning builds the scanning service from the --scan-* settings.
// The scanner itself starts with the node's jobs (when --scan is on).
func (a *App) openScanning(cfg *config.Config, log *slog.Logger) error {
	c := cfg.Scan
	o := scan.Options{Resolver: c.Resolver, PerAddress: c.PerAddress}
	if len(c.CAs) > 0 {
		roots, inters, err := scan.LoadCAs(c.CAs)
		if err != nil {
			return fmt.Errorf("--scan-ca: %w", err)
		}
		o.Roots, o.Intermediates = roots, inters
	}
	anchors, err := scan.LoadTrustAnchors(c.TrustAnchors)
	if err != nil {
		return fmt.Errorf("--scan-trust-anchor: %w", err)
	}
	o.TrustAnchors = anchors
	if c.Ports != "" {
		if err := scan.ParsePorts(c.Ports, &o.Ports); err != nil {
			return fmt.Errorf("--scan-ports: %w", err)
		}
	}
	if !c.Private {
		o.Refuse = scanning.PublicOnly
	}
	a.Scanning = scanning.New(a.DB, a.Audit, a.Registry, a.Findings, scanning.Options{Engine: o, Concurrency: c.Concurrency,
		NodeID: a.NodeID(), Log: log})
	return nil
}
