package findings

import (
	"context"

	"github.com/kubu-gov/kubu/internal/authz"
)

// Count counts the findings List would return for f over every page (the
// cursor, sort and limit are ignored).
func (s *Service) Count(ctx context.Context, a authz.Actor, f Filter) (int, error) {
	sc, err := authz.ScopeFor(a, authz.FindingRead)
	if err != nil {
		return 0, err
	}
	if err := f.validate(); err != nil {
		return 0, err
	}
	wh := s.filterWhere(sc, f)
	var n int
	err = s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM findings f`+wh.SQL(), wh.Args()...).Scan(&n)
	return n, err
}
