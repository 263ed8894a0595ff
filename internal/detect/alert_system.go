package detect

import (
	"context"
)

// systemOf is the system an alert's host belongs to, by registry's one
// hostname lookup (the exact name, then the closest wildcard), or "".
// A system of another agency is not taken: an agency's shippers may name
// any host, and its alerts must not point at (or reveal) another agency's
// systems. Alerts of unassigned senders are central records, so any
// system may be named on them. A failed lookup leaves the alert without a
// system rather than losing it.
func (s *Service) systemOf(ctx context.Context, agencyID, host string) string {
	if host == "" {
		return ""
	}
	o, ok, err := s.hosts.Lookup(ctx, host)
	if err != nil {
		s.log.Warn("alert host lookup failed", "host", host, "err", err)
		return ""
	}
	if !ok || agencyID != "" && o.AgencyID != agencyID {
		return ""
	}
	return o.SystemID
}
