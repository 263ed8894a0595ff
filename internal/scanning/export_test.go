package scanning

import "context"

// ClaimForTest claims up to n scans for this node without running them, as
// a node that then dies would.
func (s *Service) ClaimForTest(ctx context.Context, n int) ([]string, error) {
	jobs, err := s.claim(ctx, n)
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	return ids, err
}
