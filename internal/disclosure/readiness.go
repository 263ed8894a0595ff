package disclosure

import (
	"context"
	"slices"
)

// InVDPScope answers, for each system, whether it is in the scope of the
// Vulnerability Disclosure Programme while the programme is open: the
// readiness prong evidences IM8 st-3 with it. It does no access check: a
// trusted internal read.
func (s *Service) InVDPScope(ctx context.Context, systemIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(systemIDs))
	p, err := s.programme(ctx, s.db.R(), VDPSlug)
	if err != nil {
		return nil, err
	}
	open := p.Open(s.now())
	for _, id := range systemIDs {
		out[id] = open && (len(p.SystemIDs) == 0 || slices.Contains(p.SystemIDs, id))
	}
	return out, nil
}
