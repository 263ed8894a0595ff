package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// DefaultProfiles are the profiles a system's plan follows unless a
// wog-admin chooses another, by level (the latest loaded profile of each
// file name). IM8 Reform's low-risk profiles are cumulative: Level 0 is
// the must-have, Level 1 adds the should-have, Level 2 the good-to-have
// (the whole catalogue).
var DefaultProfiles = [3]string{"low-risk-level-0.json", "low-risk-level-1.json", "low-risk-level-2.json"}

// Level is the default profile level of a system: the more critical the
// system or the more sensitive its data, the more it must meet.
//
//	criticality high or critical, or data confidential or secret → Level 2
//	criticality medium, or data restricted                       → Level 1
//	otherwise (low criticality, official-open or -closed data)    → Level 0
func Level(criticality, classification string) (int, string) {
	switch {
	case slices.Contains([]string{"high", "critical"}, criticality):
		return 2, "criticality " + criticality
	case slices.Contains([]string{"confidential", "secret"}, classification):
		return 2, "data classified " + classification
	case criticality == "medium":
		return 1, "criticality medium"
	case classification == "restricted":
		return 1, "data classified restricted"
	}
	return 0, fmt.Sprintf("criticality %s and data classified %s", criticality, classification)
}

// defaultProfileIDs finds the latest loaded profile of each default name
// ("" when none is loaded).
func (s *Service) defaultProfileIDs(ctx context.Context) ([3]string, error) {
	var out [3]string
	for i, name := range DefaultProfiles {
		err := s.db.R().QueryRowContext(ctx, `SELECT id FROM policy_documents WHERE kind = 'profile' AND name = $1
			ORDER BY created_at DESC, id DESC LIMIT 1`, name).Scan(&out[i])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return out, err
		}
	}
	return out, nil
}
