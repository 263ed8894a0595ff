package evidence

import (
	"context"
	"io"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
)

// ExportBundleTo exports a bundle to nowhere and returns the error.
func (s *Service) ExportBundleTo(t *testing.T, ctx context.Context, a authz.Actor, incidentID string) error {
	_, err := s.ExportBundle(ctx, a, incidentID, io.Discard)
	return err
}

// ReadFields is readFields, for the fuzz test.
var ReadFields = readFields
